// @ts-check
/**
 * What the cashier's buttons do: the terminal's flows on top of the pure domain modules,
 * the database and the sync loop. The screens (ui/screens.js) only read the state and call
 * these functions.
 *
 * The one rule that matters most: an order is shown as done only after data/db.js
 * `orderFinish` resolved, i.e. after its outbox entry committed with strict durability.
 */
import * as cart from "../domain/cart.js";
import { DEFAULT_PATTERNS, parseBarcode } from "../domain/barcode.js";
import { formatAmount, formatDiscount, parseAmount, parseDiscount, parseQuantity, parseTyped, typedAmount } from "../domain/money.js";
import { checkPin, createLockoutState, lockoutStatus } from "../domain/pin.js";
import { buildReceipt } from "../domain/receipt.js";
import { INDEX_FORMAT, buildSearchIndex, lookupBarcode, restoreSearchIndex, storableSearchIndex } from "../domain/search.js";
import * as data from "../data/db.js";
import { ApiError, NetworkError, api } from "../sync/api.js";
import { catalogDownload, catalogUpdate, staffAndConfigUpdate } from "../sync/catalog.js";
import { exportFileName, outboxExport } from "../sync/export.js";
import { CHANNEL, startSyncLoop } from "../sync/outbox.js";
import { emit } from "./events.js";
import { getState, setState } from "./store.js";

const LOGIN_KEY = "kassa.cashier"; // sessionStorage: a reload keeps the cashier, a new tab or browser asks the PIN

/** @type {any} */
let db = null;
/** @type {ReturnType<typeof startSyncLoop> | null} */
let syncLoop = null;
/** Writes of the open orders, one after the other, so a late save never undoes a finish. */
let orderWrites = Promise.resolve();
/** Orders finished in this tab: a save still queued for them must not bring them back. */
const finished = new Set();
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;

// ---------------------------------------------------------------- start

setState({
  phase: "boot", view: "sale", toasts: [], dialog: null, menu: false, search: "", categoryId: null,
  numpad: { mode: "qty", buffer: "" }, sync: { online: null, lastSyncAt: null, authError: false, syncing: false },
  counts: { pending: 0, rejected: 0 }, busy: false, config: null, cashier: null, cashiers: [], categories: [],
  methods: [], openOrders: [], order: null, session: null, payBuffer: "",
});

/** The open database, for the hardware module (hardware/proxy.js). */
export function database() {
  return db;
}

/** Open the database and decide the first screen. */
export async function boot() {
  try {
    db = await data.openTerminalDb({ onBlocking: () => location.reload() });
  } catch (error) {
    setState({ phase: "fatal", fatal: `The terminal's storage cannot be opened: ${error}` });
    return;
  }
  channel?.addEventListener("message", (event) => {
    if (event.data?.type === "catalog") reloadCatalog();
    if (event.data?.type === "orders") refreshOpenOrders();
  });
  const pairing = await data.getMeta(db, data.META.pairing);
  if (!pairing) {
    setState({ phase: "pair" });
    return;
  }
  await start();
}

async function start() {
  const [config, token, lastSyncAt] = await Promise.all([
    data.getMeta(db, data.META.terminalConfig),
    data.getMeta(db, data.META.catalogToken),
    data.getMeta(db, data.META.lastSyncAt),
  ]);
  setState({ config, sync: { ...getState().sync, lastSyncAt: lastSyncAt ?? null } });
  /** @type {any} */
  let downloaded = null;
  if (token === undefined) {
    // Paired, but the first download did not finish: do it now (it needs the server).
    downloaded = await download();
    if (!downloaded) return;
  }
  await reloadCatalog(downloaded?.products);
  await refreshCounts();
  startSync();
  requestPersistence();
  emit("terminal.ready", { config: getState().config });
  await resumeLogin();
}

/** Ask the browser not to evict the terminal's data under storage pressure. */
function requestPersistence() {
  navigator.storage?.persist?.().then(
    (persisted) => setState({ persisted }),
    () => setState({ persisted: false }),
  );
}

/**
 * Pair with a code from the back office, then download the catalog.
 * @param {string} code
 */
export async function pair(code) {
  setState({ busy: true, pairError: null });
  try {
    const result = await api("pair", { body: { code: code.trim().toUpperCase(), label: navigator.userAgent.slice(0, 200) } });
    await data.setMeta(db, data.META.pairing, { token: result.token, terminalId: result.terminal.id });
    await data.setMeta(db, data.META.terminalConfig, result.terminal);
    await data.putPaymentMethods(db, result.terminal.payment_methods);
    setState({ config: result.terminal, busy: false });
    await start();
  } catch (error) {
    const message =
      error instanceof ApiError ? error.message : error instanceof NetworkError ? "The server cannot be reached." : String(error);
    setState({ busy: false, pairError: message });
  }
}

/** First full download, with the progress bar. @returns {Promise<any>} the catalog, or null */
async function download() {
  setState({ phase: "download", download: { loaded: 0, total: null, error: null } });
  const token = await getToken();
  try {
    if (!token) throw new Error("not paired");
    await staffAndConfigUpdate(db, token).then(({ config }) => setState({ config }));
    const started = performance.now();
    const catalog = await catalogDownload(db, token, (progress) => setState({ download: { ...progress, error: null } }));
    performance.measure("kassa:catalog-download", { start: started, end: performance.now() });
    return catalog;
  } catch (error) {
    const message = error instanceof NetworkError ? "The server cannot be reached." : String(/** @type {any} */ (error).message ?? error);
    setState({ download: { ...getState().download, error: message } });
    return null;
  }
}

/** Retry the first download after a failure. */
export async function retryDownload() {
  await start();
}

/**
 * Read the catalog from IndexedDB and make the in-memory search index: the stored one when
 * it matches the catalog token, else built (and stored after the screen is ready).
 * `products`: the products just downloaded and stored, to index without reading them back.
 */
export async function reloadCatalog(/** @type {any[] | undefined} */ products) {
  const started = performance.now();
  const [cached, token] = await Promise.all([
    products ? undefined : data.getSearchIndex(db),
    data.getMeta(db, data.META.catalogToken),
  ]);
  const usable = cached && cached.token === token && cached.format === INDEX_FORMAT;
  // Products just downloaded are used as they are, not read back.
  const catalog = await data.loadCatalog(db, { products: !usable && !products });
  const loaded = performance.now();
  const index = usable ? restoreSearchIndex(cached.index) : buildSearchIndex(products ?? catalog.products);
  // Figures for bench/terminal_bench.py and for anyone looking at a slow till.
  performance.measure(usable ? "kassa:index-read" : "kassa:catalog-read", { start: started, end: loaded });
  if (!usable) {
    performance.measure("kassa:index-build", { start: loaded, end: performance.now() });
    if (token !== undefined) {
      // Written when the screen is up: the cashier is not kept waiting for it.
      setTimeout(() => {
        data.putSearchIndex(db, { token, format: INDEX_FORMAT, index: storableSearchIndex(index) }).catch((error) => console.warn("search index not kept", error));
      }, 1000);
    }
  }
  const taxes = new Map(catalog.taxes.map((/** @type {any} */ tax) => [tax.id, tax]));
  const config = getState().config ?? (await data.getMeta(db, data.META.terminalConfig));
  setState({
    config,
    index,
    taxes,
    categories: catalog.categories,
    cashiers: byName(catalog.cashiers),
    methods: config?.payment_methods ?? catalog.paymentMethods,
    productCount: index.products.length,
  });
}

/** @param {any[]} cashiers */
function byName(cashiers) {
  return [...cashiers].sort((a, b) => a.name.localeCompare(b.name));
}

/** @returns {Promise<string | null>} */
async function getToken() {
  const pairing = await data.getMeta(db, data.META.pairing);
  return pairing?.token ?? null;
}

function startSync() {
  if (syncLoop) return;
  syncLoop = startSyncLoop({
    db,
    getToken,
    lastSyncAt: getState().sync.lastSyncAt,
    onStatus: (status) => setState({ sync: status }),
    onOutboxChanged: () => {
      refreshCounts();
    },
    onCatalogCheck: async () => {
      const token = await getToken();
      if (token) await refreshFromServer(token);
    },
  });
}

/**
 * Configuration and cashiers, then what changed in the catalog, from the server (the sync
 * loop's periodic check and the menu's *Update catalog*).
 * @param {string} token
 * @returns {Promise<boolean>} whether the catalog changed
 */
async function refreshFromServer(token) {
  const { config, cashiers } = await staffAndConfigUpdate(db, token);
  setState({ config, methods: config.payment_methods, cashiers: byName(cashiers) });
  emit("terminal.ready", { config }); // the proxy URL may have changed
  const changed = await catalogUpdate(db, token);
  if (changed) {
    channel?.postMessage({ type: "catalog" });
    await reloadCatalog();
  }
  return changed;
}

export async function refreshCounts() {
  if (!db) return;
  setState({ counts: await data.outboxCounts(db) });
}

/** Send the outbox now (menu). */
export function syncNow() {
  syncLoop?.wake();
}

// ---------------------------------------------------------------- login and session

async function resumeLogin() {
  const saved = sessionStorage.getItem(LOGIN_KEY);
  const cashier = saved ? getState().cashiers.find((/** @type {any} */ c) => String(c.id) === saved) : null;
  if (!cashier) {
    setState({ phase: "login", cashier: null });
    return;
  }
  await afterLogin(cashier);
}

/**
 * Check a cashier's PIN against the cached verifier (works offline).
 * @param {any} cashier
 * @param {string} pin
 * @returns {Promise<{ok: boolean, lockedFor?: number}>}
 */
export async function verifyCashierPin(cashier, pin) {
  const key = data.META.lockoutPrefix + cashier.id;
  const state = (await data.getMeta(db, key)) ?? createLockoutState();
  const result = await checkPin({ pin, verifier: cashier.pin_verifier, state, now: Date.now() });
  await data.setMeta(db, key, result.state);
  if (result.ok) return { ok: true };
  return { ok: false, lockedFor: result.locked && result.retryAt ? result.retryAt - Date.now() : 0 };
}

/**
 * How long a cashier is still locked out, in ms (0 when not).
 * @param {any} cashier
 */
export async function lockedFor(cashier) {
  const state = await data.getMeta(db, data.META.lockoutPrefix + cashier.id);
  if (!state) return 0;
  const status = lockoutStatus(state, Date.now());
  return status.locked && status.retryAt ? status.retryAt - Date.now() : 0;
}

/**
 * @param {any} cashier
 * @param {string} pin
 * @returns {Promise<{ok: boolean, lockedFor?: number}>}
 */
export async function login(cashier, pin) {
  const result = await verifyCashierPin(cashier, pin);
  if (result.ok) {
    sessionStorage.setItem(LOGIN_KEY, String(cashier.id));
    await afterLogin(cashier);
  }
  return result;
}

/** @param {any} cashier */
async function afterLogin(cashier) {
  setState({ cashier });
  const session = await currentSession();
  if (session) {
    await enterSale(session);
    return;
  }
  // None here: maybe the server has one open for this terminal (the browser's data was
  // lost, or another PC of the same till opened it). Adopt it rather than fail to open.
  const token = await getToken();
  if (token) {
    try {
      const open = await api("sessions/current", { token, timeout: 5_000 });
      const places = getState().config.currency_places;
      const adopted = {
        uuid: open.uuid, cashierId: open.opened_by, openedAt: open.opened_at,
        openingFloat: parseAmount(open.opening_float, places), state: "open",
        cashIn: 0, changeOut: 0, orders: 0, sales: 0, adopted: true,
      };
      await data.saveSession(db, adopted);
      await data.setMeta(db, data.META.currentSession, adopted.uuid);
      await enterSale(adopted);
      return;
    } catch (error) {
      // 404 no_open_session or offline: open one here.
    }
  }
  setState({ phase: "float" });
}

/** @returns {Promise<any>} the open session of this terminal, or null */
async function currentSession() {
  const uuid = await data.getMeta(db, data.META.currentSession);
  if (!uuid) return null;
  const session = await data.getSession(db, uuid);
  return session?.state === "open" ? session : null;
}

/** Lock the till: back to the PIN screen (the open orders stay). */
export function logout() {
  sessionStorage.removeItem(LOGIN_KEY);
  setState({ cashier: null, phase: "login", view: "sale", dialog: null, menu: false });
}

/**
 * Open a cash session with the counted opening float; queued for the server first.
 * @param {number} openingFloat minor units
 */
export async function openSession(openingFloat) {
  const { cashier, config } = getState();
  const session = {
    uuid: crypto.randomUUID(), cashierId: cashier.id, openedAt: cart.localIsoString(new Date()),
    openingFloat, state: "open", cashIn: 0, changeOut: 0, orders: 0, sales: 0,
  };
  await data.outboxAdd(
    db,
    {
      uuid: session.uuid, kind: "session_open", createdAt: session.openedAt,
      payload: { uuid: session.uuid, cashier_id: cashier.id, opened_at: session.openedAt, opening_float: money(openingFloat, config) },
    },
    { session },
  );
  await data.setMeta(db, data.META.currentSession, session.uuid);
  syncLoop?.notifyQueued();
  emit("session.opened", { session });
  await enterSale(session);
}

/**
 * What the drawer should hold now: the opening float, plus cash taken, minus change given,
 * from the orders finished on this terminal in this session.
 * @param {any} session
 */
export function expectedCash(session) {
  return session.openingFloat + session.cashIn - session.changeOut;
}

/**
 * Close the session with the counted cash; queued for the server.
 * @param {number} counted minor units
 */
export async function closeSession(counted) {
  const { cashier, config, session } = getState();
  const closedAt = cart.localIsoString(new Date());
  const closed = { ...session, state: "closed", closedAt, closedBy: cashier.id, countedCash: counted, expectedCash: expectedCash(session) };
  await data.outboxAdd(
    db,
    {
      uuid: session.uuid, kind: "session_close", createdAt: closedAt,
      payload: { uuid: session.uuid, cashier_id: cashier.id, closed_at: closedAt, counted_cash: money(counted, config) },
    },
    { session: closed },
  );
  await data.setMeta(db, data.META.currentSession, null);
  syncLoop?.notifyQueued();
  emit("session.closed", { session: closed });
  sessionStorage.removeItem(LOGIN_KEY);
  setState({ session: null, cashier: null, phase: "login", view: "sale", lastClosed: closed });
}

/**
 * The open orders kept in the database, oldest first, without those finished (paid or
 * discarded) in this tab whose removal may still be on its way.
 * @returns {Promise<any[]>}
 */
async function loadOpenOrders() {
  const orders = await data.listOrders(db);
  return orders
    .filter((/** @type {any} */ o) => !finished.has(o.uuid))
    .sort((/** @type {any} */ a, /** @type {any} */ b) => (a.openedAt ?? "").localeCompare(b.openedAt ?? ""));
}

/** @param {any} session */
async function enterSale(session) {
  const orders = await loadOpenOrders();
  const current = getState().order;
  const sale = { session, phase: "sale", view: "sale" };
  if (current && !finished.has(current.uuid)) {
    setState({ ...sale, openOrders: orders.filter((/** @type {any} */ o) => o.uuid !== current.uuid) });
  } else if (orders.length) {
    const [last] = orders.splice(orders.length - 1, 1);
    setState({ ...sale, order: last, openOrders: orders });
  } else {
    setState({ ...sale, order: newOrder(), openOrders: [] });
  }
}

async function refreshOpenOrders() {
  if (!db || getState().phase !== "sale") return;
  const current = getState().order;
  const orders = await loadOpenOrders();
  setState({ openOrders: orders.filter((/** @type {any} */ o) => o.uuid !== current?.uuid) });
}

// ---------------------------------------------------------------- the order

/** @returns {cart.Order} */
function newOrder() {
  const order = cart.createOrder({
    newUuid: () => crypto.randomUUID(),
    receiptNumber: "",
    createdAt: cart.localIsoString(new Date()),
    places: getState().config.currency_places,
  });
  // When it was started, to list open orders in order (not part of the synced order).
  return Object.freeze({ ...order, openedAt: order.createdAt });
}

/**
 * Replace the current order and keep it (an empty order is not stored).
 * @param {cart.Order} order
 */
function setOrder(order) {
  setState({ order, numpad: { ...getState().numpad, buffer: "" } });
  persist(order);
  emit("order.changed", { order });
}

/** @param {cart.Order} order */
function persist(order) {
  orderWrites = orderWrites
    .then(() => {
      if (finished.has(order.uuid)) return;
      return order.lines.length || order.note ? data.saveOrder(db, order) : data.deleteOrder(db, order.uuid);
    })
    .then(() => channel?.postMessage({ type: "orders" }))
    .catch((error) => toast(`The order could not be saved: ${error}`, "error"));
}

/**
 * Apply a cart operation to the current order; a refused one becomes a message.
 * @param {(order: cart.Order) => cart.Order} operation
 * @returns {boolean} whether it was applied
 */
function change(operation) {
  try {
    setOrder(operation(getState().order));
    return true;
  } catch (error) {
    toast(cartMessage(error), "error");
    return false;
  }
}

/** @param {unknown} error */
function cartMessage(error) {
  const code = /** @type {any} */ (error)?.code;
  /** @type {Record<string, string>} */
  const messages = {
    quantity: "That quantity is not possible.",
    amount: "That amount is too large.",
    too_many_lines: `An order has at most ${cart.LIMITS.lines} lines.`,
    too_many_payments: `An order has at most ${cart.LIMITS.payments} payments.`,
    non_cash_overpay: "Only cash can be more than the amount due.",
    refund_overpaid: "That pays out more than the refund.",
    payment_sign: "The payment must go the same way as the total.",
    note_too_long: `A note has at most ${cart.LIMITS.noteLength} characters.`,
    discount: "A discount is between 0 and 100 %.",
  };
  return messages[code] ?? String(/** @type {any} */ (error)?.message ?? error);
}

/**
 * Add a product to the current order (tile, search result or scan).
 * @param {any} product
 * @param {{quantity?: number, unitPrice?: number, merge?: boolean}} [options]
 */
export function addToOrder(product, options = {}) {
  const { taxes, view, phase } = getState();
  if (phase !== "sale" || view !== "sale") {
    toast("Finish the payment first, or go back to the order.", "error");
    return;
  }
  if (product.weighed && options.quantity === undefined) {
    setState({ dialog: { kind: "weight", product } });
    return;
  }
  const tax = taxes.get(product.tax_id);
  if (!tax) {
    toast(`${product.name}: its tax is not known on this terminal.`, "error");
    return;
  }
  if (change((order) => cart.addProduct(order, { product, tax, ...options }))) {
    const order = getState().order;
    emit("line.added", { order, line: order.lines.find((/** @type {any} */ l) => l.id === order.selectedLineId) });
  }
}

/**
 * A scanned (or typed) barcode.
 * @param {string} code
 */
export function handleScan(code) {
  const { index, config, phase, dialog } = getState();
  if (phase !== "sale" || !index) {
    toast("Log in to scan.", "error");
    return;
  }
  if (dialog) return; // a dialog has the cashier's attention; the scan is not guessed into it
  const parsed = parseBarcode(code, config.barcode_patterns ?? DEFAULT_PATTERNS, { places: config.currency_places, acceptOther: true });
  if ("error" in parsed) {
    const message = parsed.error === "check_digit" ? `Barcode ${code} was misread (check digit). Scan it again.` : `${code} is not a barcode this till reads.`;
    toast(message, "error");
    emit("scan.error", { code, message });
    return;
  }
  const [product] = lookupBarcode(index, parsed.lookupCode);
  if (!product) {
    const message = `Unknown barcode ${code}.`;
    toast(message, "error");
    emit("scan.error", { code, message });
    return;
  }
  if (parsed.kind === "weight") addToOrder(product, { quantity: parsed.value });
  else if (parsed.kind === "price") addToOrder(product, { quantity: 1000, unitPrice: parsed.value, merge: false });
  else addToOrder(product);
}

/** @param {string | null} lineId */
export function selectLine(lineId) {
  change((order) => cart.selectLine(order, lineId));
}

export function removeSelectedLine() {
  const { order } = getState();
  if (order.selectedLineId) change((o) => cart.removeLine(o, o.selectedLineId));
}

/** @param {string} note */
export function setNote(note) {
  change((order) => cart.setNote(order, note));
}

/** @param {"qty" | "discount" | "price"} mode */
export function setNumpadMode(mode) {
  setState({ numpad: { mode, buffer: "" } });
}

/**
 * A numpad key on the sale screen: edits the buffer; "OK" applies it to the selected line.
 * @param {string} key  "0".."9", ".", "⌫", "C", "±", "OK"
 */
export function numpadKey(key) {
  const { numpad, order } = getState();
  if (key === "OK") {
    applyNumpad();
    return;
  }
  setState({ numpad: { ...numpad, buffer: editBuffer(numpad.buffer, key) } });
  if (!order.selectedLineId) toast("Select a line first.", "error");
}

/**
 * @param {string} buffer
 * @param {string} key
 */
export function editBuffer(buffer, key) {
  if (key === "⌫") return buffer.slice(0, -1);
  if (key === "C") return "";
  if (key === "±") return buffer.startsWith("-") ? buffer.slice(1) : `-${buffer}`;
  if (key === ".") return buffer.includes(".") ? buffer : `${buffer.replace(/^(-?)$/, "$10")}.`;
  if (/^\d$/.test(key)) return buffer.length >= 12 ? buffer : buffer + key;
  return buffer;
}

/**
 * editBuffer for a pad without a sign (cash counted or paid, a weight): "±" does nothing.
 * @param {string} buffer
 * @param {string} key
 */
export function editUnsigned(buffer, key) {
  return editBuffer(buffer, key).replace(/^-/, "");
}

/** Apply the numpad buffer to the selected line (quantity, discount % or price). */
export function applyNumpad() {
  const { numpad, order, config, cashier } = getState();
  const line = order.lines.find((/** @type {any} */ l) => l.id === order.selectedLineId);
  if (!line || !numpad.buffer) return;
  const value =
    numpad.mode === "qty" ? parseTyped(numpad.buffer, parseQuantity)
    : numpad.mode === "discount" ? parseTyped(numpad.buffer, parseDiscount)
    : typedAmount(numpad.buffer, config.currency_places);
  if (value === null) {
    toast(`${numpad.buffer} is not a valid ${numpad.mode === "qty" ? "quantity" : numpad.mode === "discount" ? "discount" : "price"}.`, "error");
    return;
  }
  if (numpad.mode === "qty") {
    if (value === 0) {
      toast("To drop the line, use Remove.", "error");
      return;
    }
    change((o) => cart.setQuantity(o, line.id, value));
    return;
  }
  const lineChange =
    numpad.mode === "discount"
      ? /** @type {cart.LineChange} */ ({ kind: "discount", discount: value })
      : /** @type {cart.LineChange} */ ({ kind: "price", unitPrice: value, listPrice: line.listPrice });
  const apply = (/** @type {number | null} */ approvedBy) =>
    change((o) =>
      numpad.mode === "discount" ? cart.setDiscount(o, line.id, value, { approvedBy }) : cart.setPrice(o, line.id, value, { approvedBy }),
    );
  const discountLimit = parseDiscount(config.discount_limit ?? "0");
  if (!cart.needsManagerApproval(lineChange, { discountLimit })) {
    apply(null);
  } else if (cashier.role === "manager") {
    apply(cashier.id);
  } else {
    setState({
      dialog: {
        kind: "manager",
        reason: numpad.mode === "discount" ? `A discount of ${formatDiscount(value)} % needs a manager.` : "A price change needs a manager.",
        onApproved: (/** @type {any} */ manager) => apply(manager.id),
      },
    });
  }
}

/** Park the current order and start a new one. */
export function newParkedOrder() {
  const { order, openOrders } = getState();
  if (!order.lines.length && !order.note) return;
  setState({ openOrders: [...openOrders, order], search: "" });
  setOrder(newOrder());
}

/**
 * Switch to another open order (the current one is parked).
 * @param {string} uuid
 */
export function resumeOrder(uuid) {
  const { order, openOrders } = getState();
  const target = openOrders.find((/** @type {any} */ o) => o.uuid === uuid);
  if (!target) return;
  const keep = order.lines.length || order.note ? [order] : [];
  setState({ openOrders: [...openOrders.filter((/** @type {any} */ o) => o.uuid !== uuid), ...keep], view: "sale" });
  setOrder(target);
}

/** Drop the current order (after the cashier confirmed). */
export function discardOrder() {
  const { order, openOrders } = getState();
  orderWrites = orderWrites.then(() => data.deleteOrder(db, order.uuid)).catch(() => {});
  finished.add(order.uuid);
  if (openOrders.length) {
    const next = openOrders[openOrders.length - 1];
    setState({ openOrders: openOrders.slice(0, -1) });
    setOrder(next);
  } else {
    setOrder(newOrder());
  }
}

// ---------------------------------------------------------------- payment

export function openPayment() {
  const { order } = getState();
  if (!order.lines.length) {
    toast("The order is empty.", "error");
    return;
  }
  setState({ view: "payment", payBuffer: "" });
  emit("payment.screen", { order });
}

export function closePayment() {
  setState({ view: "sale" });
}

/** @param {string} key */
export function payKey(key) {
  setState({ payBuffer: editUnsigned(getState().payBuffer ?? "", key) });
}

/**
 * Pay with a method: the typed amount, or what is still due.
 * @param {any} method
 * @param {number} [amount] minor units
 */
export function pay(method, amount) {
  const { order, payBuffer, config } = getState();
  let value = amount;
  if (value === undefined) {
    if (payBuffer) {
      const typed = typedAmount(payBuffer, config.currency_places);
      if (typed === null) {
        toast(`${payBuffer} is not an amount.`, "error");
        return;
      }
      value = typed;
    } else {
      value = cart.amountDue(order);
    }
  }
  if (!value) {
    toast("Nothing left to pay.", "error");
    return;
  }
  if (change((o) => cart.addPayment(o, { method, amount: /** @type {number} */ (value) }))) setState({ payBuffer: "" });
}

/** @param {string} paymentId */
export function removePayment(paymentId) {
  change((order) => cart.removePayment(order, paymentId));
}

/**
 * Finish the order: receipt number, outbox entry, session totals and receipt, in one
 * durable transaction; only then the receipt screen.
 */
export async function validate() {
  const state = getState();
  const { order, session, cashier, config, methods } = state;
  if (state.busy || !cart.isFullyPaid(order)) return;
  setState({ busy: true });
  try {
    await orderWrites; // no save of this order may land after the finish
    finished.add(order.uuid);
    const createdAt = cart.localIsoString(new Date());
    /** @type {any} */
    let receipt = null;
    /** @type {any} */
    let payload = null;
    const result = await data.orderFinish(db, {
      prefix: config.receipt_prefix,
      orderUuid: order.uuid,
      sessionUuid: session.uuid,
      createdAt,
      build: (receiptNumber) => {
        const stamped = cart.stampOrder(order, { receiptNumber, createdAt });
        payload = cart.toSyncPayload(stamped, { sessionUuid: session.uuid, cashierId: cashier.id });
        // Owed from this very transaction on when the till has a printer proxy: a crash
        // right after it still knows the customer's receipt is to print (hardware/proxy.js).
        receipt = { ...buildReceipt(stamped, { config, cashier: cashier.name, methods }), print: { owed: Boolean(config.proxy_url) } };
        return { payload, receipt };
      },
      updateSession: (stored) => ({
        ...stored,
        cashIn: stored.cashIn + cart.cashPaid(order),
        changeOut: stored.changeOut + cart.change(order),
        orders: stored.orders + 1,
        sales: stored.sales + cart.totals(order).gross,
      }),
    });
    const { openOrders } = getState();
    setState({ busy: false, session: result.session, view: "receipt", receipt: { ...receipt, receiptNumber: result.receiptNumber }, order: newOrder(), openOrders, search: "" });
    syncLoop?.notifyQueued();
    channel?.postMessage({ type: "orders" });
    emit("order.validated", { order, receipt, payload });
  } catch (error) {
    finished.delete(order.uuid);
    setState({ busy: false });
    toast(`The order could not be stored: ${error}`, "error");
  }
}

/** The receipt screen's "New order". */
export function receiptDone() {
  setState({ view: "sale", receipt: null });
  emit("receipt.done", {});
}

/** Show the last receipt again (menu). */
export async function showLastReceipt() {
  const receipt = await data.getReceipt(db);
  if (!receipt) {
    toast("No receipt yet.", "info");
    return;
  }
  setState({ view: "receipt", receipt, menu: false });
}

/** @param {any} receipt */
export function reprint(receipt) {
  emit("receipt.reprint", { receipt });
  // Without a hardware proxy the browser's print dialog prints the receipt.
  if (!getState().config?.proxy_url) window.print();
}

// ---------------------------------------------------------------- outbox

export async function listOutbox() {
  return data.outboxAll(db);
}

/** @param {string} key */
export async function requeue(key) {
  await data.outboxRequeue(db, key);
  await refreshCounts();
  syncLoop?.notifyQueued();
}

/** Download the unsynced entries as a file for the back office. */
export async function exportOutbox() {
  const { config } = getState();
  const { document: doc, count } = await outboxExport(db, config);
  const blob = new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: exportFileName(config.code) });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  toast(count ? `Exported ${count} unsynced entries.` : "Nothing to export: the outbox is empty.", "info");
}

/** Fetch catalog changes now (menu). */
export async function updateCatalog() {
  const token = await getToken();
  if (!token) return;
  try {
    const changed = await refreshFromServer(token);
    toast(changed ? "Catalog updated." : "The catalog is up to date.", "info");
  } catch (error) {
    toast(error instanceof NetworkError ? "The server cannot be reached." : String(error), "error");
  }
}

// ---------------------------------------------------------------- messages

let toastId = 0;
/**
 * @param {string} message
 * @param {"info" | "error"} [kind]
 */
export function toast(message, kind = "info") {
  const id = ++toastId;
  setState((s) => ({ toasts: [...s.toasts.slice(-3), { id, message, kind }] }));
  setTimeout(() => setState((s) => ({ toasts: s.toasts.filter((/** @type {any} */ t) => t.id !== id) })), kind === "error" ? 5000 : 3000);
  if (kind === "error") beep();
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

/**
 * @param {number} minor
 * @param {any} config
 */
function money(minor, config) {
  return formatAmount(minor, config.currency_places);
}
