// @ts-check
/**
 * The till's hardware rules, as pure functions: whether a sale opens the drawer, and the
 * cashier's words for the proxy's printer faults. The receipt the proxy prints is
 * domain/receipt.js's `receiptDocument`; the customer display's frames are
 * domain/display.js's. No DOM, no I/O.
 */

/** The proxy's own API, under its origin (docs/proxy.md); its /api/v1/ is the server's. */
export const PROXY_API = "proxy/v1";

/**
 * The hardware proxy's origin from the terminal configuration's `proxy_url`: "" for none,
 * the page's own origin for "same-origin" (the till opened from its proxy's /pos/), else
 * the URL without trailing slashes.
 * @param {string | null | undefined} proxyUrl
 * @param {string} pageOrigin  location.origin
 */
export function proxyOrigin(proxyUrl, pageOrigin) {
  const url = String(proxyUrl ?? "")
    .trim()
    .replace(/\/+$/, "");
  return url === "same-origin" ? pageOrigin : url;
}

/**
 * Does this sale open the drawer? `drawer_policy` of the terminal: "cash" (when a cash
 * payment is in it), "always" or "never".
 * @param {import("./receipt.js").Receipt} receipt
 * @param {string | undefined} policy
 */
export function opensDrawer(receipt, policy) {
  if (policy === "never") return false;
  if (policy === "always") return true;
  return receipt.payments.some((payment) => payment.isCash);
}

/** The proxy's printer faults (docs/proxy.md) in the cashier's words. */
export const FAULT_TEXT = Object.freeze({
  paper_out: "paper out",
  cover_open: "printer cover open",
  offline: "printer offline",
  no_answer: "printer not answering",
  error: "printer error",
  write_interrupted: "printing was interrupted",
  interrupted: "printing was interrupted",
  unreachable: "the hardware proxy is not reachable",
  not_paired: "the terminal is not paired with its hardware proxy",
  not_configured: "no printer is set up",
});

/** @param {string | null | undefined} fault */
export function faultText(fault) {
  return (fault && /** @type {Record<string, string>} */ (FAULT_TEXT)[fault]) || fault || "unknown problem";
}

/**
 * The printer's state in one word for the status bar, from the proxy's status.printer.
 * @param {any} printer
 * @returns {{level: "good" | "warn" | "bad" | "unknown", text: string}}
 */
export function printerSummary(printer) {
  if (!printer || printer.configured === false) return { level: "unknown", text: "No printer" };
  if (printer.fault) return { level: "bad", text: `Printer: ${faultText(printer.fault)}` };
  if (printer.paper === "near_end") return { level: "warn", text: "Paper low" };
  if (printer.state === "online") return { level: "good", text: "Printer ready" };
  return { level: "unknown", text: "Printer unknown" };
}

/**
 * What the till tells the server of itself after a sync round (`POST terminal/status`):
 * the outbox's counts, the printer in one word and the receipts owed.
 * @param {{pending: number, rejected: number}} counts
 * @param {{configured?: boolean, reachable?: boolean | null, status?: any, owed?: number} | null | undefined} hw
 * @param {boolean} synced  the outbox was just sent whole
 */
export function tillStatus(counts, hw, synced) {
  let printer = printerSummary(hw?.status?.printer);
  if (hw?.configured && hw.reachable === false)
    printer = { level: "bad", text: `Printer: ${faultText("unreachable")}` };
  return {
    synced,
    pending: counts.pending,
    rejected: counts.rejected,
    printer: printer.level,
    printer_text: printer.text,
    receipts_owed: hw?.owed ?? 0,
  };
}
