// @ts-check
/**
 * Start and pairing: open the database, pair with the server, the first catalog download,
 * the catalog and its search index in memory, the journal's start (and a wiped till's
 * recovery from the proxy's mirror), the sync loop and the catalog refreshes.
 */
import {
  INDEX_FORMAT,
  applyCatalogChanges,
  buildSearchIndex,
  productCount,
  restoreSearchIndex,
  storableSearchIndex,
} from "../domain/search.js";
import { tillStatus } from "../domain/hardware.js";
import * as data from "../data/db.js";
import { ApiError, NetworkError, api } from "../sync/api.js";
import { catalogDownload, catalogUpdate, staffAndConfigUpdate } from "../sync/catalog.js";
import { startSyncLoop } from "../sync/outbox.js";
import { emit } from "../state/events.js";
import { getState, setState } from "../state/store.js";
import { channel, pairingToken, runtime } from "./context.js";
import { pairDevices } from "./devices.js";
import { ensureJournal, journalAtPairing, recordReachable, refreshJournal, resumeChain } from "./journal.js";
import { toast } from "./messages.js";
import { refreshOpenOrders } from "./order.js";
import { refreshCounts } from "./outbox.js";
import { pullRecent } from "./refund.js";
import { resumeLogin } from "./session.js";

/** @typedef {import("../state/store.js").Cashier} Cashier */
/** @typedef {import("../sync/catalog.js").CatalogSnapshot & {base: number}} RunningCatalog */

/** The catalog the till sells from, with its stored index's token (null before it is loaded). */
/** @type {RunningCatalog | null} */
let running = null;

/** Open the database and decide the first screen. */
export async function boot() {
  try {
    runtime.db = await data.openTerminalDb({ onBlocking: () => location.reload() });
  } catch (error) {
    setState({ phase: "fatal", fatal: `The terminal's storage cannot be opened: ${error}` });
    return;
  }
  channel?.addEventListener("message", (event) => {
    if (event.data?.type === "catalog") reloadCatalog();
    if (event.data?.type === "orders") refreshOpenOrders();
  });
  const pairing = await data.getMeta(runtime.db, data.META.pairing);
  if (!pairing) {
    setState({ phase: "pair" });
    return;
  }
  await start();
}

/** The journal key's registration of a pairing just made, which the chain's start awaits. */
let pairingJournal = Promise.resolve();

async function start() {
  const db = runtime.db;
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
  if (!(await reloadCatalog(downloaded ?? undefined))) {
    // A stored catalog this terminal cannot read (an index of another format): download it.
    downloaded = await download();
    if (!downloaded || !(await reloadCatalog(downloaded))) return;
  }
  await refreshCounts();
  await journalThenReady();
}

/**
 * Before the first login: the chain starts (or says it was recovered) before anything else
 * is journalled. A wiped till whose chain the server has, with a hardware proxy, first
 * needs the proxy's pairing code to read the mirror: the pairing screen asks for it (or
 * for Skip), and nothing is sold until the chain continues (`recoverJournal`,
 * `skipJournalRecovery`). A failure is logged; every later entry needs the key, so it is
 * tried again at the next start.
 */
async function journalThenReady() {
  const started = performance.now();
  await pairingJournal;
  const journal = await ensureJournal().catch((error) => {
    console.error("journal", error);
    return "ready";
  });
  performance.measure("kassa:journal-start", { start: started, end: performance.now() });
  if (journal === "proxy_code") {
    setState({ phase: "pair", recovery: { error: null } });
    emit("terminal.ready", { config: getState().config }); // the hardware adapter finds the proxy
    return;
  }
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
  const started = performance.now();
  try {
    const result = await api("pair", {
      body: { code: code.trim().toUpperCase(), label: navigator.userAgent.slice(0, 200) },
    });
    await data.setMeta(runtime.db, data.META.pairing, { token: result.token, terminalId: result.terminal.id });
    await data.setMeta(runtime.db, data.META.terminalConfig, result.terminal);
    await data.putPaymentMethods(runtime.db, result.terminal.payment_methods);
    setState({ config: result.terminal });
    // A new pairing signs with a new key, registered while the catalog downloads (the chain
    // starts only after both, in journalThenReady).
    pairingJournal = journalAtPairing()
      .catch((error) => console.error("journal key", error))
      .then(() => {
        performance.measure("kassa:pairing-journal", { start: started, end: performance.now() });
      });
    performance.measure("kassa:pairing", { start: started, end: performance.now() });
    setState({ busy: false });
    await start();
  } catch (error) {
    const message =
      error instanceof ApiError
        ? error.message
        : error instanceof NetworkError
          ? "The server cannot be reached."
          : String(error);
    setState({ busy: false, pairError: message });
  }
}

/**
 * Recover the journal from the hardware proxy's mirror: pair with the proxy (the code on
 * its status page; none when it is paired already), read the entries after the server's
 * head, keep them and continue the chain with a JOURNAL_RESUME (or, when the mirror has
 * none, a declared loss). On an error the pairing screen says why and asks again.
 * @param {string} code
 */
export async function recoverJournal(code) {
  setState({ busy: true, recovery: { error: null } });
  const error = getState().hw?.paired && !code.trim() ? null : await pairDevices(code);
  if (error) {
    setState({ busy: false, recovery: { error } });
    return;
  }
  try {
    await resumeChain({ mirror: true });
  } catch (failure) {
    const message = /** @type {Error} */ (failure).message ?? String(failure);
    setState({ busy: false, recovery: { error: `The hardware proxy's journal could not be read: ${message}` } });
    return;
  }
  setState({ busy: false, recovery: null });
  await journalThenReady();
}

/** The cashier skips the mirror: entries that never reached the server are declared lost. */
export async function skipJournalRecovery() {
  setState({ busy: true, recovery: { error: null } });
  try {
    await resumeChain({ mirror: false });
  } catch (failure) {
    setState({ busy: false, recovery: { error: String(/** @type {Error} */ (failure).message ?? failure) } });
    return;
  }
  setState({ busy: false, recovery: null });
  await journalThenReady();
}

/**
 * First full download, with the progress bar: the sale screen opens only once every product
 * is indexed and stored.
 * @returns {Promise<import("../sync/catalog.js").CatalogSnapshot | null>} the catalog, or null
 */
async function download() {
  setState({ phase: "download", download: { step: "products", loaded: 0, total: null, error: null } });
  const token = await pairingToken();
  try {
    if (!token) throw new Error("not paired");
    const started = performance.now();
    // Side by side: the configuration and cashiers are small, and waiting for them before
    // the catalog made each first download a round trip or two longer.
    const [, catalog] = await Promise.all([
      staffAndConfigUpdate(runtime.db, token).then(({ config }) => setState({ config })),
      catalogDownload(runtime.db, token, (progress) => setState({ download: { ...progress, error: null } })),
    ]);
    performance.measure("kassa:catalog-download", { start: started, end: performance.now() });
    return catalog;
  } catch (error) {
    const message =
      error instanceof NetworkError
        ? "The server cannot be reached."
        : String(/** @type {any} */ (error).message ?? error);
    const progress = getState().download ?? { step: "products", loaded: 0, total: null, error: null };
    setState({ download: { ...progress, error: message } });
    return null;
  }
}

/** Retry the first download after a failure. */
export async function retryDownload() {
  await start();
}

/**
 * Put a catalog in the till's state: one just downloaded or updated, else the one stored in
 * IndexedDB (its index read back as stored, the changes since applied in place). A till
 * upgraded from IndexedDB version 4 or before has products but no index: it is built from them once
 * and stored.
 * @param {import("../sync/catalog.js").CatalogSnapshot & {base?: number}} [fresh]
 * @returns {Promise<boolean>} false when the stored catalog cannot be read (download it again)
 */
export async function reloadCatalog(fresh) {
  const db = runtime.db;
  const started = performance.now();
  const stored = await data.loadCatalog(db, { index: !fresh });
  /** @type {RunningCatalog | null} */
  let catalog = null;
  if (fresh) {
    catalog = { ...fresh, base: fresh.base ?? fresh.token };
  } else if (stored.base && stored.base.format === INDEX_FORMAT && stored.token !== undefined) {
    let index = restoreSearchIndex(stored.base.index);
    let token = stored.base.token;
    const delta = stored.delta;
    if (delta && delta.base === token) {
      index = applyCatalogChanges(index, delta);
      token = delta.token;
    }
    catalog = { index, categories: stored.categories, taxes: stored.taxes, token, base: stored.base.token };
    performance.measure("kassa:index-read", { start: started, end: performance.now() });
  } else if (stored.token !== undefined && !stored.base) {
    const products = await data.productChunksKept(db);
    const read = performance.now();
    const index = buildSearchIndex(products);
    performance.measure("kassa:index-build", { start: read, end: performance.now() });
    const snapshot = { index, categories: stored.categories, taxes: stored.taxes, token: stored.token };
    await data.putCatalogIndex(db, { ...snapshot, index: storableSearchIndex(index), format: INDEX_FORMAT });
    catalog = { ...snapshot, base: stored.token };
  }
  if (!catalog) return false;
  running = catalog;
  const config = getState().config ?? (await data.getMeta(db, data.META.terminalConfig));
  setState({
    config,
    index: catalog.index,
    taxes: new Map(catalog.taxes.map((/** @type {any} */ tax) => [tax.id, tax])),
    categories: catalog.categories,
    cashiers: byName(stored.cashiers),
    methods: config?.payment_methods ?? stored.paymentMethods,
    productCount: productCount(catalog.index),
  });
  return true;
}

/** @param {Cashier[]} cashiers */
function byName(cashiers) {
  return [...cashiers].sort((a, b) => a.name.localeCompare(b.name));
}

function startSync() {
  if (runtime.syncLoop) return;
  runtime.syncLoop = startSyncLoop({
    db: runtime.db,
    getToken: pairingToken,
    lastSyncAt: getState().sync.lastSyncAt,
    onStatus: (status) => setState({ sync: status }),
    onOutboxChanged: () => {
      refreshCounts();
    },
    onCatalogCheck: async () => {
      const token = await pairingToken();
      if (token) await refreshFromServer(token);
    },
    onReachable: async (online) => {
      await recordReachable(online);
      pullRecent(online);
    },
    onJournalChanged: () => {
      refreshJournal().catch(() => {});
    },
    getTillStatus: async (synced) => tillStatus(await data.outboxCounts(runtime.db), getState().hw, synced),
  });
}

/**
 * Configuration and cashiers, then what changed in the catalog, from the server (the sync
 * loop's periodic check and the menu's *Update catalog*).
 * @param {string} token
 * @returns {Promise<boolean>} whether the catalog changed
 */
async function refreshFromServer(token) {
  const { config, cashiers } = await staffAndConfigUpdate(runtime.db, token);
  setState({ config, methods: config.payment_methods, cashiers: byName(cashiers) });
  emit("terminal.ready", { config }); // the proxy URL may have changed
  if (!running) return false;
  const started = performance.now();
  const updated = await catalogUpdate(runtime.db, token, running);
  if (!updated) return false;
  running = updated;
  // Applied in place: the next scan or search sees the new prices.
  setState({
    index: updated.index,
    taxes: new Map(updated.taxes.map((/** @type {any} */ tax) => [tax.id, tax])),
    categories: updated.categories,
    productCount: productCount(updated.index),
  });
  performance.measure("kassa:catalog-delta", { start: started, end: performance.now() });
  channel?.postMessage({ type: "catalog" });
  return true;
}

/** Fetch catalog changes now (menu). */
export async function updateCatalog() {
  const token = await pairingToken();
  if (!token) return;
  try {
    const changed = await refreshFromServer(token);
    toast(changed ? "Catalog updated." : "The catalog is up to date.", "info");
  } catch (error) {
    toast(error instanceof NetworkError ? "The server cannot be reached." : String(error), "error");
  }
}
