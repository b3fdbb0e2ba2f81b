// @ts-check
/**
 * The journal's mirror on the hardware proxy of this PC (docs/journal.md, Transport): every
 * entry is handed to the proxy (`POST journal`), which keeps it in SQLite on the POS PC, so
 * a till whose browser storage is wiped can read its chain back (`GET journal`).
 *
 * Best effort: the sale never waits for the mirror. The entries the proxy has are marked
 * (meta `journalMirrored`); the sync loop sends the others each round, so an entry written
 * while the proxy was away reaches it when it is back. The proxy's URL and token are the
 * ones hardware/proxy.js paired (meta `proxyPairing`, only for the configured `proxy_url`).
 */
import { META, getMeta } from "../data/db.js";
import { JOURNAL_META, journalAfter, journalMeta, setJournalMeta, wireOf } from "../data/journal.js";
import { MAX_JOURNAL_BATCH } from "../domain/journal.js";
import { errorFromBody } from "../domain/errors.js";
import { PROXY_API, proxyOrigin } from "../domain/hardware.js";

/**
 * @typedef {{url: string, token: string | null}} MirrorLink
 */

/** The proxy an error came from said no (`status`, `code`) or did not answer (status 0). */
export class MirrorError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.name = "MirrorError";
    this.status = status;
    this.code = code;
  }
}

/**
 * The configured proxy and this browser's token for it (null when not paired with it).
 * @param {any} db
 * @returns {Promise<MirrorLink | null>}
 */
export async function mirrorLink(db) {
  const config = await getMeta(db, META.terminalConfig);
  const url = proxyOrigin(config?.proxy_url, location.origin);
  if (!url) return null;
  const pairing = await getMeta(db, META.proxyPairing);
  return { url, token: pairing && pairing.url === url ? pairing.token : null };
}

/**
 * @param {MirrorLink} link
 * @param {string} path after /proxy/v1/
 * @param {unknown} [body]
 */
async function request(link, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (link.token) headers.Authorization = `Bearer ${link.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const host = new URL(link.url).hostname;
  let response;
  try {
    response = await fetch(
      `${link.url}/${PROXY_API}/${path}`,
      /** @type {any} */ ({
        method: body === undefined ? "GET" : "POST",
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        mode: "cors",
        credentials: "omit",
        signal: AbortSignal.timeout(5000),
        // Chrome's Local Network Access, as hardware/proxy.js says it.
        targetAddressSpace: ["127.0.0.1", "localhost", "[::1]"].includes(host) ? "loopback" : "local",
      }),
    );
  } catch (error) {
    throw new MirrorError(0, "unreachable", error instanceof Error ? error.message : String(error));
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const { code, message } = errorFromBody(answer, response.status);
    throw new MirrorError(response.status, code, message);
  }
  return answer;
}

/**
 * Hand the proxy every entry it does not have yet, in batches; returns how many it took.
 * Nothing to do without a paired proxy.
 * @param {any} db
 * @returns {Promise<number>}
 */
export async function mirrorPush(db) {
  const link = await mirrorLink(db);
  if (!link?.token) return 0;
  let taken = 0;
  for (;;) {
    const mark = (await journalMeta(db, JOURNAL_META.mirrored)) ?? 0;
    const entries = await journalAfter(db, mark, { limit: MAX_JOURNAL_BATCH });
    if (!entries.length) return taken;
    const answer = await request(link, "journal", { entries: entries.map(wireOf) });
    const last = Math.min(Number(answer?.last_seq ?? mark), entries[entries.length - 1].seq);
    if (!(last > mark)) return taken; // the proxy holds an older gap: try again later
    await setJournalMeta(db, JOURNAL_META.mirrored, last);
    taken += last - mark;
  }
}

/**
 * The mirror's entries of a terminal after `after`, ascending, all pages (500 a page),
 * up to the first hole. The proxy answers a paired browser only: a wiped till pairs with
 * it again first (the proxy's code, asked when it is re-paired: flows/start.js
 * recoverJournal).
 * @param {MirrorLink} link
 * @param {string} terminal  the terminal's code
 * @param {number} after
 * @returns {Promise<import("../domain/journal.js").WireEntry[]>}
 */
export async function mirrorRead(link, terminal, after) {
  /** @type {import("../domain/journal.js").WireEntry[]} */
  const found = [];
  let from = after;
  for (;;) {
    const query = `journal?terminal=${encodeURIComponent(terminal)}&after=${from}&limit=${MAX_JOURNAL_BATCH}`;
    const answer = await request(link, query);
    const entries = Array.isArray(answer?.entries) ? answer.entries : [];
    if (!entries.length) return found;
    for (const entry of entries) {
      if (entry.seq !== from + 1) return found; // a hole: keep what follows on without one
      found.push({ seq: entry.seq, canonical: entry.canonical, hash: entry.hash, sig: entry.sig });
      from = entry.seq;
    }
  }
}
