// @ts-check
/**
 * The server's terminal API (/api/v1/, same origin). Every call has a timeout; errors are
 * one of two kinds, because the outbox treats them differently:
 * - `ApiError`: the server answered with an error (`status`, and the `code`, `message` of
 *   its body `{"error": {"code", "message", "details"?}}`, read by domain/errors.js);
 * - `NetworkError`: no answer (server down, network gone, timeout, a proxy's HTML page).
 */
import { errorFromBody } from "../domain/errors.js";

export const API_BASE = new URL("../../api/v1/", import.meta.url).href;

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

export class NetworkError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "NetworkError";
  }
}

/**
 * @param {string} path          relative to /api/v1/, e.g. "catalog/products?after=0"
 * @param {object} [options]
 * @param {string | null} [options.token]
 * @param {string} [options.method]
 * @param {unknown} [options.body] sent as JSON
 * @param {number} [options.timeout] ms (default 15 s)
 * @returns {Promise<any>} the parsed JSON answer
 */
export async function api(path, { token = null, method, body, timeout = 15_000 } = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API_BASE + path, {
      method: method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      signal: AbortSignal.timeout(timeout),
    });
  } catch (error) {
    throw new NetworkError(error instanceof Error ? error.message : String(error));
  }
  const type = response.headers.get("Content-Type") ?? "";
  if (!type.includes("application/json")) {
    // Not our server talking (a captive portal, a reverse proxy's error page).
    throw new NetworkError(`HTTP ${response.status} without JSON from ${path}`);
  }
  let data;
  try {
    data = await response.json();
  } catch {
    throw new NetworkError(`unreadable answer from ${path}`);
  }
  if (!response.ok) {
    const { code, message } = errorFromBody(data, response.status);
    if (response.status >= 500) throw new NetworkError(`HTTP ${response.status}: ${message}`);
    throw new ApiError(response.status, code, message);
  }
  return data;
}
