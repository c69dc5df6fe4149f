// Conversation review: search transcripts, open one, export a turn as an NLU example.

import { api, apiText, saveBlob, withQuery } from "./api.js";
import { $, clear, el, focusHeading, table, when } from "./dom.js";

const PAGE_SIZE = 25;
export const OUTCOME_NAMES = {
  answered_citation: "Answered with citation",
  answered_partner_data: "Answered from partner data",
  dont_know: "Don't know",
  out_of_scope: "Out of scope",
  fallback: "Fallback",
  handoff: "Handed to a person",
  error: "Error",
};

let navigate = () => {};
let intents = null; // the domain's intents, loaded once
let offset = 0;
let exporting = null; // the turn the NLU dialog exports

async function loadIntents() {
  if (intents) return intents;
  const answer = await api("/v1/analytics/intents");
  intents = answer.intents || [];
  return intents;
}

function fillSelect(select, values, labelOf = (v) => v) {
  const first = select.options[0] && select.options[0].value === "" ? select.options[0] : null;
  select.replaceChildren(...(first ? [first] : []), ...values.map((v) => el("option", { value: v, text: labelOf(v) })));
}

function conversationFilters() {
  const data = Object.fromEntries(new FormData($("conv-filters")).entries());
  return { ...data, limit: PAGE_SIZE, offset };
}

function openLink(item) {
  const path = `/ops/conversations/${encodeURIComponent(item.sender_id)}`;
  return el("a", {
    href: path,
    text: item.first_question || "(no question)",
    onclick: (event) => {
      event.preventDefault();
      navigate(path);
    },
  });
}

function pager(total) {
  const previous = el("button", { type: "button", text: "Previous page", disabled: offset === 0 });
  const next = el("button", { type: "button", text: "Next page", disabled: offset + PAGE_SIZE >= total });
  previous.addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    search();
  });
  next.addEventListener("click", () => {
    offset += PAGE_SIZE;
    search();
  });
  return el("div", { className: "actions pager" }, [previous, next]);
}

export async function search() {
  const status = $("conv-status");
  status.textContent = "Searching…";
  try {
    const page = await api(withQuery("/v1/analytics/conversations", conversationFilters()));
    const rows = page.items.map((item) => [
      openLink(item),
      when(item.started_at),
      item.channel,
      [item.partner_id, item.tier].filter(Boolean).join(" · ") || "not signed in",
      item.turns,
      (item.outcomes || []).map((o) => OUTCOME_NAMES[o] || o).join(", "),
      item.feedback_down ? `${item.feedback_down} down` : "",
    ]);
    const shown = page.items.length ? `${offset + 1}–${offset + page.items.length}` : "0";
    status.textContent = `${page.total} conversation(s); showing ${shown}.`;
    clear($("conv-results")).append(
      table("Conversations", ["First question", "Started", "Channel", "Partner", "Turns", "Outcomes", "Feedback"], rows, {
        emptyText: "No conversation matches.",
      }),
      pager(page.total),
    );
  } catch (error) {
    status.textContent = error.message;
  }
}

export async function showConversations() {
  try {
    fillSelect($("conv-filters").intent, await loadIntents());
  } catch {
    // the list still works without the intent picker
  }
  focusHeading("conversations-title");
  return search();
}

function turnItem(turn) {
  const feedback = turn.feedback
    ? `${turn.feedback.vote === "up" ? "Thumbs up" : "Thumbs down"}${turn.feedback.comment ? `: “${turn.feedback.comment}”` : ""}`
    : "none";
  const confidence = typeof turn.confidence === "number" ? turn.confidence.toFixed(2) : "–";
  return el("li", { className: `turn outcome-${turn.outcome || "none"}`, "data-turn": turn.id }, [
    el("p", { className: "turn-user" }, [el("span", { className: "visually-hidden", text: "Partner: " }), turn.user_text || ""]),
    ...(turn.bot_texts || []).map((text) =>
      el("p", { className: "turn-bot" }, [el("span", { className: "visually-hidden", text: "Assistant: " }), text]),
    ),
    el("dl", { className: "turn-facts" }, [
      el("dt", { text: "Intent" }), el("dd", { text: `${turn.intent || "–"} (${confidence})` }),
      el("dt", { text: "Outcome" }), el("dd", { text: OUTCOME_NAMES[turn.outcome] || turn.outcome || "–" }),
      el("dt", { text: "Latency" }), el("dd", { text: turn.latency_ms != null ? `${turn.latency_ms} ms` : "–" }),
      el("dt", { text: "Feedback" }), el("dd", { text: feedback }),
      el("dt", { text: "At" }), el("dd", { text: when(turn.at) }),
    ]),
    el("button", {
      type: "button",
      className: "export-nlu",
      text: "Export as NLU example",
      "aria-label": `Export “${(turn.user_text || "").slice(0, 60)}” as NLU example`,
      onclick: () => openNluDialog(turn),
    }),
  ]);
}

export async function showTranscript(senderId) {
  const status = $("transcript-status");
  $("transcript-title").textContent = "Conversation";
  clear($("transcript-facts"));
  clear($("transcript-turns"));
  status.textContent = "Loading…";
  focusHeading("transcript-title");
  try {
    const conversation = await api(`/v1/analytics/conversations/${encodeURIComponent(senderId)}`);
    $("transcript-title").textContent = `Conversation ${conversation.sender_id}`;
    const facts = [
      ["Channel", conversation.channel],
      ["Partner", conversation.partner_id || "not signed in"],
      ["Tier", conversation.tier || "–"],
      ["Turns", String((conversation.turns || []).length)],
    ];
    $("transcript-facts").append(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    $("transcript-turns").append(...(conversation.turns || []).map(turnItem));
    status.textContent = "";
  } catch (error) {
    status.textContent = error.message;
  }
}

async function showNluYaml() {
  const status = $("nlu-status");
  const intent = $("nlu-intent").value;
  status.textContent = "Loading…";
  $("nlu-download").disabled = true;
  try {
    const yaml = await apiText(withQuery(`/v1/analytics/turns/${encodeURIComponent(exporting.id)}/nlu`, { intent }), "text/yaml");
    $("nlu-yaml").textContent = yaml;
    status.textContent = `The example for intent ${intent}: add it to a file under data/.`;
    $("nlu-download").disabled = false;
  } catch (error) {
    $("nlu-yaml").textContent = "";
    status.textContent = error.message;
  }
}

async function openNluDialog(turn) {
  exporting = turn;
  $("nlu-question").textContent = `“${turn.user_text}”`;
  $("nlu-yaml").textContent = "";
  const select = $("nlu-intent");
  try {
    fillSelect(select, await loadIntents());
  } catch (error) {
    $("nlu-status").textContent = error.message;
  }
  if (turn.intent && [...select.options].some((o) => o.value === turn.intent)) select.value = turn.intent;
  $("nlu-dialog").showModal();
  select.focus();
  showNluYaml();
}

export function initConversations(go) {
  navigate = go;
  fillSelect($("conv-filters").outcome, Object.keys(OUTCOME_NAMES), (key) => OUTCOME_NAMES[key]);
  $("conv-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    offset = 0;
    search();
  });
  $("back-to-conversations").addEventListener("click", (event) => {
    event.preventDefault();
    navigate("/ops/conversations");
  });
  $("nlu-intent").addEventListener("change", showNluYaml);
  $("nlu-download").addEventListener("click", () => {
    const blob = new Blob([$("nlu-yaml").textContent], { type: "text/yaml" });
    saveBlob(blob, `nlu-${$("nlu-intent").value}-${exporting.id}.yml`);
  });
}
