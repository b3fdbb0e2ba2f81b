// @ts-check
/**
 * The terminal's entry point: render the app, start the scanner listener, open the data
 * and register the service worker that keeps the app available offline.
 */
import { installHardware } from "./hardware/proxy.js";
import { html, render } from "./ui/html.js";
import { installScanner } from "./ui/scanner.js";
import { App } from "./ui/screens.js";
import { setState } from "./ui/store.js";
import { boot } from "./ui/terminal.js";

installScanner();
installHardware();
const root = /** @type {HTMLElement} */ (document.getElementById("app"));
root.textContent = "";
render(html`<${App} />`, root);
boot().catch((error) => {
  console.error(error);
  setState({ phase: "fatal", fatal: String(error) });
});

if ("serviceWorker" in navigator) {
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // A new version took over: this page still runs the old modules until a reload, which
    // the cashier does between two orders (the status bar offers it).
    if (hadController) setState({ swUpdate: true });
  });
  navigator.serviceWorker.register("./sw.js", { scope: "./", updateViaCache: "none" }).then(
    async () => {
      await navigator.serviceWorker.ready;
      document.documentElement.dataset.offlineReady = "true";
    },
    (error) => console.warn("no service worker: the terminal will not start offline", error),
  );
}
