// Chart cards: a Chart.js chart (vendor/chart.umd.min.js, global `Chart`), its summary as
// text, its data as a table, and the table's CSV download. The chart is a picture for
// those who see it; the text and the table carry the same figures for everyone else.

import { download, withQuery } from "./api.js";
import { el, table } from "./dom.js";

const COLOURS = ["#0b5cad", "#e07b00", "#2e8540", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d"];
const live = new Map(); // canvas id -> Chart, destroyed before a redraw

export function colour(index) {
  return COLOURS[index % COLOURS.length];
}

/** Destroy every chart drawn so far (before the dashboard draws anew). */
export function destroyCharts() {
  for (const chart of live.values()) chart.destroy();
  live.clear();
}

function draw(canvas, config) {
  const ChartJs = window.Chart;
  if (!ChartJs) return; // the library failed to load: the text and table still tell all
  const chart = new ChartJs(canvas, {
    ...config,
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      ...config.options,
    },
  });
  live.set(canvas.id, chart);
}

/** A link that downloads `/v1/analytics/export/{name}.csv` with the filters, signed in. */
function csvLink(name, filters, onError) {
  const path = withQuery(`/v1/analytics/export/${name}.csv`, filters);
  return el("a", {
    href: path,
    className: "csv-link",
    "data-table": name,
    text: `Download CSV (${name})`,
    onclick: async (event) => {
      event.preventDefault();
      try {
        await download(path, `${name}-${filters.start || "all"}-${filters.end || "all"}.csv`);
      } catch (error) {
        onError(`The CSV export failed: ${error.message}`);
      }
    },
  });
}

/**
 * A chart card.
 * @param {{id: string, title: string, summary: string, config?: object,
 *          headers: string[], rows: any[][], csv?: string, filters: object,
 *          onError: (text: string) => void, extra?: Node, tall?: boolean}} spec
 */
export function chartCard(spec) {
  const titleId = `${spec.id}-title`;
  const canvas = spec.config
    ? el("canvas", { id: `${spec.id}-canvas`, role: "img", "aria-label": `${spec.title}: ${spec.summary}` })
    : null;
  const card = el("figure", { className: "chart-card", id: spec.id, "aria-labelledby": titleId }, [
    el("figcaption", { className: "chart-head" }, [
      el("h3", { id: titleId, text: spec.title }),
      spec.csv ? csvLink(spec.csv, spec.filters, spec.onError) : null,
    ]),
    canvas ? el("div", { className: spec.tall ? "chart-box tall" : "chart-box" }, [canvas]) : null,
    el("p", { className: "chart-text", text: spec.summary }),
    spec.extra || null,
    el("details", { className: "chart-data" }, [
      el("summary", { text: `${spec.title}: data table` }),
      table(spec.title, spec.headers, spec.rows),
    ]),
  ]);
  if (canvas) queueMicrotask(() => draw(canvas, spec.config));
  return card;
}

/** Bar chart config: `labels` on the x axis (or y with horizontal), one dataset per series. */
export function barConfig(labels, series, { horizontal = false, stacked = false, percent = false } = {}) {
  const valueAxis = {
    beginAtZero: true,
    stacked,
    ...(percent ? { max: 100, ticks: { callback: (value) => `${value} %` } } : { ticks: { precision: 0 } }),
  };
  const labelAxis = { stacked };
  return {
    type: "bar",
    data: {
      labels,
      datasets: series.map((item, index) => ({
        label: item.label,
        data: item.data,
        backgroundColor: item.colour || colour(index),
      })),
    },
    options: {
      indexAxis: horizontal ? "y" : "x",
      scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
      plugins: { legend: { display: series.length > 1 } },
    },
  };
}

export function doughnutConfig(labels, data, colours) {
  return {
    type: "doughnut",
    data: { labels, datasets: [{ data, backgroundColor: colours }] },
    options: { plugins: { legend: { position: "bottom" } } },
  };
}
