// The vendored modules are the files the README describes, and load without a bundler.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";

const vendor = new URL("../../src/kassa/terminal/vendor/", import.meta.url);
const readme = readFileSync(new URL("README.md", vendor), "utf8");
const modules = readdirSync(vendor).filter((name) => name.endsWith(".js"));

test("every vendored file has its sha256 in the README", () => {
  // given the sha256 table: | `file` | upstream | vendored |
  const rows = [...readme.matchAll(/^\| `([\w.-]+\.js)` \| `([0-9a-f]{64})` \| `([0-9a-f]{64})` \|$/gm)];
  const listed = new Map(rows.map((row) => [row[1], row[3]]));
  // then every file is listed and its content hashes to the vendored column
  assert.deepEqual([...listed.keys()].sort(), [...modules].sort());
  for (const name of modules) {
    const digest = createHash("sha256")
      .update(readFileSync(new URL(name, vendor)))
      .digest("hex");
    assert.equal(digest, listed.get(name), name);
  }
});

test("vendored files import only relative paths", () => {
  for (const name of modules) {
    const source = readFileSync(new URL(name, vendor), "utf8");
    const specifiers = [
      ...source.matchAll(/\b(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']/g),
      ...source.matchAll(/\bimport\s*\(?\s*["']([^"']+)["']/g),
    ].map((match) => match[1]);
    for (const specifier of specifiers) {
      assert.match(specifier, /^\.\.?\//, `${name} imports ${specifier}`);
    }
  }
});

test("vendored modules load as ES modules and export what the terminal uses", async () => {
  const preact = await import(new URL("preact.module.js", vendor).href);
  const hooks = await import(new URL("preact-hooks.module.js", vendor).href);
  const htm = await import(new URL("htm.module.js", vendor).href);
  const idb = await import(new URL("idb.module.js", vendor).href);
  assert.equal(typeof preact.h, "function");
  assert.equal(typeof preact.render, "function");
  assert.equal(typeof hooks.useState, "function");
  assert.equal(typeof htm.default, "function");
  assert.equal(typeof idb.openDB, "function");
});
