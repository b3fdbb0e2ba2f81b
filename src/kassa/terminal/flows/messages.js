// @ts-check
/** Messages to the cashier: a few lines at the bottom of the screen, errors with a beep. */
import { setState } from "../state/store.js";

let toastId = 0;

/**
 * @param {string} message
 * @param {"info" | "error"} [kind]
 */
export function toast(message, kind = "info") {
  const id = ++toastId;
  setState((s) => ({ toasts: [...s.toasts.slice(-3), { id, message, kind }] }));
  setTimeout(() => setState((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })), kind === "error" ? 5000 : 3000);
  if (kind === "error") beep();
}

/** @param {number} id */
export function dismissToast(id) {
  setState((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
}

/** A short low tone, so a cashier looking at the customer hears that a scan failed. */
function beep() {
  try {
    const AudioContext = window.AudioContext;
    if (!AudioContext) return;
    const context = new AudioContext();
    const oscillator = context.createOscillator();
    oscillator.frequency.value = 220;
    oscillator.connect(context.destination);
    oscillator.start();
    oscillator.stop(context.currentTime + 0.15);
    oscillator.onended = () => context.close();
  } catch {
    // no sound: the message is on screen
  }
}
