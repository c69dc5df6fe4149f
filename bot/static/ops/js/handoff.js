// The handoff queue, live: GET /v1/handoff/stream tells when the queue changes; the list
// is read again then, and a new open ticket is announced (visible and aria-live).

import { api } from "./api.js";
import { $, clear, el, focusHeading, waited } from "./dom.js";
import { follow } from "./live.js";

let navigate = () => {};
let queueStream = null;
let known = null; // ids of the open tickets seen so far; null before the first read
let tickets = [];
let onQueueChange = () => {};
let ticking = null;

/** Read the open and assigned tickets; open first, the longest waiting on top. */
async function readQueue() {
  const [open, assigned] = await Promise.all([
    api("/v1/handoff/tickets?status=open&limit=100"),
    api("/v1/handoff/tickets?status=assigned&limit=100"),
  ]);
  const byAge = (a, b) => new Date(a.created_at) - new Date(b.created_at);
  return [...open.items.sort(byAge), ...assigned.items.sort(byAge)];
}

function announce(fresh) {
  const text =
    fresh.length === 1
      ? `New handoff ticket #${fresh[0].id}${fresh[0].partner_id ? ` from ${fresh[0].partner_id}` : ""}: “${fresh[0].last_user_message || "a request for a person"}”`
      : `${fresh.length} new handoff tickets are waiting.`;
  $("ticket-notice-text").textContent = text;
  $("ticket-notice-link").setAttribute("href", fresh.length === 1 ? `/ops/handoff/${fresh[0].id}` : "/ops/handoff");
  $("ticket-notice").hidden = false;
  document.title = `(${tickets.filter((t) => t.status === "open").length}) Operator console · Partner Assistant`;
}

async function queueChanged() {
  try {
    tickets = await readQueue();
  } catch (error) {
    $("queue-live").textContent = error.message;
    return;
  }
  const openIds = tickets.filter((t) => t.status === "open").map((t) => t.id);
  if (known !== null) {
    const fresh = tickets.filter((t) => t.status === "open" && !known.has(t.id));
    if (fresh.length) announce(fresh);
  }
  known = new Set([...(known || []), ...openIds]);
  const badge = $("queue-badge");
  badge.textContent = openIds.length ? `${openIds.length} open` : "";
  badge.hidden = !openIds.length;
  renderQueue();
  onQueueChange();
}

function ticketLink(ticket) {
  const path = `/ops/handoff/${ticket.id}`;
  return el("a", {
    href: path,
    text: `Ticket #${ticket.id}`,
    onclick: (event) => {
      event.preventDefault();
      navigate(path);
    },
  });
}

function renderQueue() {
  const list = $("queue-list");
  if (!list) return;
  if (!tickets.length) {
    clear(list).append(el("p", { className: "muted", text: "No open tickets: nobody is waiting for a person." }));
    return;
  }
  const now = Date.now();
  clear(list).append(
    el(
      "ul",
      { className: "queue" },
      tickets.map((ticket) =>
        el("li", { className: `queue-item ${ticket.status}`, "data-ticket": ticket.id }, [
          el("div", { className: "queue-head" }, [
            ticketLink(ticket),
            el("span", { className: `pill ${ticket.status}`, text: ticket.status === "open" ? "Open" : "Assigned" }),
          ]),
          el("p", { className: "queue-text", text: ticket.last_user_message || "(no message)" }),
          el("p", { className: "muted small" }, [
            `${ticket.partner_id || "not signed in"} · ${ticket.channel} · `,
            el("span", { className: "waiting", text: `waiting ${waited(ticket.created_at, now)}` }),
            ticket.claimed_by ? ` · held by ${ticket.claimed_by}` : "",
          ]),
        ]),
      ),
    ),
  );
}

/** Follow the queue while signed in (every screen shows its notices). */
export function startQueue(changed = () => {}) {
  stopQueue();
  onQueueChange = changed;
  known = null;
  queueStream = follow("/v1/handoff/stream", {
    onEvent: (event) => {
      if (event === "tickets") queueChanged();
    },
    onOpen: () => queueChanged(), // (re)connected: anything missed meanwhile is read now
    onState: (state, detail) => {
      const text = { live: "Live: the queue updates as tickets arrive.", waiting: `Connection lost. ${detail}`, refused: detail }[state];
      if ($("queue-live")) $("queue-live").textContent = text;
    },
  });
  ticking = setInterval(renderQueue, 30_000); // the waiting times move on
}

export function stopQueue() {
  if (queueStream) queueStream.stop();
  queueStream = null;
  clearInterval(ticking);
  known = null;
  tickets = [];
  $("queue-badge").hidden = true;
  $("ticket-notice").hidden = true;
}

export function showQueue() {
  renderQueue();
  focusHeading("handoff-title");
  return queueChanged();
}

export function initHandoff(go) {
  navigate = go;
  $("ticket-notice-close").addEventListener("click", () => {
    $("ticket-notice").hidden = true;
    document.title = "Operator console · Partner Assistant";
  });
  $("ticket-notice-link").addEventListener("click", (event) => {
    event.preventDefault();
    $("ticket-notice").hidden = true;
    navigate($("ticket-notice-link").getAttribute("href"));
  });
}
