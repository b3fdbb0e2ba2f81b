// @ts-check
/**
 * The dashboard's three charts, drawn with uPlot (vendored, static/kassa/vendor/) from the
 * figures the page carries (`#kassa-charts`, json_script): amounts in cents, formatted
 * for display only, in the page's language.
 */
import uPlot from "./vendor/uplot/uPlot.esm.js";

const data = JSON.parse(document.getElementById("kassa-charts")?.textContent || "null");
const locale = document.documentElement.lang || "en";
const amount = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const compact = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const shortDay = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short" });

/** @param {number | null} cents */
const money = (cents) => (cents == null ? "" : amount.format(cents / 100));

/** @param {HTMLElement} box */
function width(box) {
  return Math.max(280, Math.min(box.clientWidth || 600, 900));
}

/**
 * @param {string} id
 * @param {any} options
 * @param {any[]} series
 */
function draw(id, options, series) {
  const box = document.getElementById(id);
  if (!box) return;
  box.textContent = "";
  const chart = new uPlot({ width: width(box), height: 220, legend: { live: false }, ...options }, series, box);
  box.dataset.rendered = "true";
  return chart;
}

const yAxis = {
  values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) => ticks.map((t) => compact.format(t / 100)),
  size: 60,
};

if (data) {
  const labels = data.labels;
  const { hourly, daily, methods } = data;
  draw(
    "chart-hourly",
    {
      scales: { x: { time: false } },
      axes: [
        { values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) => ticks.map((t) => hourly.hours[t] ?? "") },
        yAxis,
      ],
      series: [
        { value: (/** @type {any} */ _u, /** @type {number} */ i) => hourly.hours[i] ?? "" },
        {
          label: labels.today,
          stroke: "#417690",
          width: 2,
          fill: "rgba(65,118,144,0.12)",
          value: (/** @type {any} */ _u, /** @type {number} */ v) => money(v),
        },
        {
          label: labels.lastWeek,
          stroke: "#aaa",
          width: 1.5,
          dash: [6, 4],
          value: (/** @type {any} */ _u, /** @type {number} */ v) => money(v),
        },
      ],
    },
    [hourly.hours.map((/** @type {string} */ _h, /** @type {number} */ i) => i), hourly.today, hourly.last_week],
  );
  const days = daily.days.map((/** @type {string} */ d) => Date.parse(`${d}T12:00:00Z`) / 1000);
  draw(
    "chart-daily",
    {
      axes: [
        {
          values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) =>
            ticks.map((t) => shortDay.format(new Date(t * 1000))),
        },
        yAxis,
      ],
      series: [
        { value: (/** @type {any} */ _u, /** @type {number} */ t) => shortDay.format(new Date(t * 1000)) },
        {
          label: labels.sales,
          stroke: "#417690",
          width: 2,
          fill: "rgba(65,118,144,0.12)",
          points: { show: true },
          value: (/** @type {any} */ _u, /** @type {number} */ v) => money(v),
        },
      ],
    },
    [days, daily.sales],
  );
  const names = methods.methods;
  draw(
    "chart-methods",
    {
      scales: {
        x: { time: false, range: (/** @type {any} */ _u) => [-0.5, names.length - 0.5] },
        y: {
          range: (/** @type {any} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => [
            0,
            Math.max(max, 1),
          ],
        },
      },
      axes: [
        {
          values: (/** @type {any} */ _u, /** @type {number[]} */ ticks) =>
            ticks.map((t) => (Number.isInteger(t) ? (names[t] ?? "") : "")),
        },
        yAxis,
      ],
      series: [
        { value: (/** @type {any} */ _u, /** @type {number} */ i) => names[i] ?? "" },
        {
          label: labels.paid,
          stroke: "#417690",
          fill: "rgba(65,118,144,0.6)",
          paths: uPlot.paths.bars?.({ size: [0.6, 80] }),
          points: { show: false },
          value: (/** @type {any} */ _u, /** @type {number} */ v) => money(v),
        },
      ],
    },
    [names.map((/** @type {string} */ _n, /** @type {number} */ i) => i), methods.amounts],
  );
}
