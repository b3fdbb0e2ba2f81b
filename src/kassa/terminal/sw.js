// @ts-check
/// <reference lib="webworker" />
/**
 * The terminal's service worker (MDN's offline cookbook): it precaches the app shell on
 * install, deletes older caches on activate, and answers the shell from the cache so a
 * reload or a browser restart opens the terminal with the server down. The API (/api/) is
 * never served from the cache: the outbox and the catalog sync handle the network.
 *
 * VERSION is written by the server (kassa/server/terminal_views.py) as a hash of every
 * terminal file, so any change of the app installs a new worker and a fresh cache.
 */
const VERSION = "__KASSA_TERMINAL_VERSION__";
const CACHE = `kassa-terminal-${VERSION}`;

/** Every file of the app, relative to this worker (tests/terminal/shell.test.mjs checks the list). */
const SHELL = [
  "./",
  "app.css",
  "app.js",
  "data/db.js",
  "data/journal.js",
  "domain/barcode.js",
  "domain/cart.js",
  "domain/catalog.js",
  "domain/display.js",
  "domain/errors.js",
  "domain/hardware.js",
  "domain/journal.js",
  "domain/i18n.js",
  "domain/jcs.js",
  "domain/money.js",
  "domain/numpad.js",
  "domain/permissions.js",
  "domain/pin.js",
  "domain/receipt.js",
  "domain/receipt_layout.js",
  "domain/refund.js",
  "domain/scan.js",
  "domain/search.js",
  "domain/z.js",
  "domain/z_receipt.js",
  "flows/approval.js",
  "flows/close.js",
  "flows/context.js",
  "flows/devices.js",
  "flows/journal.js",
  "flows/messages.js",
  "flows/order.js",
  "flows/outbox.js",
  "flows/payment.js",
  "flows/refund.js",
  "flows/session.js",
  "flows/start.js",
  "hardware/proxy.js",
  "icon.svg",
  "manifest.webmanifest",
  "locales/de.js",
  "state/events.js",
  "state/store.js",
  "sync/api.js",
  "sync/catalog.js",
  "sync/catalog_pages.js",
  "sync/catalog_snapshot.js",
  "sync/catalog_worker.js",
  "sync/export.js",
  "sync/mirror.js",
  "sync/outbox.js",
  "sync/recent.js",
  "ui/components.js",
  "ui/dialogs.js",
  "ui/html.js",
  "ui/menu.js",
  "ui/receipt_preview.js",
  "ui/root.js",
  "ui/scanner.js",
  "ui/screens/cash.js",
  "ui/screens/close.js",
  "ui/screens/download.js",
  "ui/screens/float.js",
  "ui/screens/login.js",
  "ui/screens/outbox.js",
  "ui/screens/pair.js",
  "ui/screens/payment.js",
  "ui/screens/receipt.js",
  "ui/screens/refund.js",
  "ui/screens/recover.js",
  "ui/screens/sale.js",
  "ui/screens/xreport.js",
  "ui/status_bar.js",
  "ui/store.js",
  "vendor/htm.module.js",
  "vendor/idb.module.js",
  "vendor/preact-hooks.module.js",
  "vendor/preact.module.js",
];

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

sw.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // no-cache: revalidate with the server (ETag) rather than trust the HTTP cache.
      await cache.addAll(SHELL.map((path) => new Request(path, { cache: "no-cache" })));
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("kassa-terminal-") && name !== CACHE) await caches.delete(name);
      }
      await sw.clients.claim();
    })(),
  );
});

const scope = new URL(sw.registration.scope);

sw.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return; // /api/ and the rest: network
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const key = request.mode === "navigate" ? "./" : request;
      const cached = await cache.match(key, { ignoreSearch: true });
      if (cached) return cached;
      return fetch(request);
    })(),
  );
});
