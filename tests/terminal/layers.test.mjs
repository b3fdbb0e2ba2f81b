// The terminal's layers (docs/terminal.md, "Code map"), checked on every module's imports:
// - only ui/ and the entry point app.js import ui/ (flows, state, devices never reach a screen);
// - domain/ is pure: it imports domain/ only, and locales/ (the translations: data);
// - locales/ imports nothing;
// - state/ (the state and the bus) imports state/ only;
// - hardware/ (the device adapter) imports neither ui/ nor flows/: it publishes events;
// - every relative import names a file that exists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

const root = new URL("../../src/kassa/terminal/", import.meta.url).pathname;

/** @param {string} dir @returns {string[]} paths relative to the terminal's folder, with "/" */
function modules(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "vendor" && dir === root ? [] : modules(path);
    return path.endsWith(".js") ? [relative(root, path).split(sep).join("/")] : [];
  });
}

/**
 * The specifiers a module imports: static imports, re-exports, dynamic import() of a string.
 * Comments are dropped first, so a module's documentation may name any path.
 * @param {string} source
 * @returns {string[]}
 */
export function importsOf(source) {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  const found = [];
  for (const match of code.matchAll(/(?:^|[;\s}])(?:import|export)\s+(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']/g))
    found.push(match[1]);
  for (const match of code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)) found.push(match[1]);
  return found;
}

/**
 * Every import of every module, resolved to a path relative to the terminal's folder.
 * @returns {{from: string, to: string}[]}
 */
function edges() {
  return modules(root).flatMap((from) =>
    importsOf(readFileSync(join(root, from), "utf8")).map((specifier) => {
      assert.ok(
        specifier.startsWith("."),
        `${from} imports ${specifier}: only relative imports (no CDN, no bare names)`,
      );
      const to = relative(root, join(root, dirname(from), specifier))
        .split(sep)
        .join("/");
      return { from, to };
    }),
  );
}

/** @param {string} path */
const layer = (path) => (path.includes("/") ? path.slice(0, path.indexOf("/")) : path);

test("the import parser finds static, re-exported and dynamic imports, not comments", () => {
  const source = [
    'import { a } from "./a.js";',
    "import * as b from '../b.js';",
    'import "./side.js";',
    'export { c } from "./c.js";',
    'const d = await import("./d.js");',
    'import {\n  e,\n  f,\n} from "./ef.js";',
    '// import { g } from "./g.js";',
    '/** import { h } from "./h.js"; */',
  ].join("\n");
  assert.deepEqual(importsOf(source), ["./a.js", "../b.js", "./side.js", "./c.js", "./ef.js", "./d.js"]);
});

test("every relative import names an existing module", () => {
  for (const { from, to } of edges())
    assert.ok(existsSync(join(root, to)), `${from} imports ${to}, which does not exist`);
});

test("nothing outside ui/ imports ui/, but the entry point app.js", () => {
  const bad = edges().filter(({ from, to }) => layer(to) === "ui" && layer(from) !== "ui" && from !== "app.js");
  assert.deepEqual(bad, []);
});

test("domain/ is pure: it imports domain/ only, and locales/ (the translations: data)", () => {
  const bad = edges().filter(
    ({ from, to }) => layer(from) === "domain" && layer(to) !== "domain" && layer(to) !== "locales",
  );
  assert.deepEqual(bad, []);
});

test("state/ imports state/ only", () => {
  const bad = edges().filter(({ from, to }) => layer(from) === "state" && layer(to) !== "state");
  assert.deepEqual(bad, []);
});

test("the device adapter imports neither screens nor flows: it publishes events", () => {
  const bad = edges().filter(({ from, to }) => layer(from) === "hardware" && ["ui", "flows"].includes(layer(to)));
  assert.deepEqual(bad, []);
});

test("the layers exist and import (the checks above are not vacuous)", () => {
  const layers = new Set(modules(root).map(layer));
  for (const name of ["app.js", "domain", "state", "flows", "ui", "hardware", "sync", "data"])
    assert.ok(layers.has(name), name);
  assert.ok(edges().length > 100);
});

test("locales/ (the translations) import nothing", () => {
  const bad = edges().filter(({ from }) => layer(from) === "locales");
  assert.deepEqual(bad, []);
});
