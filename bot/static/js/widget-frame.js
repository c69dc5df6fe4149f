// The chat inside the widget's frame (/embed?origin=<site>), opened by /widget.js on an
// allowed site. The site's page sends the signed-in user's portal token (or "visitor")
// by postMessage; the frame exchanges the token at POST /v1/auth/portal and chats as
// that partner, with the same chat code as the assistant's own page. Messages are taken
// only from the parent window, and only from the origin that the server allowed and the
// frame's Content-Security-Policy (frame-ancestors) enforces.

import { api, ApiError, setUnauthorizedHandler } from "./api.js";
import { initChat, startChat } from "./chat.js";
import { clearAuth, loadAuth, loadVisitor, saveAuth, saveVisitor } from "./store.js";

const site = new URLSearchParams(window.location.search).get("origin");
const $ = (id) => document.getElementById(id);
let queue = Promise.resolve(); // one sign-in change at a time, in the order they came
let expired = null; // the sign-in whose token the API refused, until the portal renews it

function tellSite(type) {
  window.parent.postMessage({ type }, site); // only ever to the site that embeds us
}

function setWho(text) {
  $("who").textContent = text;
}

function setNote(text) {
  $("frame-note").hidden = !text;
  $("frame-note").textContent = text || "";
}

/** Revoke a token this frame no longer uses (the site's user changed or signed out). */
function revoke(auth) {
  fetch("/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${auth.token}` } }).catch(
    () => {}, // expired or unreachable: it lapses on its own
  );
}

function setComposer(enabled) {
  $("message").disabled = !enabled;
  $("send").disabled = !enabled;
}

async function openChat() {
  expired = null;
  setComposer(true);
  const log = $("log");
  log.setAttribute("aria-busy", "true"); // restoring the conversation
  try {
    await startChat();
  } finally {
    log.setAttribute("aria-busy", "false");
  }
}

/** Chat as a visitor: program questions only. Restores the visitor's conversation. */
async function asVisitor(note) {
  const before = loadAuth();
  if (before) {
    clearAuth();
    revoke(before);
  }
  if (!loadVisitor()) saveVisitor({ session: null });
  setWho("Not signed in at the portal: program questions only.");
  setNote(note);
  await openChat();
}

/** Exchange the site's portal token for the assistant's; keep the conversation if it is the same person. */
async function withPortalToken(token) {
  let answer;
  try {
    answer = await api("/v1/auth/portal", { method: "POST", json: { token }, auth: false });
  } catch (error) {
    const reason = error instanceof ApiError ? error.message : String(error);
    await asVisitor(`Your portal sign-in was not accepted (${reason}). You can still ask program questions.`);
    return;
  }
  const person = (answer.person && answer.person.name) || "";
  const renewed = Boolean(expired);
  const before = loadAuth() || expired;
  const same = before && before.partner === answer.subject && before.person === person;
  saveAuth({ token: answer.access_token, partner: answer.subject, person, session: same ? before.session : null });
  if (before && before !== expired && before.token !== answer.access_token) revoke(before);
  setWho(`Signed in at the portal as ${person ? `${person}, ` : ""}${answer.subject}`);
  setNote(renewed && same ? "You are signed in again: please send your last message again." : "");
  await openChat();
}

/** Run one sign-in change after the ones before it; a failure is shown, not fatal. */
function enqueue(change) {
  queue = queue.then(change).catch((error) => setNote(error && error.message ? error.message : String(error)));
}

window.addEventListener("message", (event) => {
  if (event.source !== window.parent || event.origin !== site) return;
  const data = event.data || {};
  if (data.type === "pa-widget:portal-token" && typeof data.token === "string") {
    enqueue(() => withPortalToken(data.token));
  } else if (data.type === "pa-widget:visitor") {
    enqueue(() => asVisitor(""));
  }
});

// The assistant's token expired or was revoked: ask the site for a fresh portal token,
// and keep the conversation for when the same person comes back with it.
setUnauthorizedHandler(() => {
  expired = loadAuth() || expired;
  clearAuth();
  setComposer(false);
  setNote("Your sign-in expired; renewing it from the portal…");
  tellSite("pa-widget:token-request");
});

document.addEventListener("DOMContentLoaded", () => {
  initChat();
  // Links in answers open in a new tab: the frame keeps the chat.
  $("log").addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (link && !link.classList.contains("course-link")) {
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
  });
  if (window.parent === window || !site) {
    setWho("This is the Partner Assistant's widget: it opens inside the partner portal.");
    return;
  }
  tellSite("pa-widget:ready");
});
