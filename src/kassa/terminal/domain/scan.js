// @ts-check
/**
 * Keyboard-wedge scanner detection: a pure state machine fed with key events.
 *
 * A scanner types a code a few milliseconds per key, usually followed by Enter. A run of
 * characters each arriving at most `maxGap` ms (50) after the previous one, at least
 * `minLength` (6) long, is a scan when it is ended by a terminator key (Enter) within
 * `endGap` ms (100), or by silence longer than `endGap` (scanners configured without a
 * suffix). Slower keys are a human typing.
 *
 * The keydown handler must decide at once whether to let each key through, before it knows
 * whether a run will become a scan. The rule:
 * - the first character of a run is let through when the focus is in an editable field
 *   (`editable: true`), so a human's typing is never delayed; when nothing editable has the
 *   focus it is held back instead;
 * - every further character arriving within `maxGap` is held back (swallowed);
 * - when the run ends and is not a scan, the held characters come back as `release`: the
 *   caller inserts them (into the field, or to its key handling) before the current key's
 *   own action, so the text comes out in the order typed;
 * - when the run is a scan, `scan.retract` tells how many of its characters were let
 *   through (0 or 1) and must be taken back out of the field.
 * A run can also end with no key at all: the caller sets a timer for `scanDeadline(state)`
 * and calls `scanTick`.
 *
 * Key repeats (`repeat: true`), keys with Ctrl, Alt or Meta, and keys other than single
 * characters end a run and pass through; Shift (which scanners send for capitals) is ignored.
 */

/**
 * @typedef {object} ScanOptions
 * @property {number} [maxGap]     ms between two keys of one scan (default 50)
 * @property {number} [endGap]     ms of silence, or before the terminator, that ends a scan (100)
 * @property {number} [minLength]  characters a scan has at least (6)
 * @property {number} [maxLength]  a longer run is not a scan (64)
 * @property {RegExp} [chars]      what a scan character is (default digits, ASCII letters and "-")
 * @property {readonly string[]} [terminators] keys that end a scan and are swallowed (["Enter"])
 *
 * @typedef {object} ScanKeyEvent
 * @property {string} key          KeyboardEvent.key
 * @property {number} time         ms, e.g. KeyboardEvent.timeStamp
 * @property {boolean} [editable]  the focus is in a text field
 * @property {boolean} [repeat]
 * @property {boolean} [ctrlKey]
 * @property {boolean} [altKey]
 * @property {boolean} [metaKey]
 *
 * @typedef {object} ScanState
 * @property {string} buffer        the current run's characters
 * @property {number} passed        how many of them were let through (0 or 1)
 * @property {number | null} lastTime
 *
 * @typedef {object} ScanResult
 * @property {ScanState} state
 * @property {boolean} swallow      preventDefault the key event
 * @property {string} release       held characters to hand back, before this key's action
 * @property {{code: string, retract: number} | null} scan
 */

const DEFAULTS = {
  maxGap: 50,
  endGap: 100,
  minLength: 6,
  maxLength: 64,
  chars: /^[0-9A-Za-z-]$/, // "-": receipt numbers (POS1-1-000042), scanned to refund
  terminators: /** @type {readonly string[]} */ (["Enter"]),
};

const IGNORED = new Set(["Shift", "CapsLock"]);

/** @returns {ScanState} */
export function createScanState() {
  return Object.freeze({ buffer: "", passed: 0, lastTime: null });
}

/**
 * Feed one keydown.
 * @param {ScanState} state
 * @param {ScanKeyEvent} event
 * @param {ScanOptions} [options]
 * @returns {ScanResult}
 */
export function scanKey(state, event, options = {}) {
  const o = { ...DEFAULTS, ...options };
  if (IGNORED.has(event.key)) return result(state, false);

  // A run that the clock has already ended is settled before this key counts.
  let release = "";
  /** @type {ScanResult["scan"]} */
  let scan = null;
  if (state.buffer && state.lastTime !== null) {
    const gap = event.time - state.lastTime;
    const terminatorInTime = o.terminators.includes(event.key) && gap <= o.endGap;
    if (gap > o.maxGap && !terminatorInTime) {
      ({ release, scan } = settle(state, o));
      state = createScanState();
    }
  }

  const plain = !event.repeat && !event.ctrlKey && !event.altKey && !event.metaKey;
  if (plain && o.chars.test(event.key)) {
    if (!state.buffer) {
      const passed = event.editable ? 1 : 0;
      return { ...result(run(event.key, passed, event.time), passed === 0), release, scan };
    }
    if (state.buffer.length >= o.maxLength) {
      // Too long for a barcode: hand everything back and let this key through.
      return { ...result(createScanState(), false), release: release + held(state), scan };
    }
    return { ...result(run(state.buffer + event.key, state.passed, event.time), true), release, scan };
  }

  if (state.buffer) {
    // Any other key ends the run; a terminator that ends a scan is swallowed with it.
    const settled = settle(state, o);
    const swallow = plain && settled.scan !== null && o.terminators.includes(event.key);
    return { ...result(createScanState(), swallow), release: release + settled.release, scan: settled.scan };
  }
  return { ...result(state, false), release, scan };
}

/**
 * Let time pass with no key: ends a run whose time is up.
 * @param {ScanState} state
 * @param {number} time
 * @param {ScanOptions} [options]
 * @returns {ScanResult}
 */
export function scanTick(state, time, options = {}) {
  const o = { ...DEFAULTS, ...options };
  const deadline = scanDeadline(state, options);
  if (deadline === null || time < deadline) return result(state, false);
  const { release, scan } = settle(state, o);
  return { ...result(createScanState(), false), release, scan };
}

/**
 * When to call scanTick next, or null when nothing is pending. A run too short to be a scan
 * is handed back as soon as the next key is late (`maxGap`); a run that could be a scan waits
 * `endGap` for its terminator.
 * @param {ScanState} state
 * @param {ScanOptions} [options]
 * @returns {number | null}
 */
export function scanDeadline(state, options = {}) {
  const o = { ...DEFAULTS, ...options };
  if (!state.buffer || state.lastTime === null) return null;
  return state.lastTime + (state.buffer.length >= o.minLength ? o.endGap : o.maxGap) + 1;
}

/**
 * @param {ScanState} state
 * @param {Required<ScanOptions>} o
 * @returns {{release: string, scan: ScanResult["scan"]}}
 */
function settle(state, o) {
  if (state.buffer.length >= o.minLength && state.buffer.length <= o.maxLength) {
    return { release: "", scan: { code: state.buffer, retract: state.passed } };
  }
  return { release: held(state), scan: null };
}

/** @param {ScanState} state */
function held(state) {
  return state.buffer.slice(state.passed);
}

/**
 * @param {string} buffer
 * @param {number} passed
 * @param {number} time
 * @returns {ScanState}
 */
function run(buffer, passed, time) {
  return Object.freeze({ buffer, passed, lastTime: time });
}

/**
 * @param {ScanState} state
 * @param {boolean} swallow
 * @returns {ScanResult}
 */
function result(state, swallow) {
  return { state, swallow, release: "", scan: null };
}
