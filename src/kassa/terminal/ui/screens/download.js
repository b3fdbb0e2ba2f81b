// @ts-check
/** First run: the catalog download with its progress, and *Try again* after a failure. */
import { retryDownload } from "../../flows/start.js";
import { html } from "../html.js";
import { useStore } from "../store.js";

export function DownloadScreen() {
  const download = useStore().download ?? { loaded: 0, total: null, error: null };
  const percent = download.total ? Math.min(100, Math.round((download.loaded / download.total) * 100)) : null;
  return html`<div class="center-screen">
    <div class="card">
      <h1>Downloading the catalog</h1>
      <progress max="100" value=${percent ?? undefined} data-test="download-progress"></progress>
      <p class="muted">${download.loaded.toLocaleString()}${download.total ? ` of ${download.total.toLocaleString()}` : ""} products</p>
      ${
        download.error
          ? html`<div class="form-error" role="alert">${download.error}</div>
            <button type="button" class="button primary big" onClick=${retryDownload}>Try again</button>`
          : null
      }
    </div>
  </div>`;
}
