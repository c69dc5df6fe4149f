// The operator console: sign-in, the screens the address names, sign-out.

import { api, ApiError, clearAuth, loadAuth, saveAuth, setUnauthorizedHandler } from "./api.js";
import { initAudit, showAudit } from "./audit.js";
import { initConversations, showConversations, showTranscript } from "./conversations.js";
import { initDashboard, showDashboard } from "./dashboard.js";
import { $, focusHeading } from "./dom.js";
import { initHandoff, showQueue, startQueue, stopQueue } from "./handoff.js";
import { closeTicket, initTicket, refreshTicket, showTicket } from "./ticket.js";

const VIEWS = ["signin-view", "dashboard-view", "conversations-view", "transcript-view", "handoff-view", "ticket-view", "audit-view"];
// An operator-only API that costs little: a partner's token gets its 403 and reason here.
const PROBE = "/v1/analytics/intents";
const NOT_AN_OPERATOR = "This account is not an operator account of the program office: the console is for operators only.";

/** Which screen the address names: [view, nav screen, argument]. */
function screenOf(pathname) {
  const parts = pathname.replace(/^\/ops\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "conversations") return parts[1] ? ["transcript-view", "conversations", parts[1]] : ["conversations-view", "conversations"];
  if (parts[0] === "handoff") return parts[1] ? ["ticket-view", "handoff", parts[1]] : ["handoff-view", "handoff"];
  if (parts[0] === "audit") return ["audit-view", "audit"];
  return ["dashboard-view", "dashboard"];
}

function show(view, screen) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  const auth = loadAuth();
  $("ops-nav").hidden = !auth || view === "signin-view";
  $("who").textContent = auth ? `Signed in as ${auth.subject}` : "";
  $("nav-audit").hidden = !auth || auth.role !== "program_manager";
  for (const link of document.querySelectorAll("#ops-nav a[data-screen]")) {
    if (link.dataset.screen === screen) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function showSampleHint() {
  try {
    const methods = await api("/v1/auth/methods", { auth: false });
    $("sample-operator").hidden = !(methods && methods.passcode_for_partners);
  } catch {
    $("sample-operator").hidden = true; // unknown: claim nothing
  }
}

function showSignIn(note) {
  closeTicket();
  stopQueue();
  show("signin-view", null);
  showSampleHint();
  $("signin-note").hidden = !note;
  $("signin-note").textContent = note || "";
  $("signin-error").textContent = "";
  $("ops-passcode").value = "";
  $("ops-email").focus();
}

/** Show the screen the address names; sign-in when nobody is signed in. */
async function route() {
  const auth = loadAuth();
  if (!auth) {
    showSignIn();
    return;
  }
  const [view, screen, argument] = screenOf(window.location.pathname);
  if (view !== "ticket-view") closeTicket();
  show(view, screen);
  if (view === "dashboard-view") {
    focusHeading("dashboard-title");
    await showDashboard();
  } else if (view === "conversations-view") await showConversations();
  else if (view === "transcript-view") await showTranscript(argument);
  else if (view === "handoff-view") await showQueue();
  else if (view === "ticket-view") {
    $("ticket-notice").hidden = true; // the operator is at a ticket now
    await showTicket(argument);
  }
  else if (view === "audit-view") await showAudit();
}

function navigate(path) {
  if (window.location.pathname !== path) window.history.pushState(null, "", path);
  route();
}

/** Whether `token` may use the operator APIs; the server's reason when it may not. */
async function refusal(token) {
  try {
    await api(PROBE, { token });
    return null;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return error.message;
    return null; // another failure: the screens say what it is
  }
}

async function signIn(event) {
  event.preventDefault();
  const form = $("signin-form");
  const button = form.querySelector("button[type=submit]");
  $("signin-error").textContent = "";
  button.disabled = true;
  try {
    const token = await api("/v1/auth/token", {
      method: "POST",
      auth: false,
      form: { username: $("ops-email").value.trim(), password: $("ops-passcode").value },
    });
    const reason = await refusal(token.access_token);
    if (reason || token.role === "partner") {
      $("signin-error").textContent = `Not signed in: ${reason || NOT_AN_OPERATOR}`;
      $("ops-passcode").value = "";
      $("ops-email").focus();
      return;
    }
    saveAuth({ token: token.access_token, subject: token.subject, role: token.role });
    startQueue(refreshTicket);
    await route();
  } catch (error) {
    $("signin-error").textContent = error.message;
    $("ops-passcode").focus();
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  const auth = loadAuth();
  clearAuth();
  if (auth) {
    try {
      await api("/v1/auth/logout", { method: "POST", token: auth.token });
    } catch {
      // the token is gone from this tab either way
    }
  }
  window.history.pushState(null, "", "/ops/");
  showSignIn("You are signed out.");
}

async function start() {
  setUnauthorizedHandler((reason) => {
    clearAuth();
    showSignIn(`Please sign in again: ${reason}`);
  });
  $("signin-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  for (const link of document.querySelectorAll("#ops-nav a[data-screen]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      navigate(link.getAttribute("href"));
    });
  }
  window.addEventListener("popstate", () => route());
  initDashboard();
  initConversations(navigate);
  initHandoff(navigate);
  initTicket();
  initAudit();
  const auth = loadAuth();
  if (auth) {
    const reason = await refusal(auth.token);
    if (reason) {
      clearAuth();
      showSignIn(`Not signed in: ${reason}`);
      return;
    }
    startQueue(refreshTicket);
  }
  await route();
}

start();
