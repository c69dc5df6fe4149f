// The audit log (program managers): who of the office read or answered which conversation.

import { api, withQuery } from "./api.js";
import { $, clear, el, focusHeading, table, when } from "./dom.js";

const PAGE_SIZE = 50;
const ACTIONS = {
  read_conversation: "Read a conversation",
  read_ticket: "Read a ticket",
  read_partner_status: "Read a partner's status",
  claim: "Claimed a ticket",
  reply: "Replied",
  hand_back: "Handed back",
  close: "Closed a ticket",
  export_nlu: "Exported an NLU example",
  export_csv: "Exported a CSV",
};

let offset = 0;

async function list() {
  const status = $("audit-status");
  const filters = Object.fromEntries(new FormData($("audit-filters")).entries());
  status.textContent = "Loading…";
  try {
    const page = await api(withQuery("/v1/audit", { ...filters, limit: PAGE_SIZE, offset }));
    const rows = page.items.map((entry) => [
      when(entry.at),
      entry.actor,
      ACTIONS[entry.action] || entry.action,
      entry.target,
      entry.detail || "",
    ]);
    const previous = el("button", { type: "button", text: "Previous page", disabled: offset === 0 });
    const next = el("button", { type: "button", text: "Next page", disabled: offset + PAGE_SIZE >= page.total });
    previous.addEventListener("click", () => {
      offset = Math.max(0, offset - PAGE_SIZE);
      list();
    });
    next.addEventListener("click", () => {
      offset += PAGE_SIZE;
      list();
    });
    status.textContent = `${page.total} entr${page.total === 1 ? "y" : "ies"}, newest first.`;
    clear($("audit-results")).append(
      table("Audit log", ["When", "Operator", "Action", "Conversation", "Detail"], rows, { emptyText: "No entry matches." }),
      el("div", { className: "actions pager" }, [previous, next]),
    );
  } catch (error) {
    status.textContent = error.message;
    clear($("audit-results"));
  }
}

export function initAudit() {
  const select = $("audit-filters").action;
  select.append(...Object.entries(ACTIONS).map(([value, text]) => el("option", { value, text })));
  $("audit-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    offset = 0;
    list();
  });
}

export function showAudit() {
  focusHeading("audit-title");
  return list();
}
