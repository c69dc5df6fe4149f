// Rich parts of the assistant's answers: the tier-progress card and the course view.
// Built with DOM calls and textContent only, so payload values can never become markup.

import { api } from "./api.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function amount(value) {
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value ?? "");
  return number.toLocaleString("en", { maximumFractionDigits: 1 });
}

/**
 * Render a {"type": "tier_progress"} payload as a card of progress bars.
 * @param {{tier?: string, next_tier?: string|null, days_left?: number|null, what_if?: boolean,
 *          items?: {label: string, have: number, need: number, unit?: string}[]}} payload
 */
export function tierProgressCard(payload) {
  const card = el("section", "card tier-card");
  card.setAttribute("aria-label", "Tier progress");
  const title = el("h3", "tier-title");
  // A what-if card shows the tier the partner would hold, never as its real tier.
  const heading = payload.what_if ? "With this what-if: " : "Your tier: ";
  title.append(heading, el("strong", "tier-name", payload.tier || "unknown"));
  card.append(title);
  if (payload.next_tier) {
    card.append(el("p", "tier-next", `Progress toward ${payload.next_tier}:`));
  } else {
    card.append(el("p", "tier-next", "This is the highest tier."));
  }
  const list = el("ul", "progress-list");
  for (const item of Array.isArray(payload.items) ? payload.items : []) {
    const have = Number(item.have) || 0;
    const need = Number(item.need) || 0;
    const unit = item.unit ? ` ${item.unit}` : "";
    // The engine knows best (`met`); without it, "have at least what is needed".
    const done = typeof item.met === "boolean" ? item.met : need <= 0 || have >= need;
    const row = el("li", done ? "progress-item done" : "progress-item");
    const label = el("span", "progress-label", item.label);
    const figures = el("span", "progress-figures", `${amount(have)} / ${amount(need)}${unit}`);
    const bar = el("progress", "progress-bar");
    bar.max = need > 0 ? need : 1;
    bar.value = need > 0 ? Math.min(have, need) : 1;
    bar.setAttribute("aria-label", `${item.label}: ${amount(have)} of ${amount(need)}${unit}`);
    row.append(label, figures, bar);
    if (done) row.append(el("span", "visually-hidden", "(met)"));
    list.append(row);
  }
  card.append(list);
  if (payload.days_left !== undefined && payload.days_left !== null) {
    const days = Number(payload.days_left);
    card.append(
      el("p", "tier-days", `${amount(days)} day${days === 1 ? "" : "s"} left in the transition window.`),
    );
  }
  return card;
}

/** A custom payload the widget does not know: show nothing rather than raw JSON. */
export function customPayload(payload) {
  if (payload && payload.type === "tier_progress") return tierProgressCard(payload);
  return null;
}

function hours(value) {
  const number = Number(value);
  return `${amount(number)} hour${number === 1 ? "" : "s"}`;
}

/** Open the course view (a modal dialog) for one University course. */
export async function openCourse(courseId, opener) {
  const dialog = document.getElementById("course-dialog");
  const title = document.getElementById("course-title");
  const body = document.getElementById("course-body");
  title.textContent = courseId;
  body.replaceChildren(el("p", "muted", "Loading the course…"));
  if (!dialog.open) dialog.showModal();
  dialog.addEventListener("close", () => opener && opener.focus(), { once: true });
  try {
    const course = await api(`/v1/courses/${encodeURIComponent(courseId)}`, { auth: false });
    title.textContent = `${course.title} (${course.id})`;
    const facts = el("dl", "course-facts");
    const add = (term, value) => {
      if (value === undefined || value === null || value === "") return;
      facts.append(el("dt", null, term), el("dd", null, value));
    };
    add("Level", course.level);
    add("Duration", hours(course.duration_hours));
    add("Delivery", course.delivery);
    add("Counts toward", (course.competencies || []).join(", "));
    add("Credits", course.credits);
    add("Prerequisites", (course.prerequisites || []).join(", ") || "none");
    add("Voucher", course.voucher_eligible ? "a free certification voucher can pay for it" : "not eligible");
    body.replaceChildren(el("p", null, course.summary), facts);
  } catch (error) {
    body.replaceChildren(el("p", "error", error.message));
  }
}
