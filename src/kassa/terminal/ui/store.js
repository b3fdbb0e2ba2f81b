// @ts-check
/** The state (state/store.js) for Preact: a hook that re-renders its component on a change. */
import { getState, subscribe } from "../state/store.js";
import { useEffect, useState } from "./html.js";

/** The state, re-rendering the calling component when it changes. */
export function useStore() {
  const [, setVersion] = useState(0);
  useEffect(() => subscribe(() => setVersion((version) => version + 1)), []);
  return getState();
}

/**
 * The state of the sale phase, where the configuration, the cash session and the order on
 * screen exist (the screens of that phase are shown only then).
 * @param {import("../state/store.js").State} state
 */
export function saleState(state) {
  const { config, session, order } = state;
  if (!config || !session || !order) throw new Error("the sale phase has no configuration, session or order");
  return { config, session, order };
}
