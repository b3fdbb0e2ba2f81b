// @ts-check
/** The status bar, always visible: online, to sync, rejected, last sync, devices, cashier, menu. */
import { t } from "../domain/i18n.js";
import { faultText, printerSummary } from "../domain/hardware.js";
import { setState } from "../state/store.js";
import { clock } from "./components.js";
import { html } from "./html.js";
import { useStore } from "./store.js";

export function StatusBar() {
  const { config, cashier, sync, counts, phase, swUpdate } = useStore();
  const online = sync.online;
  const statusText = sync.authError
    ? t("Not authorised")
    : online === null
      ? t("Connecting…")
      : online
        ? t("Online")
        : t("Offline");
  const statusClass = sync.authError ? "bad" : online === null ? "unknown" : online ? "good" : "bad";
  return html`<header class="statusbar">
    <div class="brand"><span class="logo">K</span><span class="brand-text">${config ? `${config.store_name} · ${config.name}` : "Kassa"}</span></div>
    <div class="status-items">
      ${swUpdate ? html`<button type="button" class="pill pill-update" onClick=${() => location.reload()}>${t("Update ready · reload")}</button>` : null}
      ${
        config
          ? html`<span class=${`pill pill-${statusClass}`} data-test="online" data-online=${String(online)}><span class="led"></span>${statusText}</span>
            <button type="button" class=${`pill ${counts.pending ? "pill-warn" : "pill-plain"}`} data-test="pending" data-pending=${counts.pending}
              onClick=${() => phase === "sale" && setState({ view: "outbox" })}>
              ${counts.pending ? t("{count} to sync", { count: counts.pending }) : t("All synced")}
            </button>
            ${
              counts.rejected
                ? html`<button type="button" class="pill pill-bad" data-test="rejected" onClick=${() => phase === "sale" && setState({ view: "outbox" })}>${t("{count} rejected", { count: counts.rejected })}</button>`
                : null
            }
            <span class="sync-time" data-test="last-sync">${t("Last sync {time}", { time: clock(sync.lastSyncAt) })}</span>
            <${DevicesPill} />`
          : null
      }
      ${cashier ? html`<span class="cashier" data-test="cashier">${cashier.name}</span>` : null}
      ${
        phase === "sale" || phase === "float" || phase === "login"
          ? html`<button type="button" class="icon-button menu-button" aria-label=${t("Menu")} data-test="menu" onClick=${() => setState({ menu: true })}>☰</button>`
          : null
      }
    </div>
  </header>`;
}

/** The printer's state (or why the devices cannot be used) and the receipts owed. */
function DevicesPill() {
  const { hw: h } = useStore();
  if (!h?.configured) return null;
  const open = () => setState({ dialog: { kind: "devices" } });
  let level = "unknown";
  let text = t("Devices…");
  if (!h.paired) [level, text] = ["warn", t("Pair devices")];
  else if (h.reachable === false) [level, text] = ["bad", t("Proxy offline")];
  else if (h.status) {
    ({ level, text } = printerSummary(h.status.printer));
    // The summary's words are English (the server hears them too); the cashier reads them translated.
    text = h.status.printer?.fault ? t("Printer: {fault}", { fault: t(faultText(h.status.printer.fault)) }) : t(text);
  }
  const printer = h.status?.printer;
  return html`<button type="button" class=${`pill pill-${level}`}
      data-test="devices" data-paired=${String(Boolean(h.paired))} data-reachable=${String(h.reachable)}
      data-printer=${printer ? (printer.fault ?? printer.state) : "unknown"} onClick=${open}><span class="led"></span>${text}</button>
    ${
      h.owed
        ? html`<button type="button" class="pill pill-warn" data-test="owed" data-owed=${h.owed} onClick=${open}>${h.owed === 1 ? t("1 receipt owed") : t("{count} receipts owed", { count: h.owed })}</button>`
        : null
    }`;
}
