// @ts-check
/**
 * The terminal's entry point, and the only module that composes the layers: the state and
 * its bus (state/), the flows (flows/), the device adapter (hardware/) and the screens (ui/).
 * It renders the app, starts the scanner listener and the hardware, opens the data and
 * registers the service worker that keeps the app available offline.
 */
import { database } from "./flows/context.js";
import { toast } from "./flows/messages.js";
import { boot } from "./flows/start.js";
import { installHardware } from "./hardware/proxy.js";
import { setState } from "./state/store.js";
import { html, render } from "./ui/html.js";
import { App } from "./ui/root.js";
import { installScanner } from "./ui/scanner.js";

installScanner();
installHardware({ database, toast });
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
