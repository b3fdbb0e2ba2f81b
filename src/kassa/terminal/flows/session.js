// @ts-check
/**
 * Login and the cash session: the PIN checked offline (with lockouts kept in IndexedDB),
 * the session opened with its float (the last Z's suggested float offered) or adopted
 * from the server, and locking the till. The close is flows/close.js's.
 */
import { t } from "../domain/i18n.js";
import * as cart from "../domain/cart.js";
import { sessionOpenPayload } from "../domain/journal.js";
import { formatAmount, parseAmount } from "../domain/money.js";
import { checkPin, createLockoutState, lockoutStatus } from "../domain/pin.js";
import * as data from "../data/db.js";
import { api } from "../sync/api.js";
import { emit } from "../state/events.js";
import { getState, setState } from "../state/store.js";
import { pairingToken, runtime } from "./context.js";
import { journalChanged, journalWrite, record } from "./journal.js";
import { toast } from "./messages.js";
import { lastZ } from "./close.js";
import { enterSale } from "./order.js";

/** @typedef {import("../state/store.js").Cashier} Cashier */
/** @typedef {import("../state/store.js").CashSession} CashSession */

const LOGIN_KEY = "kassa.cashier"; // sessionStorage: a reload keeps the cashier, a new tab or browser asks the PIN

/** After start: the cashier of this tab's last login (a reload), or the login screen. */
export async function resumeLogin() {
  const saved = sessionStorage.getItem(LOGIN_KEY);
  const cashier = saved ? getState().cashiers.find((c) => String(c.id) === saved) : null;
  if (!cashier) {
    setState({ phase: "login", cashier: null });
    return;
  }
  await afterLogin(cashier);
}

/**
 * Check a cashier's PIN against the cached verifier (works offline).
 * @param {Cashier} cashier
 * @param {string} pin
 * @returns {Promise<{ok: boolean, lockedFor?: number}>}
 */
export async function verifyCashierPin(cashier, pin) {
  const key = data.META.lockoutPrefix + cashier.id;
  const state = (await data.getMeta(runtime.db, key)) ?? createLockoutState();
  const result = await checkPin({ pin, verifier: cashier.pin_verifier, state, now: Date.now() });
  await data.setMeta(runtime.db, key, result.state);
  if (result.ok) return { ok: true };
  return { ok: false, lockedFor: result.locked && result.retryAt ? result.retryAt - Date.now() : 0 };
}

/**
 * How long a cashier is still locked out, in ms (0 when not).
 * @param {Cashier} cashier
 */
export async function lockedFor(cashier) {
  const state = await data.getMeta(runtime.db, data.META.lockoutPrefix + cashier.id);
  if (!state) return 0;
  const status = lockoutStatus(state, Date.now());
  return status.locked && status.retryAt ? status.retryAt - Date.now() : 0;
}

/**
 * @param {Cashier} cashier
 * @param {string} pin
 * @returns {Promise<{ok: boolean, lockedFor?: number}>}
 */
export async function login(cashier, pin) {
  const result = await verifyCashierPin(cashier, pin);
  if (result.ok) {
    await record([{ type: "LOGIN" }], { id: cashier.id, name: cashier.name }).catch((error) =>
      toast(t("The journal did not record the login: {error}", { error: String(error) }), "error"),
    );
    sessionStorage.setItem(LOGIN_KEY, String(cashier.id));
    await afterLogin(cashier);
  }
  return result;
}

/** @param {Cashier} cashier */
async function afterLogin(cashier) {
  setState({ cashier });
  const session = await currentSession();
  if (session) {
    await enterSale(session);
    // A close that was started goes on where it was: no new sales until it is done.
    if (session.state === "closing") setState({ view: "close" });
    return;
  }
  // None here: maybe the server has one open for this terminal (the browser's data was
  // lost, or another PC of the same till opened it). Adopt it rather than fail to open.
  const token = await pairingToken();
  const places = getState().config?.currency_places;
  if (token && places !== undefined) {
    try {
      const open = await api("sessions/current", { token, timeout: 5_000 });
      /** @type {CashSession} */
      const adopted = {
        uuid: open.uuid,
        cashierId: open.opened_by,
        openedAt: open.opened_at,
        openingFloat: parseAmount(open.opening_float, places),
        state: "open",
        cashIn: 0,
        changeOut: 0,
        orders: 0,
        sales: 0,
        adopted: true,
      };
      await data.saveSession(runtime.db, adopted);
      await data.setMeta(runtime.db, data.META.currentSession, adopted.uuid);
      await enterSale(adopted);
      return;
    } catch {
      // 404 no_open_session or offline: open one here.
    }
  }
  const z = await lastZ().catch(() => null);
  setState({ phase: "float", suggestedFloat: z?.cash?.suggested_float ?? null });
}

/** @returns {Promise<CashSession | null>} the open session of this terminal */
async function currentSession() {
  const uuid = await data.getMeta(runtime.db, data.META.currentSession);
  if (!uuid) return null;
  const session = await data.getSession(runtime.db, uuid);
  return session?.state === "open" || session?.state === "closing" ? session : null;
}

/** Lock the till: back to the PIN screen (the open orders stay); the journal has a LOGOUT. */
export async function logout() {
  const { cashier } = getState();
  sessionStorage.removeItem(LOGIN_KEY);
  setState({ cashier: null, phase: "login", view: "sale", dialog: null, menu: false });
  if (cashier)
    await record([{ type: "LOGOUT" }], { id: cashier.id, name: cashier.name }).catch((error) =>
      toast(t("The journal did not record the logout: {error}", { error: String(error) }), "error"),
    );
}

/** @returns {{cashier: Cashier, config: import("../state/store.js").TerminalConfig}} */
function loggedIn() {
  const { cashier, config } = getState();
  if (!cashier || !config) throw new Error("no cashier logged in");
  return { cashier, config };
}

/**
 * Open a cash session with the counted opening float; queued for the server first, with
 * its SESSION_OPEN entry and the current session in the same transaction.
 * @param {number} openingFloat minor units
 */
export async function openSession(openingFloat) {
  const { cashier, config } = loggedIn();
  /** @type {CashSession} */
  const session = {
    uuid: crypto.randomUUID(),
    cashierId: cashier.id,
    openedAt: cart.localIsoString(new Date()),
    openingFloat,
    state: "open",
    cashIn: 0,
    changeOut: 0,
    orders: 0,
    sales: 0,
  };
  await data.outboxAdd(
    runtime.db,
    {
      uuid: session.uuid,
      kind: "session_open",
      createdAt: session.openedAt,
      payload: {
        uuid: session.uuid,
        cashier_id: cashier.id,
        opened_at: session.openedAt,
        opening_float: formatAmount(openingFloat, config.currency_places),
      },
    },
    {
      session,
      meta: { [data.META.currentSession]: session.uuid },
      journal: journalWrite([
        { type: "SESSION_OPEN", payload: sessionOpenPayload(session.uuid, openingFloat, config.currency_places) },
      ]),
    },
  );
  journalChanged();
  emit("session.opened", { session });
  await enterSale(session);
}
