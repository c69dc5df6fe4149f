// The dashboard: GET /v1/analytics/summary with the filters, drawn as chart cards.

import { api, withQuery } from "./api.js";
import { barConfig, chartCard, colour, destroyCharts, doughnutConfig } from "./charts.js";
import { $, clear, el, isoDay, percent, when } from "./dom.js";

const DEFAULT_DAYS = 30;
const CHANNELS = ["web", "slack", "api"];
const OUTCOMES = [
  ["answered_citation", "Answered with citation"],
  ["answered_partner_data", "Answered from partner data"],
  ["dont_know", "Don't know"],
  ["out_of_scope", "Out of scope"],
  ["fallback", "Fallback / did you mean"],
  ["handoff", "Handed to a person"],
  ["error", "Error"],
];

/** The dashboard's filters as the API's query parameters. */
function filters() {
  const form = $("dash-filters");
  const data = Object.fromEntries(new FormData(form).entries());
  return { start: data.start, end: data.end, channel: data.channel, tier: data.tier };
}

function setDefaultDates() {
  const form = $("dash-filters");
  if (form.start.value && form.end.value) return;
  const end = new Date();
  const start = new Date(end.getTime() - (DEFAULT_DAYS - 1) * 86_400_000);
  form.start.value = isoDay(start);
  form.end.value = isoDay(end);
}

function kpi(id, label, value) {
  return el("div", { className: "kpi", id }, [
    el("span", { className: "kpi-value", text: value }),
    el("span", { className: "kpi-label", text: label }),
  ]);
}

function showKpis(summary) {
  const latency = summary.latency_ms || {};
  const feedback = summary.feedback || {};
  clear($("kpis")).append(
    kpi("kpi-turns", "turns", String(summary.turns ?? 0)),
    kpi("kpi-conversations", "conversations", String(summary.conversations ?? 0)),
    kpi("kpi-containment", "containment", percent(summary.containment_rate)),
    kpi("kpi-dont-know", "don't know", percent(summary.dont_know_rate)),
    kpi("kpi-fallback", "fallback", percent(summary.fallback_rate)),
    kpi("kpi-feedback", "feedback up / down", `${feedback.up ?? 0} / ${feedback.down ?? 0}`),
    kpi("kpi-latency", "response time p50 / p95", `${latency.p50 ?? "–"} / ${latency.p95 ?? "–"} ms`),
  );
}

function perDayCards(summary, common) {
  const rows = summary.per_day || [];
  const dates = [...new Set(rows.map((row) => row.date))].sort();
  const channels = CHANNELS.filter((channel) => rows.some((row) => row.channel === channel));
  const series = (field) =>
    channels.map((channel, index) => ({
      label: channel,
      colour: colour(index),
      data: dates.map((date) => {
        const row = rows.find((r) => r.date === date && r.channel === channel);
        return row ? row[field] : 0;
      }),
    }));
  const total = (field) => rows.reduce((sum, row) => sum + (row[field] || 0), 0);
  const days = dates.length;
  const table = rows.map((row) => [row.date, row.channel, row.turns, row.conversations]);
  const headers = ["Date", "Channel", "Turns", "Conversations"];
  return [
    chartCard({
      ...common,
      id: "chart-turns",
      title: "Turns per day by channel",
      summary: `${total("turns")} turns over ${days} day(s) with activity, by channel: ${channels.join(", ") || "none"}.`,
      config: days ? barConfig(dates, series("turns"), { stacked: true }) : undefined,
      headers,
      rows: table,
      csv: "per_day",
    }),
    chartCard({
      ...common,
      id: "chart-conversations",
      title: "Conversations per day by channel",
      summary: `${total("conversations")} conversations over ${days} day(s) with activity.`,
      config: days ? barConfig(dates, series("conversations"), { stacked: true }) : undefined,
      headers,
      rows: table,
      csv: "per_day",
    }),
  ];
}

function ratesCard(summary, common) {
  const outcomes = summary.outcomes || {};
  const rates = [
    ["Containment (resolved without a person)", summary.containment_rate],
    ["Don't know", summary.dont_know_rate],
    ["Fallback", summary.fallback_rate],
  ];
  return chartCard({
    ...common,
    id: "chart-rates",
    title: "Containment, don't-know and fallback rates",
    summary: rates.map(([label, rate]) => `${label}: ${percent(rate)}`).join("; ") + ".",
    config: barConfig(
      rates.map(([label]) => label.split(" (")[0]),
      [{ label: "Rate", data: rates.map(([, rate]) => Math.round((rate || 0) * 1000) / 10) }],
      { percent: true },
    ),
    headers: ["Outcome", "Turns"],
    rows: OUTCOMES.map(([key, label]) => [label, outcomes[key] ?? 0]),
    csv: "outcomes",
  });
}

function intentsCard(summary, common) {
  const intents = summary.top_intents || [];
  return chartCard({
    ...common,
    id: "chart-intents",
    title: "Top intents",
    summary: intents.length
      ? intents.slice(0, 5).map((item) => `${item.intent} (${item.count})`).join(", ") + (intents.length > 5 ? ", …" : ".")
      : "No turns in this range.",
    config: intents.length
      ? barConfig(intents.map((i) => i.intent), [{ label: "Turns", data: intents.map((i) => i.count) }], { horizontal: true })
      : undefined,
    headers: ["Intent", "Turns"],
    rows: intents.map((item) => [item.intent, item.count]),
    csv: "top_intents",
    tall: intents.length > 8,
  });
}

// A cluster is named by its newest question (cut for the chart's axis), not its number.
const clusterName = (cluster, limit = 60) => {
  const text = (cluster.examples && cluster.examples[0] && cluster.examples[0].text) || `Cluster ${cluster.cluster}`;
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
};
const questions = (count) => `${count} question${count === 1 ? "" : "s"}`;

function unansweredCard(summary, common) {
  const clusters = summary.top_unanswered || [];
  const examples = (cluster) => (cluster.examples || []).map((e) => `“${e.text}” (${when(e.at)})`).join("; ");
  const list = el(
    "ol",
    { className: "clusters" },
    clusters.map((cluster) =>
      el("li", {}, [
        el("strong", { text: `${questions(cluster.count)} like “${clusterName(cluster, 120)}”` }),
        el(
          "ul",
          { className: "examples" },
          (cluster.examples || []).map((example) =>
            el("li", {}, [el("q", { text: example.text }), el("span", { className: "muted", text: ` ${when(example.at)}` })]),
          ),
        ),
      ]),
    ),
  );
  return chartCard({
    ...common,
    id: "chart-unanswered",
    title: "Top unanswered questions",
    summary: clusters.length
      ? `${clusters.length} kind(s) of question the assistant did not answer, grouped by meaning; the most asked: “${clusterName(clusters[0], 120)}” (${questions(clusters[0].count)}).`
      : "Every question in this range was answered.",
    config: clusters.length
      ? barConfig(clusters.map((c) => clusterName(c, 40)), [{ label: "Questions", data: clusters.map((c) => c.count), colour: "#c0392b" }], { horizontal: true })
      : undefined,
    extra: clusters.length ? list : null,
    headers: ["Cluster", "Questions", "Newest examples"],
    rows: clusters.map((cluster) => [cluster.cluster, cluster.count, examples(cluster)]),
    csv: "top_unanswered",
  });
}

function feedbackCard(summary, common) {
  const feedback = summary.feedback || {};
  const up = feedback.up || 0;
  const down = feedback.down || 0;
  return chartCard({
    ...common,
    id: "chart-feedback",
    title: "Feedback",
    summary: `${up} thumbs up, ${down} thumbs down.`,
    config: up + down ? doughnutConfig(["Thumbs up", "Thumbs down"], [up, down], ["#2e8540", "#c0392b"]) : undefined,
    headers: ["Vote", "Answers"],
    rows: [["Thumbs up", up], ["Thumbs down", down]],
    csv: "feedback",
  });
}

function latencyCard(summary, common) {
  const latency = summary.latency_ms || {};
  return chartCard({
    ...common,
    id: "chart-latency",
    title: "Response time",
    summary: `Median (p50) ${latency.p50 ?? "–"} ms; 95th percentile (p95) ${latency.p95 ?? "–"} ms.`,
    config: barConfig(["p50", "p95"], [{ label: "Milliseconds", data: [latency.p50 || 0, latency.p95 || 0] }]),
    headers: ["Percentile", "Milliseconds"],
    rows: [["p50", latency.p50 ?? "–"], ["p95", latency.p95 ?? "–"]],
    csv: "turns",
  });
}

/** Load the summary with the current filters and draw it. */
export async function refreshDashboard() {
  const status = $("dash-status");
  const current = filters();
  status.textContent = "Loading…";
  status.classList.remove("error");
  let summary;
  try {
    summary = await api(withQuery("/v1/analytics/summary", current));
  } catch (error) {
    status.textContent = error.message;
    status.classList.add("error");
    return;
  }
  const common = {
    filters: current,
    onError: (text) => {
      status.textContent = text;
      status.classList.add("error");
    },
  };
  destroyCharts();
  showKpis(summary);
  clear($("charts")).append(
    ...perDayCards(summary, common),
    ratesCard(summary, common),
    intentsCard(summary, common),
    unansweredCard(summary, common),
    feedbackCard(summary, common),
    latencyCard(summary, common),
  );
  status.textContent = `Updated ${when(new Date().toISOString())}: ${summary.turns ?? 0} turns in ${summary.conversations ?? 0} conversations.`;
  showSampleNote();
}

/** Label the figures as sample while sample partners are in the store. */
async function showSampleNote() {
  try {
    const sample = await api("/v1/partners/sample-data");
    $("dash-sample").hidden = !(sample && sample.sample_partners > 0);
  } catch {
    $("dash-sample").hidden = true; // unknown: claim nothing
  }
}

export function initDashboard() {
  $("dash-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    refreshDashboard();
  });
  $("dash-refresh").addEventListener("click", () => refreshDashboard());
}

export function showDashboard() {
  setDefaultDates();
  return refreshDashboard();
}
