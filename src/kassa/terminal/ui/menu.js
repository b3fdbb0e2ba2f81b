// @ts-check
/** The menu drawer (status bar's ☰). */
import { t } from "../domain/i18n.js";
import { setState } from "../state/store.js";
import { exportOutbox, syncNow } from "../flows/outbox.js";
import { showLastReceipt } from "../flows/payment.js";
import { reprintLastZ, startClose, xReport } from "../flows/close.js";
import { openRefund } from "../flows/refund.js";
import { logout } from "../flows/session.js";
import { updateCatalog } from "../flows/start.js";
import { html } from "./html.js";
import { useStore } from "./store.js";

async function showX() {
  const x = await xReport();
  if (x) setState({ view: "xreport", xReport: x });
}

export function Menu() {
  const { phase, session } = useStore();
  const close = () => setState({ menu: false });
  const item = (/** @type {string} */ label, /** @type {() => void} */ action, /** @type {boolean} */ enabled = true) =>
    html`<button type="button" class="menu-item" disabled=${!enabled} onClick=${() => {
      close();
      action();
    }}>${label}</button>`;
  return html`<div class="backdrop" onClick=${(/** @type {MouseEvent} */ e) => e.target === e.currentTarget && close()}>
    <nav class="drawer" aria-label=${t("Menu")} data-test="menu-drawer">
      <header class="modal-head"><h2>${t("Menu")}</h2><button type="button" class="icon-button" aria-label=${t("Close")} onClick=${close}>✕</button></header>
      ${item(t("Sync now"), syncNow)}
      ${item(t("Unsynced orders"), () => setState({ view: "outbox" }), phase === "sale")}
      ${item(t("Export unsynced orders"), exportOutbox)}
      ${item(t("Last receipt"), showLastReceipt, phase === "sale")}
      ${item(t("Refund or return"), openRefund, phase === "sale")}
      ${item(t("Update catalog"), updateCatalog)}
      ${item(t("Devices"), () => setState({ dialog: { kind: "devices" } }))}
      ${item(t("Open drawer"), () => setState({ dialog: { kind: "drawer" } }), phase === "sale")}
      ${item(t("Cash in / out / drop"), () => setState({ view: "cash" }), phase === "sale" && Boolean(session))}
      ${item(t("X report"), showX, phase === "sale" && Boolean(session))}
      ${item(t("Close cash session"), startClose, phase === "sale" && Boolean(session))}
      ${item(t("Reprint last Z"), reprintLastZ)}
      ${item(t("Lock (change cashier)"), logout, phase === "sale" || phase === "float")}
    </nav>
  </div>`;
}
