// One handoff ticket: the conversation live, the partner's status, claim, reply, hand back.

import { api, loadAuth } from "./api.js";
import { $, clear, el, focusHeading, when } from "./dom.js";
import { follow } from "./live.js";

const ROLE_NAMES = { user: "Partner", bot: "Assistant", operator: "Operator" };

let current = null; // {id, ticket, stream, seen: Set, echoes: string[]}

function me() {
  const auth = loadAuth();
  return auth ? auth.subject : "";
}

function lineKey(line) {
  return `${line.role}|${line.at}|${line.text}`;
}

function addLine(line) {
  if (!current) return;
  const key = lineKey(line);
  if (current.seen.has(key)) return;
  if (line.role === "operator") {
    const echo = current.echoes.indexOf(line.text);
    if (echo !== -1) {
      current.echoes.splice(echo, 1); // shown when it was sent
      current.seen.add(key);
      return;
    }
  }
  current.seen.add(key);
  const who = line.role === "operator" ? `${line.operator || "Operator"}` : ROLE_NAMES[line.role] || line.role;
  $("ticket-lines").append(
    el("div", { className: `msg ${line.role}` }, [
      el("span", { className: "msg-who", text: `${who} · ${when(line.at)}` }),
      el("p", { text: line.text }),
    ]),
  );
  $("ticket-lines").scrollTop = $("ticket-lines").scrollHeight;
}

function showTicketState(ticket) {
  current.ticket = ticket;
  const mine = ticket.claimed_by && ticket.claimed_by === me();
  const closed = ticket.status === "closed";
  let text;
  if (closed) text = "Closed: the conversation is back with the assistant.";
  else if (mine) text = "You hold this conversation: the assistant is silent until you hand it back.";
  else if (ticket.claimed_by) text = `Held by ${ticket.claimed_by}.`;
  else text = `Open, waiting since ${when(ticket.created_at)}. Claim it to answer the partner.`;
  $("ticket-title").textContent = `Ticket #${ticket.id}${ticket.partner_id ? ` · ${ticket.partner_id}` : ""} · ${ticket.channel}`;
  $("ticket-status").textContent = text;
  $("ticket-claim").disabled = closed || Boolean(mine);
  $("ticket-claim").textContent = mine ? "Claimed by you" : "Claim";
  $("ticket-hand-back").disabled = closed || !ticket.claimed_by;
  const replying = !closed && (mine || !ticket.claimed_by);
  $("reply-text").disabled = !replying;
  $("reply-form").querySelector("button").disabled = !replying;
}

/** The partner's status (``partners.status`` as_dict): tier, next tier, what is missing, deadline. */
function showSnapshot(s) {
  const missing = (s.gap || []).filter((item) => !item.met);
  const facts = [
    ["Partner", [s.partner_id, s.name, s.country].filter(Boolean).join(" · ")],
    ["Tier", s.tier || "–"],
    ["Next tier", s.next_tier || "none (top tier)"],
    [
      "Missing for the next tier",
      missing.length ? el("ul", {}, missing.map((item) => el("li", { text: item.text || item.label }))) : "nothing",
    ],
    ["Deadline", s.transition_end ? `${s.transition_end} (${s.days_left ?? "?"} days left)` : "–"],
    ["Competencies", (s.competencies || []).map((c) => c.name || c.id).join(", ") || "none"],
    ["Vouchers available", String(s.vouchers_available ?? "–")],
  ];
  const list = el("dl", { className: "facts" });
  for (const [label, value] of facts) list.append(el("dt", { text: label }), el("dd", {}, [value]));
  const box = clear($("partner-snapshot"));
  box.append(list);
  if ((s.sample_figures || []).length) box.append(el("p", { className: "muted small", text: "Sample data: some figures are fictitious." }));
}

async function loadSnapshot(id) {
  try {
    showSnapshot(await api(`/v1/handoff/tickets/${id}/partner`));
  } catch (error) {
    const text = error.status === 404 ? "No partner: the person was not signed in." : error.message;
    clear($("partner-snapshot")).append(el("p", { className: "muted", text }));
  }
}

function fail(error) {
  $("ticket-error").textContent = error.message;
}

async function act(path) {
  $("ticket-error").textContent = "";
  try {
    showTicketState(await api(path, { method: "POST" }));
    return true;
  } catch (error) {
    fail(error);
    return false;
  }
}

async function sendReply() {
  const box = $("reply-text");
  const text = box.value.trim();
  if (!text || !current) return;
  $("ticket-error").textContent = "";
  box.disabled = true;
  try {
    const sent = await api(`/v1/handoff/tickets/${current.id}/messages`, { method: "POST", json: { text } });
    box.value = "";
    addLine({ role: "operator", text: sent.text, at: sent.at, operator: sent.operator });
    current.echoes.push(sent.text);
  } catch (error) {
    fail(error);
  } finally {
    box.disabled = false;
    box.focus();
  }
  // the server may have claimed the ticket for this reply
  refreshTicket();
}

/** Read the ticket again (the queue changed: claimed, handed back, closed). */
export async function refreshTicket() {
  if (!current) return;
  try {
    const ticket = await api(`/v1/handoff/tickets/${current.id}`);
    if (current) showTicketState({ ...current.ticket, ...ticket });
  } catch {
    // keep what is shown; the next change reads it again
  }
}

export function closeTicket() {
  if (current && current.stream) current.stream.stop();
  current = null;
}

export async function showTicket(id) {
  closeTicket();
  current = { id, ticket: null, stream: null, seen: new Set(), echoes: [] };
  clear($("ticket-lines"));
  $("ticket-error").textContent = "";
  $("ticket-status").textContent = "Loading…";
  $("ticket-title").textContent = `Ticket #${id}`;
  clear($("partner-snapshot")).append(el("p", { className: "muted", text: "Loading…" }));
  focusHeading("ticket-title");
  const mine = current;
  // Follow first, then read: a line said meanwhile arrives on the stream (duplicates are skipped).
  mine.stream = follow(`/v1/handoff/tickets/${id}/stream`, {
    onEvent: (event, data) => {
      if (event === "line" && current === mine && data && typeof data === "object") addLine(data);
    },
  });
  try {
    const conversation = await api(`/v1/handoff/tickets/${id}/conversation`);
    if (current !== mine) return;
    showTicketState(conversation.ticket);
    for (const line of conversation.lines || []) addLine(line);
  } catch (error) {
    $("ticket-status").textContent = error.message;
  }
  loadSnapshot(id);
}

export function initTicket() {
  $("ticket-claim").addEventListener("click", async () => {
    if (current && (await act(`/v1/handoff/tickets/${current.id}/claim`))) $("reply-text").focus();
  });
  $("ticket-hand-back").addEventListener("click", () => current && act(`/v1/handoff/tickets/${current.id}/hand-back`));
  $("reply-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendReply();
  });
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendReply();
    }
  });
}
