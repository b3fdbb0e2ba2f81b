// The app shell: the service worker precaches every file the app loads, and index.html
// preloads every module, so a file added later cannot be forgotten (it would be missing
// offline, or load late).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("../../src/kassa/terminal/", import.meta.url).pathname;

/** @param {string} dir @returns {string[]} */
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [relative(root, path)];
  });
}

const appFiles = walk(root)
  .filter((path) => /\.(js|css|html|svg|webmanifest)$/.test(path))
  .filter((path) => path !== "sw.js")
  .map((path) => (path === "index.html" ? "./" : path))
  .sort();

test("the service worker precaches exactly the app's files", () => {
  const source = readFileSync(join(root, "sw.js"), "utf8");
  const list = source.match(/const SHELL = \[([\s\S]*?)\];/);
  assert.ok(list, "sw.js has a SHELL list");
  const shell = [...list[1].matchAll(/"([^"]+)"/g)].map((match) => match[1]).sort();
  assert.deepEqual(shell, appFiles);
});

test("the service worker's version is the placeholder the server fills in", () => {
  const source = readFileSync(join(root, "sw.js"), "utf8");
  assert.match(source, /const VERSION = "__KASSA_TERMINAL_VERSION__";/);
});

test("index.html preloads every module but the entry points (the page's and the catalog worker's)", () => {
  const html = readFileSync(join(root, "index.html"), "utf8");
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((match) => match[1]).sort();
  // The worker has its own module graph: a preload would fetch it into the page's, for nothing.
  const modules = appFiles.filter(
    (path) => path.endsWith(".js") && path !== "app.js" && path !== "sync/catalog_worker.js",
  );
  assert.deepEqual(preloaded, modules);
});
