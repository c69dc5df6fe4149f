// The chat widget: message log, quick replies, typing indicator, history restore,
// feedback under each answer (feedback.js) and a person's live replies (live.js).

import { api, ApiError } from "./api.js";
import { customPayload, openCourse } from "./cards.js";
import { feedbackControls } from "./feedback.js";
import { followHandoff, stopLive } from "./live.js";
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

/** Append a message of a person of the program office (not the assistant). */
function addPerson(text, operator) {
  const item = document.createElement("div");
  item.className = "msg bot person";
  const who = document.createElement("p");
  who.className = "person-name";
  who.textContent = `${operator} · program office`;
  const hidden = document.createElement("span");
  hidden.className = "visually-hidden";
  hidden.textContent = `${operator}, a person of the program office, said: `;
  const body = document.createElement("p");
  body.className = "person-text";
  body.append(hidden, document.createTextNode(text));
  item.append(who, body);
  log().append(item);
  scrollToEnd();
  return item;
}

/** A note about who the partner is talking to (waiting, joined, back with the assistant). */
function addNote(text) {
  const item = document.createElement("p");
  item.className = "handoff-note";
  item.textContent = text;
  log().append(item);
  scrollToEnd();
}

const liveView = { addPerson, addNote };

/**
 * Append one message; `live` is false for messages restored from history.
 * @returns {HTMLElement|null} the bot message's element, or null when nothing was shown
 */
function addMessage(message, live = true) {
  if (message.role === "user") {
    const item = bubble("user");
    const text = document.createElement("p");
    text.textContent = message.text;
    item.append(text);
    log().append(item);
    return null;
  }
  if (message.from === "operator" && message.text) return addPerson(message.text, message.operator || "A person");
  if (message.from === "handoff" && message.text) {
    addNote(message.text); // the handoff's own words (back with the assistant)
    return null;
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
  if (!shown) return null;
  log().append(item);
  return item;
}

/**
 * Put the feedback controls under the last message of an answer: after its text and
 * cards, before its suggested replies (which stay the conversation's last controls).
 */
function addFeedback(item, session, turn) {
  if (!item || !turn || typeof turn !== "string") return;
  item.insertBefore(feedbackControls(session, turn), item.querySelector(":scope > .quick-replies"));
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
    let session = await currentSession();
    try {
      reply = await api("/v1/chat", { method: "POST", json: { session, message: text } });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 403) throw error;
      // The stored session belongs to another sign-in: start a fresh one, once.
      session = await newSession();
      reply = await api("/v1/chat", { method: "POST", json: { session, message: text } });
    }
    let last = null;
    for (const bot of reply.messages) last = addMessage(bot) || last;
    addFeedback(last, session, reply.turn);
    // While a person holds the conversation the assistant is silent: no answer is expected.
    if (!reply.messages.length && !reply.handoff) addNotice(TROUBLE);
    followHandoff(session, reply.handoff, liveView);
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
  stopLive();
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
      const lastOfTurn = new Map(); // turn id -> the last message shown of that answer
      messages.forEach((message, i) => {
        const item = addMessage(message, i === messages.length - 1);
        if (item && message.turn && message.from !== "operator") lastOfTurn.set(message.turn, item);
      });
      for (const [turn, item] of lastOfTurn) addFeedback(item, session, turn);
      followHandoff(session, history.handoff, liveView);
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
