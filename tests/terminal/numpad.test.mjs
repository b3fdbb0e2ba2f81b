// What a numpad key does to the typed text (domain/numpad.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_DIGITS, editBuffer, editUnsigned } from "../../src/kassa/terminal/domain/numpad.js";

/** @param {string[]} keys @param {(buffer: string, key: string) => string} [edit] */
const type = (keys, edit = editBuffer) => keys.reduce(edit, "");

test("digits append, ⌫ removes the last, C clears", () => {
  assert.equal(type(["1", "2", "3"]), "123");
  assert.equal(type(["1", "2", "⌫"]), "1");
  assert.equal(type(["⌫"]), "");
  assert.equal(type(["1", "2", "C"]), "");
  assert.equal(type(["4", "C", "7"]), "7");
});

test("a decimal point once, with a leading zero when it comes first", () => {
  assert.equal(type(["."]), "0.");
  assert.equal(type(["1", ".", "5", "."]), "1.5");
  assert.equal(type(["±", "."]), "-0.");
  assert.equal(type([".", "⌫", "⌫"]), "");
});

test("± toggles the sign", () => {
  assert.equal(type(["5", "±"]), "-5");
  assert.equal(type(["5", "±", "±"]), "5");
  assert.equal(type(["±", "2"]), "-2");
});

test("at most MAX_DIGITS characters; other keys change nothing", () => {
  const long = type(Array(MAX_DIGITS + 3).fill("9"));
  assert.equal(long, "9".repeat(MAX_DIGITS));
  assert.equal(editBuffer("12", "OK"), "12");
  assert.equal(editBuffer("12", "x"), "12");
  assert.equal(editBuffer("12", "10"), "12");
});

test("an unsigned pad ignores ±", () => {
  assert.equal(type(["5", "±"], editUnsigned), "5");
  assert.equal(type(["±", ".", "5"], editUnsigned), "0.5");
  assert.equal(type(["1", ".", "2", "5"], editUnsigned), "1.25");
});
