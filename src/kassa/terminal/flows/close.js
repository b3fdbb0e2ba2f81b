// @ts-check
/**
 * The day close at the till (docs/z-report.md): cash in, cash out and safe drops, the X
 * report, and the close itself: start (new sales stop), count (each attempt a CASH_COUNT),
 * the variance against its limits, approval or recount, then the Z computed from this
 * till's own journal, written as PERIOD_CLOSE(s) + Z_CLOSE with the session's close in one
 * transaction, and printed from the stored entry. Everything works offline: the journal
 * and the outbox carry it to the server later.
 */
import { shownAmount, t } from "../domain/i18n.js";
import { localIsoString } from "../domain/cart.js";
import { SOFTWARE } from "../domain/journal.js";
import { formatAmount, parseAmount } from "../domain/money.js";
import { CLOSE_DEFAULTS, cashCountPayload, cashMovePayload, computeZ, periodCloses, zParameters } from "../domain/z.js";
import { cashMoveDocument, zDocument } from "../domain/z_receipt.js";
import * as data from "../data/db.js";
import { JOURNAL_META, journalEntry, journalHead, journalMeta, journalSessionEntries } from "../data/journal.js";
import { openDrawer, printDocument } from "../hardware/proxy.js";
import { emit } from "../state/events.js";
import { getState, setState } from "../state/store.js";
import { authorize } from "./approval.js";
import { runtime } from "./context.js";
import { journalChanged, journalContext, record } from "./journal.js";
import { toast } from "./messages.js";
import { enterSale } from "./order.js";

/** @typedef {import("../state/store.js").CashSession} CashSession */
/** @typedef {{method: string, amount: number, denominations: {value: number, count: number}[] | null}} MethodCount */

const MOVE_ACTIONS = /** @type {const} */ ({ in: "CASH_IN", out: "CASH_OUT", drop: "CASH_DROP" });
const MOVE_WORDS = /** @type {const} */ ({ in: "Cash in", out: "Cash out", drop: "Safe drop" });

/** The move's name as the cashier reads it (MOVE_WORDS stays English for the proxy's log). @param {"in" | "out" | "drop"} kind */
function moveWord(kind) {
  return kind === "in" ? t("Cash in") : kind === "out" ? t("Cash out") : t("Safe drop");
}

/**
 * The close's settings from the terminal configuration, with their defaults.
 * @param {any} config
 * @returns {{blind: boolean, slip: boolean}}
 */
export function closeSettings(config) {
  return {
    blind: Boolean(config?.blind_close ?? CLOSE_DEFAULTS.blind_close),
    slip: Boolean(config?.cash_move_slip ?? CLOSE_DEFAULTS.cash_move_slip),
  };
}

/** The reasons the back office lists for an action. @param {string} action */
export function reasonsFor(action) {
  return (getState().config?.reasons ?? []).filter((reason) => reason.action === action);
}

/** @param {string} action @param {string} code */
function reasonLabel(action, code) {
  return reasonsFor(action).find((reason) => reason.code === code)?.label ?? code;
}

/** @returns {{session: CashSession, config: any, cashier: any}} */
function current() {
  const { session, config, cashier } = getState();
  if (!session || !config || !cashier) throw new Error("no open cash session");
  return { session, config, cashier };
}

// ---------------------------------------------------------------- cash moves

/**
 * Cash in, cash out or a safe drop: authorised, journalled once under its own uuid (the
 * server stores one move per uuid), then the drawer opens, with a slip when the terminal
 * prints them.
 * @param {{kind: "in" | "out" | "drop", amount: number, reason: string, note?: string}} move
 * @returns {Promise<any | null>} the CASH_MOVE payload, or null when not done
 */
export async function cashMove({ kind, amount, reason, note = "" }) {
  const { session, config, cashier } = current();
  const places = config.currency_places;
  const granted = await authorize({
    action: MOVE_ACTIONS[kind],
    subject: { kind: "drawer", session: session.uuid },
    message: t("{move} of {amount} needs approval.", {
      move: moveWord(kind),
      amount: shownAmount(amount, config.currency, places),
    }),
    value: amount,
    reason,
    note,
  });
  if (!granted) return null;
  const payload = cashMovePayload(
    {
      move: crypto.randomUUID(),
      session: session.uuid,
      kind,
      amount,
      reason,
      note,
      approval: granted.approval?.id ?? null,
    },
    places,
  );
  try {
    await record([{ type: "CASH_MOVE", payload }]);
  } catch (error) {
    toast(
      t("{move} not recorded: the journal could not write it ({error}). The drawer stays shut.", {
        move: moveWord(kind),
        error: String(error),
      }),
      "error",
    );
    return null;
  }
  const approver = granted.approval?.approver.name ?? null;
  if (closeSettings(config).slip) {
    const slip = cashMoveDocument(payload, {
      terminal: config.name ?? config.code,
      at: localIsoString(new Date()),
      cashier: cashier.name,
      reason: reasonLabel(MOVE_ACTIONS[kind], reason),
      currency: config.currency,
      approver,
      language: config.language,
    });
    const problem = await printDocument(`move:${payload.move}`, slip, { openDrawer: true });
    if (problem) toast(t("The slip did not print and the drawer did not open: {problem}", { problem }), "error");
    else
      toast(
        t("{move} of {amount} recorded.", {
          move: moveWord(kind),
          amount: shownAmount(payload.amount, config.currency, config.currency_places),
        }),
        "info",
      );
  } else {
    await openDrawer(`${MOVE_WORDS[kind]} ${payload.amount} ${reason}`);
  }
  return payload;
}

// ---------------------------------------------------------------- X and Z

/**
 * The report of the session so far (X), or its Z with `zNo` and `closed`.
 * @param {object} options
 * @param {CashSession} options.session
 * @param {any} options.config
 * @param {number | null} [options.zNo]
 * @param {{at: string, by: {id: number, name: string} | null} | null} [options.closed]
 * @param {import("../domain/z.js").ZApproval | null} [options.approval]
 * @param {any[]} [options.entries]    the session's entries, when already read
 * @param {import("../domain/journal.js").Head} [options.head]
 */
async function report({ session, config, zNo = null, closed = null, approval = null, entries, head }) {
  const db = runtime.db;
  const read = entries ?? (await journalSessionEntries(db, session.uuid));
  if (!read.length) throw new Error("this session's SESSION_OPEN is not in the journal");
  const chain = head ?? (await journalHead(db));
  const places = config.currency_places;
  const lastZ = await journalMeta(db, JOURNAL_META.lastZ);
  const previous = lastZ ? ((await journalEntry(db, lastZ.seq))?.payload ?? null) : null;
  return computeZ(read, {
    z_no: zNo,
    terminal: config.code,
    store: { id: config.store_id ?? null, name: config.store_name ?? "", tax_id: config.store_tax_id ?? "" },
    parameters: zParameters(config),
    software: chain.software ?? SOFTWARE,
    closed,
    approval,
    before: { gt_after: formatAmount(chain.gt, places), gt_abs_after: formatAmount(chain.gtAbs, places) },
    previous,
  });
}

/** The X report of the open session: computed now, never stored. */
export async function xReport() {
  const { session, config } = current();
  const granted = await authorize({
    action: "X_REPORT",
    subject: { kind: "session", session: session.uuid },
    message: t("The X report needs approval."),
  });
  if (!granted) return null;
  return report({ session, config });
}

/**
 * Print an X report; the print is journalled (X_REPORT), the report is not kept.
 * @param {any} x
 */
export async function printXReport(x) {
  const { session, config } = current();
  const problem = await printDocument(crypto.randomUUID(), zDocument(x, { blind: closeSettings(config).blind }));
  if (problem) {
    toast(t("The X report did not print: {problem}", { problem }), "error");
    return;
  }
  await record([{ type: "X_REPORT", payload: { session: session.uuid, last_seq: x.seq.last, gross: x.totals.gross } }]);
  toast(t("X report printed."), "info");
}

// ---------------------------------------------------------------- the close

/** Start the close: new sales stop on this till until it is closed (or the close is left). */
export async function startClose() {
  const { session } = current();
  const granted = await authorize({
    action: "CLOSE_SESSION",
    subject: { kind: "session", session: session.uuid },
    message: t("Closing the session needs approval."),
  });
  if (!granted) return;
  /** @type {CashSession} */
  const closing = { ...session, state: "closing" };
  await data.saveSession(runtime.db, closing);
  setState({ session: closing, view: "close", dialog: null });
}

/** Back to selling, before anything was counted. */
export async function leaveClose() {
  const { session } = current();
  const entries = await journalSessionEntries(runtime.db, session.uuid);
  if (entries.some((entry) => entry.type === "CASH_COUNT")) {
    toast(t("The cash was counted: finish the close."), "error");
    return;
  }
  /** @type {CashSession} */
  const open = { ...session, state: "open" };
  await data.saveSession(runtime.db, open);
  await enterSale(open);
}

/**
 * The expected amounts, for a close that is not blind (never called in blind mode, so
 * they never reach the page).
 */
export async function expectedNow() {
  const { session, config } = current();
  if (closeSettings(config).blind) throw new Error("a blind close shows no expected amounts");
  return report({ session, config });
}

/**
 * One count attempt: a CASH_COUNT entry, then the variance it makes.
 * @param {MethodCount[]} methods  every payment method, cash counted, others declared
 * @returns {Promise<any>} the report with this count (z_no null): methods' differences, variance
 */
export async function countAttempt(methods) {
  const { session, config } = current();
  const db = runtime.db;
  const entries = await journalSessionEntries(db, session.uuid);
  const attempt = entries.filter((entry) => entry.type === "CASH_COUNT").length + 1;
  const payload = cashCountPayload(
    { session: session.uuid, attempt, blind: closeSettings(config).blind, methods },
    config.currency_places,
  );
  await record([{ type: "CASH_COUNT", payload }]);
  return report({ session, config });
}

/**
 * A manager's approval of a variance above its limit (a cashier's PIN cannot approve).
 * @param {any} counted   the report after the count
 * @param {string | null} reason
 * @param {string} note
 * @returns {Promise<import("../domain/z.js").ZApproval | null>}
 */
export async function approveVariance(counted, reason, note) {
  const { session, config } = current();
  const variance = parseAmount(counted.variance.amount ?? "0", config.currency_places);
  const granted = await authorize({
    action: "APPROVE_VARIANCE",
    subject: { kind: "session", session: session.uuid },
    message: t("The count is {amount} off, above the limit: a manager approves it, or recount.", {
      amount: shownAmount(counted.variance.amount ?? "0", config.currency, config.currency_places),
    }),
    value: Math.abs(variance),
    reason,
    note,
  });
  if (!granted) return null;
  const cashier = getState().cashier;
  const approver = granted.approval?.approver ?? (cashier ? { id: cashier.id, name: cashier.name } : null);
  if (!approver) return null;
  return {
    id: granted.approval?.id ?? crypto.randomUUID(),
    approver: { id: approver.id, name: approver.name },
    reason,
    note,
  };
}

class Overtaken extends Error {}

/**
 * Confirm the close: an optional closing drop, then the Z computed from the journal,
 * written with its PERIOD_CLOSEs and the session's close in one transaction, and printed
 * from the stored entry.
 * @param {{approval: import("../domain/z.js").ZApproval | null, closingDrop?: {amount: number, reason: string} | null}} options
 * @returns {Promise<any | null>} the Z as stored, or null when not closed
 */
export async function closeWithZ({ approval, closingDrop = null }) {
  const { session, config, cashier } = current();
  const db = runtime.db;
  if (closingDrop && closingDrop.amount > 0) {
    const moved = await cashMove({
      kind: "drop",
      amount: closingDrop.amount,
      reason: closingDrop.reason,
      note: "closing drop",
    });
    if (!moved) return null;
  }
  const places = config.currency_places;
  for (let attempt = 0; attempt < 10; attempt++) {
    const entries = await journalSessionEntries(db, session.uuid);
    const head = await journalHead(db);
    const lastZ = await journalMeta(db, JOURNAL_META.lastZ);
    const closedAt = localIsoString(new Date());
    const by = { id: cashier.id, name: cashier.name };
    const z = await report({
      session,
      config,
      zNo: (lastZ?.z_no ?? 0) + 1,
      closed: { at: closedAt, by },
      approval,
      entries,
      head,
    });
    if (z.variance.over && !z.variance.approval) throw new Error("a variance above its limit needs an approval");
    const previous = lastZ ? ((await journalEntry(db, lastZ.seq))?.payload ?? null) : null;
    const closes = periodCloses(z, previous);
    /** @type {CashSession} */
    const closed = {
      ...session,
      state: "closed",
      closedAt,
      closedBy: cashier.id,
      countedCash: z.cash.counted === null ? 0 : parseAmount(z.cash.counted, places),
      expectedCash: parseAmount(z.cash.expected, places),
      zNo: z.z_no ?? undefined,
    };
    try {
      const { seq } = await data.closeSessionWithZ(db, {
        entry: {
          uuid: session.uuid,
          kind: "session_close",
          createdAt: closedAt,
          payload: {
            uuid: session.uuid,
            cashier_id: cashier.id,
            closed_at: closedAt,
            counted_cash: z.cash.counted ?? formatAmount(0, places),
          },
        },
        session: closed,
        zNo: /** @type {number} */ (z.z_no),
        journal: {
          ...journalContext(),
          now: () => closedAt,
          events: (chain) => {
            // The Z read the journal up to its last entry: anything since, and it is read again.
            if (chain.seq !== z.seq.last) throw new Overtaken();
            return [
              ...closes.map((payload) => ({ type: "PERIOD_CLOSE", payload })),
              { type: "Z_CLOSE", payload: z },
              { type: "LOGOUT" },
            ];
          },
        },
      });
      journalChanged();
      const stored = (await journalEntry(db, seq)).payload;
      emit("session.closed", { session: closed });
      sessionStorage.removeItem("kassa.cashier");
      setState({
        session: null,
        cashier: null,
        phase: "login",
        view: "sale",
        lastClosed: closed,
        lastZ: stored,
        suggestedFloat: stored.cash.suggested_float,
      });
      await printZ(stored, false);
      return stored;
    } catch (error) {
      if (error instanceof Overtaken) continue;
      throw error;
    }
  }
  throw new Error("the journal kept moving while the Z was computed");
}

/** Whether this till's journal holds the session's SESSION_OPEN (not so for a session adopted from the server). */
export async function sessionInJournal() {
  const { session } = current();
  return (await journalSessionEntries(runtime.db, session.uuid)).length > 0;
}

/**
 * Close a session whose opening this till's journal does not hold (adopted from the
 * server after the browser's data was lost, or opened by another PC): no Z can be
 * computed here, so the count is journalled (CASH_COUNT) and the close queued with it;
 * the server's figures stand.
 * @param {MethodCount[]} methods
 */
export async function closeWithoutZ(methods) {
  const { session, config, cashier } = current();
  const places = config.currency_places;
  const closedAt = localIsoString(new Date());
  const cash = methods.find((m) => config.payment_methods.find((/** @type {any} */ p) => p.name === m.method)?.is_cash);
  const counted = cash?.amount ?? 0;
  /** @type {CashSession} */
  const closed = { ...session, state: "closed", closedAt, closedBy: cashier.id, countedCash: counted };
  await data.outboxAdd(
    runtime.db,
    {
      uuid: session.uuid,
      kind: "session_close",
      createdAt: closedAt,
      payload: {
        uuid: session.uuid,
        cashier_id: cashier.id,
        closed_at: closedAt,
        counted_cash: formatAmount(counted, places),
      },
    },
    {
      session: closed,
      meta: { [data.META.currentSession]: null },
      journal: {
        ...journalContext(),
        events: [
          {
            type: "CASH_COUNT",
            payload: cashCountPayload(
              { session: session.uuid, attempt: 1, blind: closeSettings(config).blind, methods },
              places,
            ),
          },
          { type: "LOGOUT" },
        ],
      },
    },
  );
  journalChanged();
  emit("session.closed", { session: closed });
  sessionStorage.removeItem("kassa.cashier");
  setState({ session: null, cashier: null, phase: "login", view: "sale", lastClosed: closed, lastZ: null });
}

/**
 * Print a stored Z; a reprint says DUPLICATE.
 * @param {any} z   the Z_CLOSE payload as stored
 * @param {boolean} copy
 */
export async function printZ(z, copy) {
  const key = copy ? crypto.randomUUID() : `z:${z.session}`;
  const problem = await printDocument(key, zDocument(z, { copy }), { reprint: copy });
  if (problem)
    toast(
      t("Z report {number} did not print: {problem}. Reprint it from the menu.", { number: z.z_no, problem }),
      "error",
    );
}

/** The last Z this till wrote, as stored, or null. */
export async function lastZ() {
  const db = runtime.db;
  const pointer = db ? await journalMeta(db, JOURNAL_META.lastZ) : null;
  if (!pointer) return null;
  return (await journalEntry(db, pointer.seq))?.payload ?? null;
}

/** Reprint the last Z from its stored entry, marked DUPLICATE. */
export async function reprintLastZ() {
  const z = await lastZ();
  if (!z) {
    toast(t("No Z report on this till yet."), "error");
    return;
  }
  setState({ lastZ: z });
  await printZ(z, true);
}
