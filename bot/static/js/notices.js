// Reminders in the browser: the notices waiting for this sign-in, shown once in the
// chat when it opens (the server marks them seen as it hands them out), and each
// recipient's reminder choices on the account page (docs/partners.md, "Reminders").

import { api, ApiError } from "./api.js";
import { renderMarkdown } from "./markdown.js";

/** Append the signed-in partner's waiting notices to the chat log; quietly none on failure. */
export async function showNotices(log) {
  let answer;
  try {
    answer = await api("/v1/partners/me/notices");
  } catch {
    return; // a reminder is never a reason to disturb the chat; it stays for the next open
  }
  for (const notice of (answer && answer.notices) || []) {
    const item = document.createElement("div");
    item.className = "msg bot notice-msg reminder-msg";
    item.dataset.notice = String(notice.id);
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = "Reminder: ";
    const body = document.createElement("div");
    body.className = "md";
    body.innerHTML = renderMarkdown(notice.text); // escaped first: see markdown.js
    item.append(who, body);
    log.append(item);
  }
}

function field(label, input) {
  const wrapper = document.createElement("label");
  wrapper.className = "reminder-field";
  wrapper.append(label, " ", input);
  return wrapper;
}

function zoneList() {
  const list = document.createElement("datalist");
  list.id = "reminder-zones";
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  for (const zone of zones) list.append(Object.assign(document.createElement("option"), { value: zone }));
  return list;
}

function recipientForm(recipient, status) {
  const form = document.createElement("fieldset");
  form.className = "reminder-recipient";
  form.dataset.recipient = recipient.recipient;
  const legend = document.createElement("legend");
  legend.textContent = recipient.description;
  const enabled = Object.assign(document.createElement("input"), { type: "checkbox", checked: recipient.enabled });
  const zone = Object.assign(document.createElement("input"), {
    type: "text",
    value: recipient.own_time_zone ? recipient.time_zone : "",
    placeholder: `${recipient.time_zone} (your country's)`,
    spellcheck: false,
  });
  zone.setAttribute("list", "reminder-zones");
  const start = Object.assign(document.createElement("input"), { type: "time", value: recipient.start });
  const end = Object.assign(document.createElement("input"), { type: "time", value: recipient.end });
  const save = Object.assign(document.createElement("button"), { type: "button", textContent: "Save" });
  save.addEventListener("click", async () => {
    save.disabled = true;
    try {
      const body = { recipient: recipient.recipient, enabled: enabled.checked, time_zone: zone.value.trim() };
      if (start.value) body.start = start.value.slice(0, 5);
      if (end.value) body.end = end.value.slice(0, 5);
      await api("/v1/partners/me/reminders", { method: "PUT", json: body });
      status.textContent = `Saved: reminders ${enabled.checked ? "on" : "off"} for ${recipient.description}.`;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) status.textContent = error.message;
    } finally {
      save.disabled = false;
    }
  });
  form.append(
    legend,
    field("Reminders on", enabled),
    field("Time zone", zone),
    field("From", start),
    field("until", end),
    " ",
    save,
  );
  return form;
}

/** Fill `container` with one form per recipient of the signed-in partner's reminders. */
export async function showReminderSettings(container) {
  const status = document.createElement("p");
  status.setAttribute("role", "status");
  container.replaceChildren(status);
  status.textContent = "Loading…";
  try {
    const answer = await api("/v1/partners/me/reminders");
    status.textContent = "";
    container.prepend(zoneList(), ...answer.recipients.map((r) => recipientForm(r, status)));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) status.textContent = error.message;
  }
}
