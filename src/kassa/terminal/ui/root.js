// @ts-check
/**
 * The app's one component: the status bar, the screen of the phase (and of the sale's
 * view), the dialog, the menu and the messages. Screens read the state (ui/store.js) and call
 * the flows (flows/); nothing in ui/ talks to the database, the server or the devices.
 *
 * Touch first: every control is a button of at least 48 px, nothing depends on hover, and
 * the keyboard is optional (a scanner works everywhere, see ui/scanner.js).
 */
import { t } from "../domain/i18n.js";
import { Toasts } from "./components.js";
import { Dialog } from "./dialogs.js";
import { html } from "./html.js";
import { Menu } from "./menu.js";
import { CashScreen } from "./screens/cash.js";
import { CloseScreen } from "./screens/close.js";
import { DownloadScreen } from "./screens/download.js";
import { FloatScreen } from "./screens/float.js";
import { LoginScreen } from "./screens/login.js";
import { OutboxScreen } from "./screens/outbox.js";
import { PairScreen } from "./screens/pair.js";
import { PaymentScreen } from "./screens/payment.js";
import { ReceiptScreen } from "./screens/receipt.js";
import { RefundScreen } from "./screens/refund.js";
import { SaleScreen } from "./screens/sale.js";
import { XReportScreen } from "./screens/xreport.js";
import { StatusBar } from "./status_bar.js";
import { useStore } from "./store.js";

export function App() {
  const state = useStore();
  let screen;
  switch (state.phase) {
    case "pair":
      screen = html`<${PairScreen} />`;
      break;
    case "download":
      screen = html`<${DownloadScreen} />`;
      break;
    case "login":
      screen = html`<${LoginScreen} />`;
      break;
    case "float":
      screen = html`<${FloatScreen} />`;
      break;
    case "sale": {
      // A close that was started stops new sales: only its own screens stay reachable.
      const closing = state.session?.state === "closing" && !CLOSING_VIEWS.has(state.view);
      screen = html`<${SALE_VIEWS.get(closing ? "close" : state.view) ?? SaleScreen} />`;
      break;
    }
    case "fatal":
      screen = html`<div class="center-screen"><div class="card"><h1>${t("Kassa cannot start")}</h1><p>${state.fatal}</p></div></div>`;
      break;
    default:
      screen = html`<div class="center-screen"><div class="spinner" aria-label=${t("Loading")}></div></div>`;
  }
  return html`<div class="app" data-phase=${state.phase} data-view=${state.view}>
    <${StatusBar} />
    <main class="screen">${screen}</main>
    ${state.dialog ? html`<${Dialog} dialog=${state.dialog} />` : null}
    ${state.menu ? html`<${Menu} />` : null}
    <${Toasts} />
  </div>`;
}

/** The screens of the sale phase by `state.view`; any other view is the sale screen. */
const SALE_VIEWS = new Map([
  ["payment", PaymentScreen],
  ["receipt", ReceiptScreen],
  ["close", CloseScreen],
  ["outbox", OutboxScreen],
  ["cash", CashScreen],
  ["xreport", XReportScreen],
  ["refund", RefundScreen],
]);

/** The views a till in the middle of its close may show. */
const CLOSING_VIEWS = new Set(["close", "cash", "xreport", "outbox"]);
