// The page: sign-in, chat, linked-accounts screen and the account-link screen.

import { api, ApiError, setUnauthorizedHandler } from "./api.js";
import { initChat, startChat } from "./chat.js";
import { stopLive } from "./live.js";
import { showReminderSettings } from "./notices.js";
import {
  clearAuth,
  clearVisitor,
  forgetLinkCode,
  loadAuth,
  loadVisitor,
  pendingLinkCode,
  rememberLinkCode,
  saveAuth,
  saveVisitor,
} from "./store.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["signin-view", "chat-view", "account-view", "link-view"];

function show(view) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  const auth = loadAuth();
  $("account-nav").hidden = !auth || view === "signin-view";
  $("visitor-nav").hidden = Boolean(auth) || view !== "chat-view";
  $("who").textContent = auth ? `Signed in as ${auth.partner}` : "";
}

/** Show the sample-partner hint only while the store holds sample partners. */
async function showSampleNote() {
  try {
    const found = await api("/v1/partners/sample-data", { auth: false });
    $("sample-note").hidden = !(found && found.sample_partners > 0);
  } catch {
    $("sample-note").hidden = true; // unknown: claim nothing
  }
}

/** Offer "Sign in with your company account" when the server has OpenID Connect set up. */
async function showSignInMethods() {
  try {
    const methods = await api("/v1/auth/methods", { auth: false });
    $("company-sign-in").hidden = !(methods && methods.company_account);
  } catch {
    $("company-sign-in").hidden = true;
  }
}

/**
 * Back from the company's sign-in page at /#oidc: the server holds this browser's
 * outcome in a cookie only it can read; exchange it for the token (never in the address).
 */
async function finishCompanySignIn() {
  window.history.replaceState(null, "", pendingLinkCode() ? "/link" : "/");
  try {
    const token = await api("/v1/auth/oidc/session", { method: "POST", auth: false });
    saveAuth({ token: token.access_token, partner: token.subject, session: null });
    clearVisitor(); // partner answers need a conversation of the sign-in
    await route();
  } catch (failure) {
    showSignIn(failure.message);
  }
}

function showSignIn(note) {
  show("signin-view");
  showSampleNote();
  showSignInMethods();
  $("signin-note").hidden = !note;
  $("signin-note").textContent = note || "";
  $("signin-error").textContent = "";
  $("passcode").value = "";
  $("partner-id").focus();
}

function path() {
  return window.location.pathname.replace(/\/+$/, "") || "/";
}

/** Show the screen the address names, or sign-in when nobody is signed in. */
async function route() {
  const here = path();
  if (here === "/link") {
    const code = new URLSearchParams(window.location.search).get("code");
    if (code) rememberLinkCode(code);
  }
  if (!loadAuth()) {
    const linking = here === "/link" && pendingLinkCode();
    if (!linking && here === "/" && loadVisitor()) {
      // A visitor who chose to chat without signing in: program questions only.
      show("chat-view");
      await startChat();
      return;
    }
    showSignIn(linking ? "Sign in as your company to link your Slack account." : "");
    return;
  }
  if (here === "/link") return showLink();
  if (here === "/account") return showAccount();
  show("chat-view");
  await startChat();
}

async function signIn(event) {
  event.preventDefault();
  const partner = $("partner-id").value.trim().toUpperCase();
  const passcode = $("passcode").value;
  const error = $("signin-error");
  if (!partner || !passcode) {
    error.textContent = "Enter your partner id and passcode.";
    (partner ? $("passcode") : $("partner-id")).focus();
    return;
  }
  $("signin-submit").disabled = true;
  error.textContent = "";
  try {
    const token = await api("/v1/auth/token", {
      method: "POST",
      form: { username: partner, password: passcode, grant_type: "password" },
      auth: false,
    });
    saveAuth({ token: token.access_token, partner, session: null });
    clearVisitor(); // partner answers need a conversation of the sign-in
    $("passcode").value = "";
    await route();
  } catch (failure) {
    // Outside the sample installation the server says where partners sign in instead.
    const wrong = failure instanceof ApiError && (failure.status === 400 || failure.status === 401);
    error.textContent =
      wrong && !failure.message.includes("partner portal")
        ? "The partner id or passcode is not right."
        : failure.message;
    $("passcode").focus();
  } finally {
    $("signin-submit").disabled = false;
  }
}

async function signOut() {
  try {
    await api("/v1/auth/logout", { method: "POST" });
  } catch {
    // Already expired or the server is away: forgetting the token locally still signs out.
  }
  stopLive();
  clearAuth();
  forgetLinkCode();
  if (path() !== "/") window.history.replaceState(null, "", "/");
  showSignIn("You are signed out.");
}

function describeIdentity(link) {
  const where = link.team_id ? ` in workspace ${link.team_id}` : "";
  const channel = link.channel === "slack" ? "Slack" : link.channel;
  return `${channel} user ${link.external_user_id}${where}`;
}

async function showLink() {
  show("link-view");
  const code = pendingLinkCode();
  const details = $("link-details");
  const status = $("link-status");
  const confirm = $("link-confirm");
  confirm.hidden = true;
  status.textContent = "";
  details.replaceChildren();
  if (!code) {
    status.textContent = "This page needs the link the assistant sent you in Slack.";
    return;
  }
  try {
    const pending = await api(`/v1/links/pending?code=${encodeURIComponent(code)}`);
    const text = document.createElement("p");
    const partner = loadAuth().partner;
    text.append(
      "Link ",
      Object.assign(document.createElement("strong"), { textContent: describeIdentity(pending) }),
      " to your company ",
      Object.assign(document.createElement("strong"), { textContent: partner }),
      "? That Slack user will then see your company's tier and progress in Slack.",
    );
    const warning = document.createElement("p");
    warning.className = "muted";
    warning.textContent = "Only confirm if you asked for this link in Slack yourself.";
    details.append(text, warning);
    confirm.hidden = false;
    confirm.focus();
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) {
      status.textContent = error.message;
      forgetLinkCode();
    }
  }
}

async function confirmLink() {
  const code = pendingLinkCode();
  const status = $("link-status");
  $("link-confirm").disabled = true;
  try {
    const link = await api("/v1/links", { method: "POST", json: { code } });
    forgetLinkCode();
    $("link-confirm").hidden = true;
    $("link-details").replaceChildren();
    status.textContent = `Linked: ${describeIdentity(link)} now answers as your company. Go back to Slack and ask again.`;
    $("link-cancel").textContent = "Go to the chat";
    $("link-cancel").focus();
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) status.textContent = error.message;
  } finally {
    $("link-confirm").disabled = false;
  }
}

async function showAccount() {
  show("account-view");
  showReminderSettings($("reminder-settings"));
  const list = $("link-list");
  const status = $("account-status");
  list.replaceChildren();
  status.textContent = "Loading…";
  try {
    const links = await api("/v1/links");
    status.textContent = links.length ? "" : "No chat accounts are linked to your company.";
    for (const link of links) {
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = describeIdentity(link);
      const unlink = document.createElement("button");
      unlink.type = "button";
      unlink.textContent = "Unlink";
      unlink.setAttribute("aria-label", `Unlink ${describeIdentity(link)}`);
      unlink.addEventListener("click", async () => {
        unlink.disabled = true;
        try {
          await api(`/v1/links/${link.id}`, { method: "DELETE" });
          item.remove();
          status.textContent = `Unlinked ${describeIdentity(link)}.`;
          if (!list.children.length) $("nav-account").focus();
        } catch (error) {
          unlink.disabled = false;
          if (!(error instanceof ApiError) || error.status !== 401) status.textContent = error.message;
        }
      });
      item.append(label, " ", unlink);
      list.append(item);
    }
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) status.textContent = error.message;
  }
}

setUnauthorizedHandler(() => {
  stopLive();
  clearAuth();
  showSignIn("Your session has expired or was signed out. Please sign in again.");
});

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("link-confirm").addEventListener("click", confirmLink);
  $("visitor-start").addEventListener("click", () => {
    saveVisitor({ session: null });
    route();
  });
  $("visitor-sign-in").addEventListener("click", () => showSignIn(""));
  $("company-sign-in-button").addEventListener("click", () => {
    window.location.assign("/v1/auth/oidc/login");
  });
  initChat();
  if (window.location.hash === "#oidc") finishCompanySignIn();
  else route();
});
