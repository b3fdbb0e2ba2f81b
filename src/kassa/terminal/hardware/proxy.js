// @ts-check
/**
 * The till's hardware through the hardware proxy on this PC (docs/proxy.md): receipts,
 * the cash drawer, the customer display and the proxy's scanner. A device adapter: it
 * listens to the bus (state/events.js) and publishes what the devices did on it, so the
 * sale never waits for a device, a device never loses a sale, and no screen is imported.
 *
 * - The proxy is the terminal configuration's `proxy_url` ("same-origin": the proxy that
 *   served this page, http://127.0.0.1:8765/pos/); its own API is under `/proxy/v1/`, its
 *   `/api/v1/` being the server's, forwarded. The terminal pairs with it once
 *   (the code from the proxy's status page) and keeps `{url, token}` in IndexedDB
 *   (`meta.proxyPairing`); a 401 forgets the token and asks to pair again.
 * - A receipt is **owed** from the moment its order is durably finished: the sale's own
 *   orderFinish transaction stores it with `print: {owed: true}`. It stops being owed when
 *   the proxy reports its job `printed`. Owed receipts are sent again (same key: the order
 *   uuid, so the proxy never prints one twice) when the proxy is back, at every start, and
 *   on *Print again*.
 * - The drawer kick travels with the sale's first print request only (`open_drawer`); the
 *   proxy kicks at once with a real-time pulse when the receipt must wait for a fault. A
 *   receipt sent again later never opens the drawer.
 * - Device state comes from `GET status` and then the proxy's server-sent events (printer,
 *   job, drawer, scan); a scan is published as `scan.received`, which ui/scanner.js hands
 *   to the same handler as a keyboard-wedge scan.
 * - The customer display shows the lines domain/display.js makes (`POST display`); the
 *   proxy adds no text of its own but its welcome frame.
 * - The entry point (app.js) hands in the database and the cashier's messages
 *   (`installHardware`).
 */
import { t } from "../domain/i18n.js";
import { amountDue, hasLines, pricedLines, totals } from "../domain/cart.js";
import { changeFrame, displaySize, itemFrame, refundFrame, totalFrame } from "../domain/display.js";
import { errorFromBody } from "../domain/errors.js";
import { PROXY_API, faultText, opensDrawer, proxyOrigin } from "../domain/hardware.js";
import { receiptDocument } from "../domain/receipt.js";
import * as data from "../data/db.js";
import { emit, on } from "../state/events.js";
import { getState, setState } from "../state/store.js";

const RETRY_MS = 3000;

export class ProxyError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
export class ProxyDown extends Error {}

/** @typedef {{database: () => any, toast: (message: string, kind?: "info" | "error") => void}} HardwareDeps */

/** What the entry point hands in: the open database (null before boot) and the messages. */
/** @type {HardwareDeps} */
let deps = { database: () => null, toast: () => {} };

/** @param {string} message @param {"info" | "error"} [kind] */
function toast(message, kind) {
  deps.toast(message, kind);
}

function database() {
  return deps.database();
}

/** @type {{url: string, token: string | null}} */
let link = { url: "", token: null };
/** @type {EventSource | null} */
let events = null;
/** @type {ReturnType<typeof setInterval> | null} */
let timer = null;
/** Owed receipts by order uuid (the receipts as kept in IndexedDB). */
const owed = new Map();
/** Jobs known to be printed or failed: a late answer about them does not undo that. */
const finalJobs = new Set();
/**
 * Job events received per receipt (order uuid): the answer to a print request tells the
 * job's state when it was queued, so an event that came in while the request was under
 * way is newer, and the late answer must not overwrite it (paper out → "Printing…").
 * @type {Map<string, number>}
 */
const jobEvents = new Map();
/** Receipts whose "not printed" message was shown for this fault already. */
const told = new Map();
let flushing = false;

/** @param {Partial<import("../state/store.js").HardwareState>} change */
function setHw(change) {
  setState((s) => ({ hw: { ...s.hw, ...change } }));
}

/**
 * @param {string} uuid
 * @param {import("../state/store.js").PrintState & {copy?: boolean}} change  `copy`: the
 *   paper last sent for it is the marked copy (the receipt screen previews that one)
 */
function setPrint(uuid, change) {
  setState((s) => ({ hw: { ...s.hw, prints: { ...s.hw.prints, [uuid]: { ...s.hw.prints[uuid], ...change } } } }));
}

function publishOwed() {
  setHw({ owed: owed.size });
}

/**
 * `targetAddressSpace` tells Chrome's Local Network Access which address space the proxy is
 * in (a page served from the LAN or the internet calling this PC's loopback).
 * @param {string} url
 */
function addressSpace(url) {
  const host = new URL(url).hostname;
  return ["127.0.0.1", "localhost", "[::1]"].includes(host) ? "loopback" : "local";
}

/**
 * @param {string} path   after /proxy/v1/
 * @param {{method?: string, body?: unknown, auth?: boolean, timeout?: number}} [options]
 */
export async function proxyRequest(path, { method, body, auth = true, timeout = 5000 } = {}) {
  if (!link.url) throw new ProxyDown("no proxy configured");
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (auth && link.token) headers.Authorization = `Bearer ${link.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(
      `${link.url}/${PROXY_API}/${path}`,
      /** @type {any} */ ({
        method: method ?? (body === undefined ? "GET" : "POST"),
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        mode: "cors",
        credentials: "omit",
        signal: AbortSignal.timeout(timeout),
        targetAddressSpace: addressSpace(link.url),
      }),
    );
  } catch (error) {
    setHw({ reachable: false });
    throw new ProxyDown(error instanceof Error ? error.message : String(error));
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const { code, message } = errorFromBody(answer, response.status);
    const error = new ProxyError(response.status, code, message);
    if (response.status === 401 && auth) await forget();
    throw error;
  }
  return answer;
}

// ---------------------------------------------------------------- connection

/** Start with the terminal's configuration (called on every `terminal.ready`). */
async function connect() {
  const config = getState().config;
  const url = proxyOrigin(config?.proxy_url, location.origin);
  const db = database();
  const pairing = db ? await data.getMeta(db, data.META.proxyPairing) : null;
  const token = pairing && pairing.url === url ? pairing.token : null;
  if (url === link.url && token === link.token && timer) return;
  closeEvents();
  link = { url, token };
  setHw({
    url,
    configured: Boolean(url),
    paired: Boolean(token),
    reachable: null,
    status: null,
    owed: owed.size,
    prints: getState().hw?.prints ?? {},
  });
  if (db) for (const receipt of await data.receiptsOwed(db)) owed.set(receipt.uuid, receipt);
  publishOwed();
  if (!url) return;
  if (!timer) timer = setInterval(tick, RETRY_MS);
  await tick();
}

/** Every few seconds: reach the proxy, open the event stream, send what is owed. */
async function tick() {
  if (!link.url) return;
  if (!events || events.readyState === EventSource.CLOSED) {
    await refreshStatus();
    if (link.token && getState().hw?.reachable) openEvents();
  }
  if (getState().hw?.reachable && link.token && owed.size) await flushOwed();
}

export async function refreshStatus() {
  try {
    const status = await proxyRequest("status", { auth: false, timeout: 3000 });
    setHw({ reachable: true, status });
  } catch {
    setHw({ reachable: false });
  }
}

function openEvents() {
  closeEvents();
  const source = new EventSource(`${link.url}/${PROXY_API}/events?token=${encodeURIComponent(link.token ?? "")}`);
  events = source;
  source.onopen = () => {
    setHw({ reachable: true, live: true });
    refreshStatus();
    flushOwed();
  };
  source.onerror = () => {
    setHw({ live: false });
    if (source.readyState === EventSource.CLOSED) {
      // Refused (401/403) or not an event stream: find out why with a plain request.
      events = null;
      proxyRequest("jobs?limit=1").catch(() => {});
    } else {
      setHw({ reachable: false }); // the proxy went away; EventSource reconnects by itself
    }
  };
  source.addEventListener("scan", (event) => {
    const { code } = JSON.parse(/** @type {MessageEvent} */ (event).data);
    // Every open tab has its own stream: only the one the cashier sees takes the scan.
    if (code && document.visibilityState === "visible") emit("scan.received", { code: String(code), source: "proxy" });
  });
  source.addEventListener("printer", (event) => {
    const printer = JSON.parse(/** @type {MessageEvent} */ (event).data);
    const status = getState().hw?.status ?? {};
    setHw({ status: { ...status, printer: { ...status.printer, ...printer } } });
    if (!printer.fault && owed.size) flushOwed();
  });
  source.addEventListener("job", (event) => {
    const job = JSON.parse(/** @type {MessageEvent} */ (event).data);
    if (job.key) jobEvents.set(job.key, (jobEvents.get(job.key) ?? 0) + 1);
    if (job.key && (owed.has(job.key) || getState().hw?.prints?.[job.key])) jobSeen(job.key, job);
  });
  source.addEventListener("drawer", (event) => {
    const drawer = JSON.parse(/** @type {MessageEvent} */ (event).data);
    setHw({ lastDrawer: drawer });
    if (!drawer.opened)
      toast(t("The drawer did not open ({reason}). Open it with the key.", { reason: drawer.reason }), "error");
  });
}

function closeEvents() {
  events?.close();
  events = null;
}

async function forget() {
  closeEvents();
  link = { ...link, token: null };
  const db = database();
  if (db) await data.setMeta(db, data.META.proxyPairing, null);
  setHw({ paired: false, live: false });
  toast(t("The hardware proxy does not know this terminal any more: pair the devices again."), "error");
}

/**
 * Pair with the proxy using the code on its status page.
 * @param {string} code
 * @returns {Promise<string | null>} an error message, or null when paired
 */
export async function pairProxy(code) {
  try {
    const config = getState().config;
    const label = config ? `${config.name} (${config.code})`.slice(0, 120) : "";
    const { token } = await proxyRequest("pair", { body: { code: code.trim(), label }, auth: false });
    link = { ...link, token };
    const db = database();
    if (db) await data.setMeta(db, data.META.proxyPairing, { url: link.url, token });
    setHw({ paired: true });
    await tick();
    return null;
  } catch (error) {
    if (error instanceof ProxyDown) return t("The hardware proxy at {url} does not answer.", { url: link.url });
    return /** @type {Error} */ (error).message;
  }
}

// ---------------------------------------------------------------- receipts

/**
 * Send a receipt to print. Errors become the receipt's print state, never exceptions.
 * @param {any} receipt
 * @param {{openDrawer?: boolean, reprint?: boolean}} [options]
 */
async function sendReceipt(receipt, { openDrawer = false, reprint = false } = {}) {
  const uuid = receipt.uuid;
  if (!link.url || !link.token) {
    notPrinted(receipt, link.url ? "not_paired" : "not_configured");
    return;
  }
  try {
    // The one document the receipt screen previews too; a reprint carries the copy mark.
    const paper = receiptDocument(receipt, { copy: reprint });
    const eventsBefore = jobEvents.get(uuid) ?? 0;
    const job = await proxyRequest("print/receipt", {
      body: { key: uuid, receipt: paper, open_drawer: openDrawer, reprint },
    });
    // An event about this receipt's job arrived meanwhile: it is newer than this answer.
    if ((jobEvents.get(uuid) ?? 0) !== eventsBefore) return;
    await jobSeen(uuid, job);
  } catch (error) {
    if (error instanceof ProxyDown) notPrinted(receipt, "unreachable");
    else if (error instanceof ProxyError && error.status === 401) notPrinted(receipt, "not_paired");
    else {
      setPrint(uuid, { state: "error", fault: null });
      toast(
        t("Receipt {number} not printed: {problem}", {
          number: receipt.receiptNumber,
          problem: /** @type {Error} */ (error).message,
        }),
        "error",
      );
    }
  }
}

/**
 * A till without devices (no proxy configured, or never paired) sells quietly: the status
 * bar shows that state once; only a paired proxy's trouble is worth a message per sale.
 */
function quiet() {
  return !link.url || !link.token;
}

/** @param {any} receipt @param {string} fault */
function notPrinted(receipt, fault) {
  setPrint(receipt.uuid, { state: "owed", fault });
  if (told.get(receipt.uuid) === fault) return;
  if (fault === "not_configured" || fault === "not_paired") return;
  told.set(receipt.uuid, fault);
  toast(
    t("Receipt not printed: {fault}. It prints when the problem is solved.", { fault: t(faultText(fault)) }),
    "error",
  );
}

/**
 * What the proxy says about a receipt's job.
 * @param {string} uuid
 * @param {{state: string, fault?: string | null, job_id?: string}} job
 */
async function jobSeen(uuid, job) {
  const receipt = owed.get(uuid);
  // The job's "printed" event can overtake the answer to the print request.
  if (job.job_id && finalJobs.has(job.job_id)) return;
  if (job.job_id && (job.state === "printed" || job.state === "failed")) finalJobs.add(job.job_id);
  if (job.state === "printed") {
    setPrint(uuid, { state: "printed", fault: null });
    if (owed.delete(uuid)) {
      told.delete(uuid);
      publishOwed();
      const db = database();
      if (db) await data.receiptSetPrint(db, uuid, { owed: false, printedAt: new Date().toISOString() });
    }
    return;
  }
  if (job.state === "failed") {
    // Part of it may be out: never resent on its own. Print again makes a marked copy.
    setPrint(uuid, { state: "failed", fault: job.fault ?? null });
    if (receipt && told.get(uuid) !== "failed") {
      told.set(uuid, "failed");
      toast(
        t("Receipt {number}: {fault}. Use Print again.", {
          number: receipt.receiptNumber,
          fault: t(faultText(job.fault)),
        }),
        "error",
      );
    }
    if (receipt) owed.set(uuid, { ...receipt, print: { ...receipt.print, failed: true } });
    return;
  }
  if (job.state === "waiting" && receipt) notPrinted(receipt, job.fault ?? "error");
  else setPrint(uuid, { state: job.state === "waiting" ? "owed" : "printing", fault: job.fault ?? null });
}

/** Send every owed receipt again, oldest first (the same key: printed at most once). */
async function flushOwed() {
  if (flushing || !link.token) return;
  flushing = true;
  try {
    for (const receipt of [...owed.values()]) {
      if (receipt.print?.failed) continue;
      await sendReceipt(receipt);
      if (!getState().hw?.reachable) break;
    }
  } finally {
    flushing = false;
  }
}

/** Print what is owed now (status bar). */
export function printOwed() {
  told.clear();
  return tick();
}

/**
 * *Print again*: an owed receipt is sent again under its key (it prints once); a printed
 * one, or one whose printing broke off, is printed as a copy marked as such.
 * @param {any} receipt
 */
export async function reprintReceipt(receipt) {
  const kept = owed.get(receipt.uuid);
  told.delete(receipt.uuid);
  if (kept && !kept.print?.failed) {
    await sendReceipt(kept);
    return;
  }
  // The receipt screen previews the paper that came out last: from now on, the copy.
  setPrint(receipt.uuid, { state: "printing", fault: null, copy: true });
  await sendReceipt(receipt, { reprint: true });
}

/** @param {{receipt: any}} detail */
async function onValidated({ receipt }) {
  const config = getState().config;
  if (!config) return;
  if (!link.url) {
    // No proxy: the browser prints (payment.js); nothing is owed to a device.
    setPrint(receipt.uuid, { state: "owed", fault: "not_configured" });
    return;
  }
  const kept = { ...receipt, print: { owed: true } };
  owed.set(receipt.uuid, kept);
  publishOwed();
  setPrint(receipt.uuid, { state: "printing", fault: null });
  // The receipt was built from this very order: its paid and change are the order's.
  const size = displaySize(getState().hw.status);
  const places = config.currency_places;
  showLines(
    receipt.totals.gross < 0
      ? refundFrame(-receipt.totals.gross, { places, currency: config.currency, ...size })
      : changeFrame({ paid: receipt.paid, change: receipt.change }, { places, ...size }),
  );
  const drawer = opensDrawer(receipt, config.drawer_policy);
  await sendReceipt(kept, { openDrawer: drawer });
  const state = getState().hw?.prints?.[receipt.uuid]?.state;
  if (drawer && state === "owed" && !quiet() && !getState().hw?.reachable) {
    toast(t("The drawer did not open: the hardware proxy is not reachable. Open it with the key."), "error");
  }
}

// ---------------------------------------------------------------- reports and slips

/**
 * Print a document that is not a sale's receipt (an X or Z report, a cash-move slip)
 * under its own key (the proxy prints a key once), and wait for the proxy's answer.
 * @param {string} key
 * @param {import("../domain/receipt_layout.js").ReceiptDocument} document
 * @param {{openDrawer?: boolean, reprint?: boolean}} [options]
 * @returns {Promise<string | null>} why it did not print, or null when the proxy took it
 */
export async function printDocument(key, document, { openDrawer = false, reprint = false } = {}) {
  if (!link.url) return t(faultText("not_configured"));
  if (!link.token) return t(faultText("not_paired"));
  try {
    const job = await proxyRequest("print/receipt", {
      body: { key, receipt: document, open_drawer: openDrawer, reprint },
    });
    if (job.state === "failed") return t(faultText(job.fault ?? "error"));
    return null;
  } catch (error) {
    if (error instanceof ProxyDown) return t(faultText("unreachable"));
    return /** @type {Error} */ (error).message;
  }
}

// ---------------------------------------------------------------- drawer

/**
 * Open the drawer without a sale (a manager; the proxy logs the reason).
 * @param {string} reason
 * @returns {Promise<string | null>} an error message, or null
 */
export async function openDrawer(reason) {
  try {
    await proxyRequest("drawer/open", { body: { reason: reason.slice(0, 200) } });
    toast(t("Drawer opened."), "info");
    return null;
  } catch (error) {
    const message =
      error instanceof ProxyDown ? t("The hardware proxy does not answer.") : /** @type {Error} */ (error).message;
    toast(t("The drawer did not open: {problem}", { problem: message }), "error");
    return message;
  }
}

// ---------------------------------------------------------------- customer display

/** @type {{path: string, body: unknown} | null} */
let displayNext = null;
let displayBusy = false;

/** Whether anything is sent to the customer display: paired, and the proxy has not said it has none. */
function displayWanted() {
  return Boolean(link.token) && getState().hw?.status?.display?.configured !== false;
}

/**
 * Show something on the customer display; only the latest wish is sent when the display
 * is slower than the cashier.
 * @param {"display" | "display/welcome" | "display/clear"} path
 * @param {unknown} body
 */
function display(path, body) {
  if (!displayWanted()) return;
  displayNext = { path, body };
  if (!displayBusy) pumpDisplay();
}

/**
 * Show the terminal's own lines (domain/display.js).
 * @param {string[]} lines
 */
function showLines(lines) {
  display("display", { lines });
}

async function pumpDisplay() {
  displayBusy = true;
  try {
    while (displayNext) {
      const next = displayNext;
      displayNext = null;
      await proxyRequest(next.path, { body: next.body, timeout: 3000 }).catch(() => {});
    }
  } finally {
    displayBusy = false;
  }
}

/** @param {{order: any}} detail */
function onOrderChanged({ order }) {
  const { view, config } = getState();
  if (view === "receipt" || !config || !displayWanted()) return;
  const places = config.currency_places;
  const size = displaySize(getState().hw.status);
  if (view === "payment") {
    showLines(totalFrame(amountDue(order), { places, currency: config.currency, ...size }));
    return;
  }
  // Voided lines are not the customer's: an order of voided lines only is no order.
  if (!hasLines(order)) {
    display("display/welcome", {});
    return;
  }
  const lines = pricedLines(order);
  const line = lines.find((l) => l.id === order.selectedLineId) ?? lines.at(-1);
  if (!line) return;
  showLines(itemFrame(line, totals(order).gross, { places, ...size }));
}

/**
 * Listen to the till (once per page).
 * @param {HardwareDeps} given
 */
export function installHardware(given) {
  deps = given;
  on("terminal.ready", () => {
    connect().catch((error) => console.warn("hardware proxy", error));
  });
  on("order.changed", onOrderChanged);
  on("payment.screen", ({ order }) => {
    const config = getState().config;
    if (!config) return;
    showLines(
      totalFrame(totals(order).gross, {
        places: config.currency_places,
        currency: config.currency,
        ...displaySize(getState().hw.status),
      }),
    );
  });
  on("order.validated", (detail) => {
    onValidated(detail).catch((error) => console.error("printing", error));
  });
  on("receipt.reprint", ({ receipt }) => {
    reprintReceipt(receipt).catch((error) => console.error("reprint", error));
  });
  on("receipt.done", () => display("display/welcome", {}));
  on("session.closed", () => display("display/welcome", {}));
}
