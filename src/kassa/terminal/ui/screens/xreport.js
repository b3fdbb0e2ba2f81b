// @ts-check
/** The X report: the session so far, as the Z would say it now; printed on request, never stored. */
import { t } from "../../domain/i18n.js";
import { zDocument } from "../../domain/z_receipt.js";
import { closeSettings, printXReport } from "../../flows/close.js";
import { setState } from "../../state/store.js";
import { html, useState } from "../html.js";
import { ReceiptPreview } from "../receipt_preview.js";
import { saleState, useStore } from "../store.js";

export function XReportScreen() {
  const state = useStore();
  const { config } = saleState(state);
  const x = state.xReport;
  const [busy, setBusy] = useState(false);
  if (!x) return null;
  const print = async () => {
    setBusy(true);
    await printXReport(x);
    setBusy(false);
  };
  return html`<div class="center-screen">
    <div class="card" data-test="x-report">
      <h1>${t("X report")}</h1>
      <${ReceiptPreview} document=${zDocument(x, { blind: closeSettings(config).blind })} />
      <div class="row">
        <button type="button" class="button big" onClick=${() => setState({ view: "sale", xReport: null })}>${t("Back")}</button>
        <button type="button" class="button primary big" data-test="print-x" disabled=${busy} onClick=${print}>${t("Print")}</button>
      </div>
    </div>
  </div>`;
}
