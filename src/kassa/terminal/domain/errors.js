// @ts-check
/**
 * How an error answer reads, for every API the terminal calls: the server's and the
 * hardware proxy's both answer `{"error": {"code", "message", "details"?}}`. Pure.
 */

/**
 * The code and message of an HTTP error answer's body (its parsed JSON, or null when it
 * was not JSON). A body of another shape still gives a code and a message to show.
 * @param {unknown} body
 * @param {number} status  the HTTP status, for the fallback message
 * @returns {{code: string, message: string}}
 */
export function errorFromBody(body, status) {
  const error = /** @type {any} */ (body)?.error;
  const code = typeof error?.code === "string" && error.code ? error.code : "error";
  const message = typeof error?.message === "string" && error.message ? error.message : `HTTP ${status}`;
  return { code, message };
}
