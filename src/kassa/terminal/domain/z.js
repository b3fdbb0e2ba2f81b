// @ts-check
/**
 * The day close's report (docs/z-report.md): the Z computed from a cash session's journal
 * entries, the X report (the same computation, not closed, never stored), the business
 * day, the month and year totals carried from Z to Z and the PERIOD_CLOSE they make, the
 * variance thresholds, and the payloads of CASH_MOVE and CASH_COUNT.
 *
 * Pure: entries come in parsed (the object each wire entry's `canonical` holds), money as
 * the decimal strings they carry, and every figure goes out as such a string. The server
 * runs the same computation (tests/shared/z_cases.json holds both to the same answers).
 */
import { formatAmount, parseAmount, parseDecimal, parseQuantity, parseRate, roundDiv } from "./money.js";

/** The Z's own format version (the Z_CLOSE payload's `v`). */
export const Z_VERSION = 1;

/** Defaults of the terminal settings the close reads (docs/z-report.md, Settings). */
export const CLOSE_DEFAULTS = Object.freeze({
  time_zone: "UTC",
  day_start: "04:00",
  blind_close: false,
  cash_move_slip: true,
  variance_amount: null,
  variance_percent: null,
});

/**
 * @typedef {{id: number, name: string}} Person
 *
 * @typedef {object} Threshold   a variance limit; null fields are no limit
 * @property {string | null} amount    decimal string at the currency's places
 * @property {string | null} percent   decimal string, 2 places, of the expected amount
 *
 * @typedef {object} MethodParameter
 * @property {string} name
 * @property {boolean} cash
 * @property {Threshold} variance       the method's own limits; null fields fall back to the global
 *
 * @typedef {object} ZParameters        what the close was computed with, kept in the Z
 * @property {string} currency
 * @property {number} places
 * @property {string} time_zone         IANA name
 * @property {string} day_start         "HH:MM"
 * @property {MethodParameter[]} methods  the terminal's payment methods, in its order
 * @property {Threshold} variance       the global limits (also on the total variance)
 * @property {string} [language]    the till's language when closed ("en", "de"): the printed words
 *
 * @typedef {object} ZApproval          a variance above its limit, approved
 * @property {string} id
 * @property {Person} approver
 * @property {string | null} reason
 * @property {string} note
 *
 * @typedef {object} ZContext           what the Z takes besides the session's entries
 * @property {number | null} z_no       null for an X report
 * @property {string} terminal          the terminal's code
 * @property {{id: number | null, name: string, tax_id: string}} store
 * @property {ZParameters} parameters
 * @property {string} software
 * @property {{at: string, by: Person | null} | null} closed  null for an X report
 * @property {ZApproval | null} approval
 * @property {{gt_after: string | null, gt_abs_after: string | null}} before  the chain's grand totals before the session
 * @property {any | null} previous      the terminal's previous Z (its Z_CLOSE payload), or null
 */

// ---------------------------------------------------------------- business day

/**
 * The business day of an instant: its date on the store's wall clock less the day start,
 * so with a day start of 04:00 a sale at 00:30 belongs to the day before.
 * @param {string} at          ISO 8601 with its UTC offset
 * @param {string} timeZone    IANA name
 * @param {string} dayStart    "HH:MM"
 * @returns {string} "YYYY-MM-DD"
 */
export function businessDay(at, timeZone, dayStart) {
  const instant = Date.parse(at);
  if (Number.isNaN(instant)) throw new RangeError(`not a time: ${at}`);
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(dayStart);
  if (!match) throw new RangeError(`day start must be HH:MM, not ${JSON.stringify(dayStart)}`);
  const parts = Object.fromEntries(
    wallClock(timeZone)
      .formatToParts(new Date(instant))
      .map((part) => [part.type, part.value]),
  );
  const hour = Number(parts.hour) % 24; // some engines write midnight as 24
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), hour, Number(parts.minute));
  const shifted = new Date(wall - (Number(match[1]) * 60 + Number(match[2])) * 60_000);
  return shifted.toISOString().slice(0, 10);
}

/** @type {Map<string, Intl.DateTimeFormat>} */
const clocks = new Map();

/** @param {string} timeZone */
function wallClock(timeZone) {
  let clock = clocks.get(timeZone);
  if (!clock) {
    clock = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    clocks.set(timeZone, clock);
  }
  return clock;
}

// ---------------------------------------------------------------- thresholds

/**
 * Whether a difference is above a limit: |difference| > amount, or |difference| >
 * percent % of |expected| (any difference when nothing was expected).
 * @param {number} difference  minor units
 * @param {number} expected    minor units
 * @param {Threshold} limit
 * @param {number} places
 */
export function overThreshold(difference, expected, limit, places) {
  const diff = Math.abs(difference);
  if (diff === 0) return false;
  if (limit.amount !== null && limit.amount !== undefined && diff > parseAmount(limit.amount, places)) return true;
  if (limit.percent !== null && limit.percent !== undefined) {
    const percent = BigInt(parseDecimal(limit.percent, 2, "variance percent"));
    if (BigInt(diff) * 10000n > percent * BigInt(Math.abs(expected))) return true;
  }
  return false;
}

/**
 * A method's limits: its own where set, else the terminal's.
 * @param {MethodParameter | undefined} method
 * @param {Threshold} global
 * @returns {Threshold}
 */
function methodLimit(method, global) {
  return {
    amount: method?.variance?.amount ?? global.amount ?? null,
    percent: method?.variance?.percent ?? global.percent ?? null,
  };
}

/**
 * The parameters of a Z from the terminal's configuration (GET /api/v1/terminal), with
 * the defaults of settings not there yet.
 * @param {any} config
 * @returns {ZParameters}
 */
export function zParameters(config) {
  const pick = (/** @type {string} */ name) => config?.[name] ?? /** @type {any} */ (CLOSE_DEFAULTS)[name];
  return {
    currency: config.currency,
    places: config.currency_places,
    time_zone: pick("time_zone"),
    day_start: pick("day_start"),
    methods: (config.payment_methods ?? []).map((/** @type {any} */ method) => ({
      name: method.name,
      cash: Boolean(method.is_cash),
      variance: { amount: method.variance_amount ?? null, percent: method.variance_percent ?? null },
    })),
    variance: { amount: pick("variance_amount"), percent: pick("variance_percent") },
    // The language its words print in (domain/z_receipt.js), kept with the Z so that a
    // reprint says what the first print said; a Z without it printed in English.
    language: config.language ?? "en",
  };
}

// ---------------------------------------------------------------- payloads

/**
 * @param {object} move
 * @param {string} move.move      uuid, its idempotency key
 * @param {string} move.session
 * @param {"in" | "out" | "drop"} move.kind
 * @param {number} move.amount    minor units, positive
 * @param {string} move.reason    reason code
 * @param {string} [move.note]
 * @param {string | null} [move.approval]
 * @param {number} places
 */
export function cashMovePayload({ move, session, kind, amount, reason, note = "", approval = null }, places) {
  if (!["in", "out", "drop"].includes(kind)) throw new RangeError(`a cash move is in, out or drop, not ${kind}`);
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new RangeError("a cash move's amount is positive");
  return { move, session, kind, amount: formatAmount(amount, places), reason, note, approval };
}

/**
 * @param {object} count
 * @param {string} count.session
 * @param {number} count.attempt   1, 2, …
 * @param {boolean} count.blind
 * @param {{method: string, amount: number, denominations: {value: number, count: number}[] | null}[]} count.methods
 * @param {number} places
 */
export function cashCountPayload({ session, attempt, blind, methods }, places) {
  return {
    session,
    attempt,
    blind,
    methods: methods.map((method) => ({
      method: method.method,
      amount: formatAmount(method.amount, places),
      denominations: method.denominations
        ? method.denominations
            .filter((d) => d.count > 0)
            .map((d) => ({ value: formatAmount(d.value, places), count: d.count }))
        : null,
    })),
  };
}

/**
 * The total of a count by denomination, in minor units.
 * @param {{value: number, count: number}[]} denominations  value in minor units
 */
export function denominationTotal(denominations) {
  return denominations.reduce((sum, d) => sum + d.value * d.count, 0);
}

// ---------------------------------------------------------------- the Z

/**
 * @param {Map<string, {net: number, tax: number, gross: number}>} rates
 * @param {string} rate
 * @param {any} line
 * @param {(text: string) => number} money
 */
function addRate(rates, rate, line, money) {
  const row = rates.get(rate) ?? { net: 0, tax: 0, gross: 0 };
  row.net += money(line.net);
  row.tax += money(line.tax);
  row.gross += money(line.amount);
  rates.set(rate, row);
}

/**
 * @param {Map<string, {net: number, tax: number, gross: number}>} rates
 * @param {(minor: number) => string} text
 */
function rateRows(rates, text) {
  return [...rates.entries()]
    .sort(([a], [b]) => parseRate(a) - parseRate(b))
    .map(([rate, row]) => ({ rate, net: text(row.net), tax: text(row.tax), gross: text(row.gross) }));
}

/**
 * The discount given on a line: round(qty × unit price) less round(qty × unit price ×
 * (100 − discount) / 100), the line's amount before tax is split off.
 * @param {any} line
 * @param {number} places
 */
function lineDiscount(line, places) {
  if (/^0(\.0*)?$/.test(line.discount)) return 0;
  const base = BigInt(parseQuantity(line.qty)) * BigInt(parseAmount(line.unit_price, places));
  const full = roundDiv(base, 1000n);
  const after = roundDiv(base * (10000n - BigInt(parseDecimal(line.discount, 2, "discount"))), 1000n * 10000n);
  return Number(full - after);
}

/**
 * The Z (or, with `z_no` and `closed` null, the X report) of a session from its entries:
 * every entry from its SESSION_OPEN up to the entry before its PERIOD_CLOSE / Z_CLOSE,
 * in seq order. docs/z-report.md says what each field is.
 * @param {any[]} entries
 * @param {ZContext} context
 */
export function computeZ(entries, context) {
  const { parameters } = context;
  const places = parameters.places;
  const money = (/** @type {string} */ value) => parseAmount(value, places);
  const text = (/** @type {number} */ minor) => formatAmount(minor, places);
  const open = entries[0];
  if (open?.type !== "SESSION_OPEN") throw new RangeError("a Z starts at its session's SESSION_OPEN");
  const session = open.payload.session;

  const methodsByName = new Map(parameters.methods.map((m) => [m.name, m]));
  const drawer = parameters.methods.find((m) => m.cash)?.name ?? null;

  const sales = { tickets: 0, net: 0, tax: 0, gross: 0, rates: new Map() };
  const refunds = { count: 0, net: 0, tax: 0, gross: 0, rates: new Map(), reasons: new Map() };
  const all = { rates: new Map() };
  const voids = { count: 0, amount: 0 };
  const abandoned = { count: 0, amount: 0 };
  const discounts = { lines: 0, amount: 0 };
  /** @type {Map<string, {approver: Person, action: string, count: number}>} */
  const overrides = new Map();
  let overrideCount = 0;
  /** @type {Map<string, number>} */
  const noSale = new Map();
  let noSaleCount = 0;
  /** @type {Map<string, number>} */
  const payments = new Map();
  let change = 0;
  /** @type {any[]} */
  const moves = [];
  const seenMoves = new Set();
  /** @type {any} */
  let lastCount = null;
  let attempts = 0;
  let lastCountSeq = 0;
  /** @type {string | null} */
  let firstReceipt = null;
  /** @type {string | null} */
  let lastReceipt = null;
  /** @type {any} */
  let lastTicket = null;

  for (const entry of entries) {
    const p = entry.payload;
    switch (entry.type) {
      case "SALE":
      case "REFUND": {
        const bucket = entry.type === "SALE" ? sales : refunds;
        if (entry.type === "SALE") sales.tickets += 1;
        else refunds.count += 1;
        bucket.net += money(p.totals.net);
        bucket.tax += money(p.totals.tax);
        bucket.gross += money(p.totals.gross);
        for (const line of p.lines) {
          addRate(bucket.rates, line.tax_rate, line, money);
          addRate(all.rates, line.tax_rate, line, money);
          const discount = lineDiscount(line, places);
          if (discount !== 0) {
            discounts.lines += 1;
            discounts.amount += discount;
          }
          if (entry.type === "REFUND" && line.reason) {
            const row = refunds.reasons.get(line.reason) ?? { lines: 0, amount: 0 };
            row.lines += 1;
            row.amount += money(line.amount);
            refunds.reasons.set(line.reason, row);
          }
        }
        for (const payment of p.payments)
          payments.set(payment.method, (payments.get(payment.method) ?? 0) + money(payment.amount));
        change += money(p.change);
        firstReceipt ??= p.receipt_no;
        lastReceipt = p.receipt_no;
        lastTicket = p;
        break;
      }
      case "LINE_VOID":
        voids.count += 1;
        voids.amount += money(p.line.amount);
        break;
      case "ORDER_ABANDONED":
        abandoned.count += 1;
        abandoned.amount += money(p.total);
        break;
      case "OVERRIDE": {
        overrideCount += 1;
        const key = `${p.approved_by.id}\u0000${p.action}`;
        const row = overrides.get(key) ?? {
          approver: { id: p.approved_by.id, name: p.approved_by.name },
          action: p.action,
          count: 0,
        };
        row.count += 1;
        overrides.set(key, row);
        break;
      }
      case "DRAWER_OPEN":
        noSaleCount += 1;
        noSale.set(p.reason, (noSale.get(p.reason) ?? 0) + 1);
        break;
      case "CASH_MOVE":
        if (p.session !== session || seenMoves.has(p.move)) break; // a move is one move, however often it is written
        seenMoves.add(p.move);
        moves.push({ ...p, seq: entry.seq, at: entry.at, afterCount: false });
        break;
      case "CASH_COUNT":
        if (p.session !== session) break;
        attempts += 1;
        lastCount = p;
        lastCountSeq = entry.seq;
        break;
      default:
        break;
    }
  }
  // Moves after the last count (closing drops) are out of what that count expects.
  for (const move of moves) move.afterCount = lastCount !== null && move.seq > lastCountSeq;

  // Cash: the drawer holds the opening float, the cash methods' payments less the change,
  // and the moves; moves after the last count (closing drops) are out of what it expects.
  const openingFloat = money(open.payload.opening_float);
  const sumMoves = (/** @type {string} */ kind, /** @type {boolean} */ afterCount) =>
    moves.filter((m) => m.kind === kind && m.afterCount === afterCount).reduce((s, m) => s + money(m.amount), 0);
  const movesIn = sumMoves("in", false);
  const movesOut = sumMoves("out", false);
  const drops = sumMoves("drop", false);
  const closingDrops = sumMoves("drop", true) - sumMoves("in", true) + sumMoves("out", true);

  /** @type {Map<string, any>} */
  const counted = new Map((lastCount?.methods ?? []).map((/** @type {any} */ m) => [m.method, m]));
  const names = [...parameters.methods.map((m) => m.name)];
  for (const name of [...payments.keys(), ...counted.keys()].sort()) if (!names.includes(name)) names.push(name);

  let varianceTotal = 0;
  let expectedTotal = 0;
  let anyOver = false;
  const methods = names.map((name) => {
    const taken = payments.get(name) ?? 0;
    const isDrawer = name === drawer;
    const expected = isDrawer ? openingFloat + taken - change + movesIn - movesOut - drops : taken;
    const count = counted.get(name);
    const countedMinor = count ? money(count.amount) : null;
    const difference = countedMinor === null ? null : countedMinor - expected;
    const over =
      difference !== null &&
      overThreshold(difference, expected, methodLimit(methodsByName.get(name), parameters.variance), places);
    if (difference !== null) {
      varianceTotal += difference;
      expectedTotal += expected;
      anyOver ||= over;
    }
    return {
      method: name,
      cash: methodsByName.get(name)?.cash ?? false,
      payments: text(taken),
      expected: text(expected),
      counted: countedMinor === null ? null : text(countedMinor),
      difference: difference === null ? null : text(difference),
      denominations: count?.denominations ?? null,
      over,
    };
  });
  const drawerRow = methods.find((m) => m.method === drawer);
  const drawerCounted = drawerRow?.counted != null ? money(drawerRow.counted) : null;
  const totalOver = lastCount !== null && overThreshold(varianceTotal, expectedTotal, parameters.variance, places);

  const salesGross = sales.gross;
  const previous = context.previous;
  const z = {
    z_no: context.z_no,
    session,
    terminal: context.terminal,
    store: context.store,
    business_day: businessDay(open.at, parameters.time_zone, parameters.day_start),
    parameters,
    opened: { at: open.at, by: open.cashier, seq: open.seq },
    closed: context.closed,
    receipts: { first: firstReceipt, last: lastReceipt },
    seq: { first: open.seq, last: entries[entries.length - 1].seq },
    software: context.software,
    sales: {
      tickets: sales.tickets,
      average: text(sales.tickets ? Number(roundDiv(BigInt(salesGross), BigInt(sales.tickets))) : 0),
      net: text(sales.net),
      tax: text(sales.tax),
      gross: text(sales.gross),
      tax_rates: rateRows(sales.rates, text),
    },
    refunds: {
      count: refunds.count,
      net: text(refunds.net),
      tax: text(refunds.tax),
      gross: text(refunds.gross),
      tax_rates: rateRows(refunds.rates, text),
      reasons: [...refunds.reasons.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([reason, row]) => ({ reason, lines: row.lines, amount: text(row.amount) })),
    },
    totals: {
      tickets: sales.tickets + refunds.count,
      net: text(sales.net + refunds.net),
      tax: text(sales.tax + refunds.tax),
      gross: text(sales.gross + refunds.gross),
      tax_rates: rateRows(all.rates, text),
    },
    voids: { count: voids.count, amount: text(voids.amount) },
    abandoned: { count: abandoned.count, amount: text(abandoned.amount) },
    discounts: { lines: discounts.lines, amount: text(discounts.amount) },
    overrides: {
      count: overrideCount,
      by_approver: [...overrides.values()].sort(
        (a, b) => a.approver.id - b.approver.id || (a.action < b.action ? -1 : a.action > b.action ? 1 : 0),
      ),
    },
    no_sale: {
      count: noSaleCount,
      reasons: [...noSale.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([reason, count]) => ({ reason, count })),
    },
    methods,
    cash: {
      method: drawer,
      opening_float: text(openingFloat),
      payments: text(drawer ? (payments.get(drawer) ?? 0) : 0),
      change: text(change),
      moves_in: text(movesIn),
      moves_out: text(movesOut),
      drops: text(drops),
      expected: drawerRow ? drawerRow.expected : text(openingFloat + movesIn - movesOut - drops),
      counted: drawerRow?.counted ?? null,
      difference: drawerRow?.difference ?? null,
      closing_drops: text(closingDrops),
      suggested_float: drawerCounted === null ? null : text(drawerCounted - closingDrops),
    },
    moves: moves.map((m) => ({
      move: m.move,
      seq: m.seq,
      at: m.at,
      kind: m.kind,
      amount: m.amount,
      reason: m.reason,
      note: m.note,
      approval: m.approval,
      closing: m.afterCount,
    })),
    counts: { attempts, blind: lastCount ? lastCount.blind : null },
    variance: {
      amount: lastCount ? text(varianceTotal) : null,
      over: anyOver || totalOver,
      approval: context.approval,
    },
    grand_totals: lastTicket
      ? { gt_after: lastTicket.gt_after, gt_abs_after: lastTicket.gt_abs_after }
      : { gt_after: context.before.gt_after, gt_abs_after: context.before.gt_abs_after },
    period_totals: /** @type {{month: any, year: any}} */ ({ month: null, year: null }),
  };
  z.period_totals = {
    month: periodTotals("month", z, previous, places),
    year: periodTotals("year", z, previous, places),
  };
  return z;
}

/**
 * The month's or year's totals up to and including this Z: the previous Z's when it is in
 * the same period, plus this one's.
 * @param {"month" | "year"} period
 * @param {any} z
 * @param {any | null} previous
 * @param {number} places
 */
function periodTotals(period, z, previous, places) {
  const key = periodKey(period, z.business_day);
  const money = (/** @type {string} */ value) => parseAmount(value, places);
  const text = (/** @type {number} */ minor) => formatAmount(minor, places);
  const before = previous && previous.period_totals?.[period]?.key === key ? previous.period_totals[period] : null;
  /** @type {Map<string, {net: number, tax: number, gross: number}>} */
  const rates = new Map();
  for (const row of [...(before?.tax_rates ?? []), ...z.totals.tax_rates]) {
    const sum = rates.get(row.rate) ?? { net: 0, tax: 0, gross: 0 };
    sum.net += money(row.net);
    sum.tax += money(row.tax);
    sum.gross += money(row.gross);
    rates.set(row.rate, sum);
  }
  const add = (/** @type {string | undefined} */ a, /** @type {string} */ b) => text((a ? money(a) : 0) + money(b));
  return {
    key,
    zs: (before?.zs ?? 0) + 1,
    first_z: before ? before.first_z : z.z_no,
    last_z: z.z_no,
    tickets: (before?.tickets ?? 0) + z.totals.tickets,
    net: add(before?.net, z.totals.net),
    tax: add(before?.tax, z.totals.tax),
    gross: add(before?.gross, z.totals.gross),
    tax_rates: rateRows(rates, text),
    refunds: {
      count: (before?.refunds.count ?? 0) + z.refunds.count,
      gross: add(before?.refunds.gross, z.refunds.gross),
    },
    variance: add(before?.variance, z.variance.amount ?? text(0)),
    gt_after: z.grand_totals.gt_after,
    gt_abs_after: z.grand_totals.gt_abs_after,
  };
}

/** @param {"month" | "year"} period @param {string} day "YYYY-MM-DD" */
export function periodKey(period, day) {
  return period === "month" ? day.slice(0, 7) : day.slice(0, 4);
}

/**
 * The PERIOD_CLOSE payloads to write before a Z: the previous Z's month (then year) when
 * this Z is the first of a new one. Month first, then year.
 * @param {any} z          the Z about to be written
 * @param {any | null} previous  the terminal's previous Z
 * @returns {Record<string, unknown>[]}
 */
export function periodCloses(z, previous) {
  if (!previous) return [];
  /** @type {Record<string, unknown>[]} */
  const closes = [];
  for (const period of /** @type {const} */ (["month", "year"])) {
    const totals = previous.period_totals?.[period];
    if (totals && totals.key !== periodKey(period, z.business_day)) closes.push({ period, ...totals });
  }
  return closes;
}

/** Notes and coins a drawer is counted in, by currency, in minor units, largest first. */
const DENOMINATIONS = Object.freeze({
  EUR: [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1],
  USD: [10000, 5000, 2000, 1000, 500, 200, 100, 25, 10, 5, 1],
  GBP: [5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1],
  CHF: [100000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5],
  JPY: [10000, 5000, 2000, 1000, 500, 100, 50, 10, 5, 1],
});

/**
 * The denominations of a currency (minor units, largest first); none for a currency not
 * listed, whose cash is counted as a total.
 * @param {string} currency
 * @returns {readonly number[]}
 */
export function denominationsFor(currency) {
  return /** @type {Record<string, number[]>} */ (DENOMINATIONS)[currency] ?? [];
}
