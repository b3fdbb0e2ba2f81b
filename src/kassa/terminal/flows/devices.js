// @ts-check
/**
 * What the cashier asks of the till's devices: pair with the hardware proxy, print the
 * owed receipts, open the drawer without a sale (a manager, or a cashier with a manager's
 * PIN; the proxy logs the reason). hardware/proxy.js does the talking.
 */
import { t } from "../domain/i18n.js";
import { drawerPayload } from "../domain/journal.js";
import { openDrawer, pairProxy, printOwed } from "../hardware/proxy.js";
import { getState, setState } from "../state/store.js";
import { authorize, spendApproval } from "./approval.js";
import { record } from "./journal.js";
import { toast } from "./messages.js";

/**
 * @param {string} code  the code on the proxy's status page
 * @returns {Promise<string | null>} an error message, or null when paired
 */
export function pairDevices(code) {
  return pairProxy(code);
}

/** Send every owed receipt again now (Devices dialog). */
export function printOwedReceipts() {
  return printOwed();
}

/**
 * Open the drawer without a sale (NO_SALE), for a reason the journal and the proxy log: at
 * once when the cashier's role allows it, else after an approval (flows/approval.js). The
 * journal's DRAWER_OPEN (the reason's code, and the approver when it is not the cashier)
 * is written before the drawer is asked to open; a drawer that cannot be journalled stays
 * shut.
 * @param {{code: string, label: string}} reason  from the back office's NO_SALE list
 * @param {string} [note]
 */
export function requestDrawer(reason, note = "") {
  const { cashier } = getState();
  if (!cashier || !reason.code) return;
  setState({ dialog: null });
  const why = note.trim() ? `${reason.label}: ${note.trim()}` : reason.label;
  authorize({
    action: "NO_SALE",
    subject: { kind: "drawer" },
    message: t("Opening the drawer without a sale needs an approval."),
    reason: reason.code,
    note: note.trim(),
  }).then((granted) => {
    if (!granted || (granted.approval && !spendApproval(granted.approval))) return;
    const approver = granted.approval?.approver;
    journalledDrawer(
      reason.code,
      approver?.id ?? null,
      approver ? `${why} (${approver.name}, for ${cashier.name})` : `${why} (${cashier.name})`,
    );
  });
}

/**
 * @param {string} reason       as the cashier gave it
 * @param {number | null} approvedBy
 * @param {string} logged       the proxy's log line
 */
async function journalledDrawer(reason, approvedBy, logged) {
  try {
    await record([{ type: "DRAWER_OPEN", payload: drawerPayload(reason, approvedBy) }]);
  } catch (error) {
    toast(t("The drawer stays shut: the journal could not record it ({error}).", { error: String(error) }), "error");
    return;
  }
  await openDrawer(logged);
}
