// @ts-check
/**
 * The terminal's entry point, and the only module that composes the layers: the state and
 * its bus (state/), the flows (flows/), the device adapter (hardware/) and the screens (ui/).
 * It renders the app, starts the scanner listener and the hardware, opens the data and
 * registers the service worker that keeps the app available offline.
 */
import { getLanguage, setLanguage } from "./domain/i18n.js";
import { database } from "./flows/context.js";
import { toast } from "./flows/messages.js";
import { boot } from "./flows/start.js";
import { installHardware } from "./hardware/proxy.js";
import { getState, setState, subscribe } from "./state/store.js";
import { html, render } from "./ui/html.js";
import { App } from "./ui/root.js";
import { installScanner } from "./ui/scanner.js";

installScanner();
installHardware({ database, toast });
// The till's language (its configuration's `language`), before the screens re-render:
// subscribers run in the order they subscribed.
subscribe(() => {
  const language = getState().config?.language;
  if (language && language !== getLanguage()) {
    setLanguage(language);
    document.documentElement.lang = getLanguage();
  }
});
const root = /** @type {HTMLElement} */ (document.getElementById("app"));
root.textContent = "";
render(html`<${App} />`, root);
boot().catch((error) => {
  console.error(error);
  setState({ phase: "fatal", fatal: String(error) });
});

if ("serviceWorker" in navigator) {
  let controlled = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // A new version took over: this page still runs the old modules until a reload, which
    // the cashier does between two orders (the status bar offers it). The first worker to
    // control a page opened without one (a new till) is no update, every later one is.
    if (controlled) setState({ swUpdate: true });
    controlled = true;
  });
  navigator.serviceWorker.register("./sw.js", { scope: "./", updateViaCache: "none" }).then(
    async (registration) => {
      await navigator.serviceWorker.ready;
      document.documentElement.dataset.offlineReady = "true";
      lookForUpdates(registration);
    },
    (error) => console.warn("no service worker: the terminal will not start offline", error),
  );
}

/**
 * A browser looks for a new service worker only when the page is opened or reloaded, and a
 * till's page stays open all day: look again when the server answers after being away (it
 * may have been upgraded) and every hour, so the status bar can offer the update.
 * @param {ServiceWorkerRegistration} registration
 */
function lookForUpdates(registration) {
  const look = () => registration.update().catch(() => {});
  let online = getState().sync.online;
  subscribe(() => {
    const now = getState().sync.online;
    if (online === false && now === true) look();
    online = now;
  });
  setInterval(look, 60 * 60 * 1000);
}
