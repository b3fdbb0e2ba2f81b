// One error body for the server and the proxy (domain/errors.js):
// {"error": {"code", "message", "details"?}}.
import { test } from "node:test";
import assert from "node:assert/strict";
import { errorFromBody } from "../../src/kassa/terminal/domain/errors.js";

test("the code and message of an error body", () => {
  assert.deepEqual(errorFromBody({ error: { code: "no_open_session", message: "No open session." } }, 404), {
    code: "no_open_session",
    message: "No open session.",
  });
  assert.deepEqual(
    errorFromBody({ error: { code: "invalid", message: "Bad input.", details: [{ loc: ["body", "code"] }] } }, 422),
    {
      code: "invalid",
      message: "Bad input.",
    },
  );
});

test("a body of another shape, or none, still reads as a code and a message", () => {
  for (const body of [
    null,
    undefined,
    "text",
    [],
    {},
    { error: "x" },
    { error: { code: 3, message: "" } },
    { code: "old", message: "flat" },
  ]) {
    assert.deepEqual(errorFromBody(body, 503), { code: "error", message: "HTTP 503" }, JSON.stringify(body));
  }
  assert.deepEqual(errorFromBody({ error: { code: "paper_out" } }, 409), { code: "paper_out", message: "HTTP 409" });
});
