// @ts-check
/** First run: the catalog download with its progress, and *Try again* after a failure. */
import { retryDownload } from "../../flows/start.js";
import { locale, t } from "../../domain/i18n.js";
import { html } from "../html.js";
import { useStore } from "../store.js";

export function DownloadScreen() {
  const download = useStore().download ?? { step: "products", loaded: 0, total: null, error: null };
  const step = download.step ?? "products";
  // The bar shows the products received; while the index is made and stored, how long that
  // takes is not known in advance, so the bar is full and the line says what is going on.
  const percent = download.total ? Math.min(100, Math.round((download.loaded / download.total) * 100)) : null;
  const count = download.loaded.toLocaleString(locale());
  const line =
    step === "index"
      ? t("Preparing the search of {count} products…", { count })
      : step === "store"
        ? t("Saving {count} products on this terminal…", { count })
        : download.total
          ? t("{count} of {total} products", { count, total: download.total.toLocaleString(locale()) })
          : t("{count} products", { count });
  return html`<div class="center-screen">
    <div class="card">
      <h1>${t("Downloading the catalog")}</h1>
      <progress max="100" value=${percent ?? undefined} data-test="download-progress"></progress>
      <p class="muted" data-test="download-step" data-step=${step}>${line}</p>
      ${
        download.error
          ? html`<div class="form-error" role="alert">${download.error}</div>
            <button type="button" class="button primary big" onClick=${retryDownload}>${t("Try again")}</button>`
          : null
      }
    </div>
  </div>`;
}
