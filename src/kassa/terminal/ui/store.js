// @ts-check
/**
 * The app's state: one plain object replaced on every change, and a hook that re-renders a
 * component when it changes. Enough for one screen at a time; no library needed.
 */
import { useEffect, useState } from "./html.js";

/** @type {any} */
let state = {};
/** @type {Set<() => void>} */
const subscribers = new Set();
let scheduled = false;

/** @returns {any} */
export function getState() {
  return state;
}

/**
 * Merge a change into the state and notify (once per microtask, however many changes).
 * @param {object | ((state: any) => object)} change
 */
export function setState(change) {
  const patch = typeof change === "function" ? change(state) : change;
  state = { ...state, ...patch };
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      for (const subscriber of subscribers) subscriber();
    });
  }
}

/** The state, re-rendering the calling component when it changes. */
export function useStore() {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const subscriber = () => setVersion((version) => version + 1);
    subscribers.add(subscriber);
    return () => {
      subscribers.delete(subscriber);
    };
  }, []);
  return state;
}
