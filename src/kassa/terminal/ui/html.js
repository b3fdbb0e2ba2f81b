// @ts-check
/** Preact with htm: `html` tagged templates instead of JSX, so there is no build step. */
import { h, render } from "../vendor/preact.module.js";
import htm from "../vendor/htm.module.js";

export const html = htm.bind(h);
export { render };
export { useEffect, useLayoutEffect, useMemo, useRef, useState, useCallback } from "../vendor/preact-hooks.module.js";
