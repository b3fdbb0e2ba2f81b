// @ts-check
/**
 * The keyboard-wedge scanner in the page: one keydown listener (capture phase, on window)
 * feeds domain/scan.js, so a scan works wherever the focus is, without a click first, and
 * typing in a text field still types.
 *
 * - A scan goes to the topmost scan handler (the sale screen; a dialog can take it over).
 * - A character that scan.js held back and hands back (a human typing) goes into the
 *   focused text field, at the caret, or, when no field has the focus, to the topmost
 *   "typed" handler (the sale screen puts it in the search box, the PIN pad takes digits).
 * - A scan's first character that already reached a field is taken back out (`retract`).
 * - A scan from a device (the bus's `scan.received`, published by hardware/proxy.js) goes
 *   to the same topmost scan handler.
 */
import { createScanState, scanDeadline, scanKey, scanTick } from "../domain/scan.js";
import { on } from "../state/events.js";

/** @typedef {(code: string) => void} ScanHandler */
/** @typedef {(text: string) => void} TypedHandler */

/** @type {ScanHandler[]} */
const scanHandlers = [];
/** @type {TypedHandler[]} */
const typedHandlers = [];
let state = createScanState();
/** @type {ReturnType<typeof setTimeout> | null} */
let timer = null;
let installed = false;

/**
 * @template T
 * @param {T[]} stack
 * @param {T} handler
 * @returns {() => void}
 */
function push(stack, handler) {
  stack.push(handler);
  return () => {
    const index = stack.lastIndexOf(handler);
    if (index >= 0) stack.splice(index, 1);
  };
}

/** @param {ScanHandler} handler @returns {() => void} */
export const pushScanHandler = (handler) => push(scanHandlers, handler);
/** @param {TypedHandler} handler @returns {() => void} */
export const pushTypedHandler = (handler) => push(typedHandlers, handler);

/**
 * @param {Element | null} element
 * @returns {element is HTMLInputElement | HTMLTextAreaElement}
 */
export function isEditable(element) {
  if (element instanceof HTMLTextAreaElement) return !element.readOnly && !element.disabled;
  if (element instanceof HTMLInputElement) {
    return (
      ["text", "search", "tel", "url", "email", "password", ""].includes(element.type) &&
      !element.readOnly &&
      !element.disabled
    );
  }
  return false;
}

/**
 * A scan from elsewhere (the hardware proxy's scanner): the same handler as a wedge scan.
 * @param {string} code
 */
function deliverScan(code) {
  scanHandlers.at(-1)?.(code);
}

/** @param {string} text */
function deliver(text) {
  if (!text) return;
  const target = document.activeElement;
  if (isEditable(target)) {
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? start;
    target.setRangeText(text, start, end, "end");
    target.dispatchEvent(new Event("input", { bubbles: true }));
  } else {
    typedHandlers.at(-1)?.(text);
  }
}

/** @param {number} count */
function retract(count) {
  const target = document.activeElement;
  if (count <= 0 || !isEditable(target)) return;
  const end = target.selectionStart ?? target.value.length;
  const start = Math.max(0, end - count);
  target.setRangeText("", start, end, "end");
  target.dispatchEvent(new Event("input", { bubbles: true }));
}

/** @param {{release: string, scan: {code: string, retract: number} | null}} result */
function handle(result) {
  deliver(result.release);
  if (result.scan) {
    retract(result.scan.retract);
    scanHandlers.at(-1)?.(result.scan.code);
  }
}

function schedule() {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  const deadline = scanDeadline(state);
  if (deadline === null) return;
  timer = setTimeout(
    () => {
      timer = null;
      const result = scanTick(state, performance.now());
      state = result.state;
      handle(result);
      schedule();
    },
    Math.max(0, deadline - performance.now()),
  );
}

/** Start listening (once per page). */
export function installScanner() {
  if (installed) return;
  installed = true;
  on("scan.received", ({ code }) => deliverScan(code));
  window.addEventListener(
    "keydown",
    (event) => {
      if (event.isComposing) return;
      const result = scanKey(state, {
        key: event.key,
        time: event.timeStamp,
        editable: isEditable(document.activeElement),
        repeat: event.repeat,
        ctrlKey: event.ctrlKey,
        altKey: event.altKey,
        metaKey: event.metaKey,
      });
      state = result.state;
      if (result.swallow) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
      handle(result);
      schedule();
    },
    true,
  );
}
