// The chat widget: message log, quick replies, typing indicator, history restore.

import { api, ApiError } from "./api.js";
import { customPayload, openCourse } from "./cards.js";
import { renderMarkdown } from "./markdown.js";
import { showNotices } from "./notices.js";
import { TROUBLE } from "./texts.js";
import { loadAuth, loadVisitor, saveAuth, saveVisitor } from "./store.js";

const log = () => document.getElementById("log");
const input = () => document.getElementById("message");

function scrollToEnd() {
  const node = log();
  node.scrollTop = node.scrollHeight;
}

function bubble(role, extraClass) {
  const item = document.createElement("div");
  item.className = `msg ${role}${extraClass ? ` ${extraClass}` : ""}`;
  const who = document.createElement("span");
  who.className = "visually-hidden";
  who.textContent = role === "user" ? "You said: " : "Assistant: ";
  item.append(who);
  return item;
}

function quickReplies(buttons, live) {
  const group = document.createElement("div");
  group.className = "quick-replies";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Suggested replies");
  for (const button of buttons) {
    if (!button || !button.title) continue;
    const node = document.createElement("button");
    node.type = "button";
    node.className = "quick-reply";
    node.textContent = button.title;
    if (!live) node.disabled = true; // answered earlier: kept for context only
    node.addEventListener("click", () => {
      for (const sibling of group.querySelectorAll("button")) sibling.disabled = true;
      node.classList.add("chosen");
      send(button.payload || button.title, button.title);
    });
    group.append(node);
  }
  return group;
}

/** Append one message; `live` is false for messages restored from history. */
function addMessage(message, live = true) {
  if (message.role === "user") {
    const item = bubble("user");
    const text = document.createElement("p");
    text.textContent = message.text;
    item.append(text);
    log().append(item);
    return;
  }
  const item = bubble("bot");
  let shown = false;
  if (message.text) {
    const body = document.createElement("div");
    body.className = "md";
    body.innerHTML = renderMarkdown(message.text); // escaped first: see markdown.js
    item.append(body);
    shown = true;
  }
  if (message.image && /^https?:\/\//i.test(message.image)) {
    const image = document.createElement("img");
    image.src = message.image;
    image.alt = "";
    item.append(image);
    shown = true;
  }
  if (message.custom) {
    const card = customPayload(message.custom);
    if (card) {
      item.append(card);
      shown = true;
    }
  }
  if (message.buttons && message.buttons.length) {
    item.append(quickReplies(message.buttons, live));
    shown = true;
  }
  if (shown) log().append(item);
}

function addNotice(text) {
  const item = bubble("bot", "notice-msg");
  const body = document.createElement("p");
  body.setAttribute("role", "alert");
  body.textContent = text;
  item.append(body);
  log().append(item);
  scrollToEnd();
}

function setTyping(on) {
  document.getElementById("typing").hidden = !on;
  document.getElementById("send").disabled = on;
  if (on) scrollToEnd();
}

/** Start a conversation: the signed-in partner's, or a visitor's without a sign-in. */
async function newSession() {
  const auth = loadAuth();
  const created = await api("/v1/chat/session", { method: "POST" });
  if (auth) saveAuth({ ...auth, session: created.session });
  else saveVisitor({ session: created.session });
  return created.session;
}

function storedSession() {
  const holder = loadAuth() || loadVisitor();
  return holder ? holder.session : null;
}

async function currentSession() {
  return storedSession() || newSession();
}

let sending = false;

/**
 * Send a message (typed, or a quick reply's payload shown as its title).
 * @param {string} message  what Rasa receives
 * @param {string} [shown]  what the log shows; defaults to the message
 */
export async function send(message, shown) {
  const text = String(message || "").trim();
  if (!text || sending) return;
  sending = true;
  addMessage({ role: "user", text: shown || text });
  setTyping(true);
  try {
    let reply;
    try {
      reply = await api("/v1/chat", { method: "POST", json: { session: await currentSession(), message: text } });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 403) throw error;
      // The stored session belongs to another sign-in: start a fresh one, once.
      reply = await api("/v1/chat", { method: "POST", json: { session: await newSession(), message: text } });
    }
    for (const bot of reply.messages) addMessage(bot);
    if (!reply.messages.length) addNotice(TROUBLE);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) addNotice(error.message);
  } finally {
    setTyping(false);
    sending = false;
    scrollToEnd();
  }
  const box = input();
  if (box && !box.closest("[hidden]") && !document.querySelector("dialog[open]")) box.focus();
}

/** Show the chat: restore this browser's conversation, then focus the message box. */
export async function startChat() {
  log().replaceChildren();
  const session = storedSession();
  if (!session) {
    // Just signed in (or chose to chat as a visitor): this browser's conversation starts now.
    await newSession().catch((error) => {
      if (!(error instanceof ApiError) || error.status !== 401) addNotice(error.message);
    });
  } else {
    try {
      const history = await api(`/v1/chat/history?session=${encodeURIComponent(session)}`);
      const messages = history.messages;
      messages.forEach((message, i) => addMessage(message, i === messages.length - 1));
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) await newSession().catch(() => {});
      else if (!(error instanceof ApiError) || error.status !== 401) addNotice(error.message);
    }
  }
  // Reminders waiting for this sign-in, once (docs/partners.md, "Reminders").
  if (loadAuth()) await showNotices(log());
  scrollToEnd();
  input().focus();
}

/** Wire the composer and course links once, when the page loads. */
export function initChat() {
  document.getElementById("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const box = input();
    const text = box.value;
    if (!text.trim()) return;
    box.value = "";
    send(text);
  });
  log().addEventListener("click", (event) => {
    const link = event.target.closest("a.course-link");
    if (!link) return;
    event.preventDefault();
    openCourse(link.dataset.course, link);
  });
}
