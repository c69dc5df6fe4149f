// The Partner Assistant widget, served at /widget.js for a site to embed with one tag,
// `script` with src <assistant>/widget.js and data-portal-token-url="/portal/assistant-token"
// (docs/web.md has the tag). Optional: data-title (the launcher's and panel's name).
// It runs in the embedding site's page. It adds a launcher button and, when opened, an
// iframe with the assistant's own chat page (/embed), so the chat, its token and its
// storage stay on the assistant's origin. This script only asks the site for its
// signed-in user's portal token and hands it to the frame by postMessage. Nothing from
// the site's page reaches the frame except that token; nothing from the frame but the
// "ready" and "token-request" messages is read. See docs/web.md, "Embedding in the portal".
(function partnerAssistantWidget() {
  "use strict";

  const script = document.currentScript;
  if (!script || window.PartnerAssistant) return; // once per page
  const assistant = new URL(script.src).origin;
  const site = window.location.origin;
  const title = script.dataset.title || "Partner Assistant";
  const tokenUrl = sameOriginUrl(script.dataset.portalTokenUrl);
  const OPEN_KEY = "partner-assistant.open";

  const CSS = `
    :host { all: initial; position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483000;
            font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
    .launcher { display: inline-flex; align-items: center; gap: 0.5rem; border: 0; cursor: pointer;
                border-radius: 999px; padding: 0.75rem 1.1rem; font: inherit; font-weight: 600;
                color: #fff; background: #0b5cad; box-shadow: 0 4px 14px rgba(0, 0, 0, 0.25); }
    .launcher:hover { background: #08457f; }
    .launcher:focus-visible, .close:focus-visible { outline: 3px solid #f0a202; outline-offset: 2px; }
    .panel { position: absolute; right: 0; bottom: calc(100% + 0.75rem); display: flex;
             flex-direction: column; width: min(25rem, calc(100vw - 2rem));
             height: min(38rem, calc(100vh - 6rem)); background: #fff; border-radius: 14px;
             border: 1px solid #d6dce3; box-shadow: 0 10px 30px rgba(0, 0, 0, 0.25); overflow: hidden; }
    .panel[hidden] { display: none; }
    .bar { display: flex; align-items: center; justify-content: space-between; gap: 0.5rem;
           padding: 0.55rem 0.6rem 0.55rem 1rem; background: #0b5cad; color: #fff; }
    .bar h2 { margin: 0; font-size: 1rem; }
    .close { border: 0; background: none; color: #fff; font: inherit; font-size: 1.35rem;
             line-height: 1; cursor: pointer; padding: 0.1rem 0.45rem; border-radius: 6px; }
    iframe { flex: 1; width: 100%; border: 0; }
    .refusal { margin: 1rem; padding: 0.75rem 0.9rem; border-radius: 8px; color: #1d232b;
               background: #fff7e0; border: 1px solid #efd48a; line-height: 1.45; }
  `;

  const host = document.createElement("div");
  host.id = "partner-assistant-widget";
  const root = host.attachShadow({ mode: "open" });
  adoptStyles(root);

  const panel = element("section", { className: "panel", hidden: true });
  panel.setAttribute("aria-label", title);
  const bar = element("div", { className: "bar" });
  const close = element("button", { type: "button", className: "close", textContent: "×" });
  close.setAttribute("aria-label", `Close the ${title}`);
  bar.append(element("h2", { textContent: title }), close);
  panel.append(bar);
  const launcher = element("button", { type: "button", className: "launcher", textContent: `Ask the ${title}` });
  launcher.setAttribute("aria-expanded", "false");
  root.append(panel, launcher);

  let frame = null;
  let checked = null; // the promise of the allowlist check, made once

  /** Remember whether the panel is open (this tab only); storage may be off: then not. */
  function rememberOpen(open) {
    try {
      if (open) sessionStorage.setItem(OPEN_KEY, "1");
      else sessionStorage.removeItem(OPEN_KEY);
    } catch {
      // storage blocked by the browser or the site: the panel just starts closed
    }
  }

  function wasOpen() {
    try {
      return sessionStorage.getItem(OPEN_KEY) === "1";
    } catch {
      return false;
    }
  }

  /** Resolve `value` against the page; only the page's own origin may hand out tokens. */
  function sameOriginUrl(value) {
    if (!value) return null;
    const url = new URL(value, window.location.href);
    if (url.origin === window.location.origin) return url.href;
    console.warn("Partner Assistant: data-portal-token-url must be on this site's origin; ignored.");
    return null;
  }

  function element(tag, properties) {
    return Object.assign(document.createElement(tag), properties);
  }

  /** Constructed style sheets: a site's strict CSP (no inline styles) still allows them. */
  function adoptStyles(shadow) {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } catch {
      shadow.append(element("style", { textContent: CSS }));
    }
  }

  /**
   * Ask the assistant whether this site may embed it. Its answer carries CORS headers
   * only for allowed sites, so for any other site the browser refuses to read it.
   * @returns {Promise<string|null>} null when allowed, else the reason to show
   */
  async function allowlistCheck() {
    try {
      const response = await fetch(`${assistant}/v1/widget/config`, { credentials: "omit", cache: "no-store" });
      if (response.ok) return null;
    } catch {
      // Refused by CORS, or the assistant is unreachable: a no-cors request tells which.
    }
    try {
      await fetch(`${assistant}/v1/widget/config`, { mode: "no-cors", credentials: "omit", cache: "no-store" });
    } catch {
      return "The Partner Assistant cannot be reached right now. Please try again later.";
    }
    return `The Partner Assistant is not available on this site: ${site} is not on its list of allowed sites.`;
  }

  async function openPanel() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    rememberOpen(true);
    checked = checked || allowlistCheck();
    const refusal = await checked;
    if (refusal) {
      if (!panel.querySelector(".refusal")) {
        const note = element("p", { className: "refusal", textContent: refusal });
        note.setAttribute("role", "alert");
        panel.append(note);
      }
      return;
    }
    if (!frame) {
      frame = element("iframe", { title: `${title} chat` });
      // The frame may run its scripts on its own origin and open links in new tabs;
      // it may not navigate this page.
      frame.setAttribute(
        "sandbox",
        "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox",
      );
      frame.src = `${assistant}/embed?origin=${encodeURIComponent(site)}`;
      panel.append(frame);
    }
    frame.focus();
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    rememberOpen(false);
    launcher.focus();
  }

  /** The signed-in user's portal token from the site, or null for a visitor. */
  async function portalToken() {
    if (!tokenUrl) return null;
    try {
      const response = await fetch(tokenUrl, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return null; // not signed in at the site (401) or no token
      const body = await response.json();
      return body && typeof body.token === "string" && body.token ? body.token : null;
    } catch {
      return null;
    }
  }

  /** Hand the frame the current sign-in: the portal token, or "visitor". */
  async function sendSignIn() {
    if (!frame || !frame.contentWindow) return;
    const token = await portalToken();
    const message = token ? { type: "pa-widget:portal-token", token } : { type: "pa-widget:visitor" };
    // Addressed to the assistant's origin: if the frame were anything else, it gets nothing.
    frame.contentWindow.postMessage(message, assistant);
  }

  window.addEventListener("message", (event) => {
    if (!frame || event.source !== frame.contentWindow || event.origin !== assistant) return;
    const type = event.data && event.data.type;
    if (type === "pa-widget:ready" || type === "pa-widget:token-request") sendSignIn();
  });
  launcher.addEventListener("click", () => (panel.hidden ? openPanel() : closePanel()));
  close.addEventListener("click", closePanel);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closePanel();
  });

  // For the site: tell the open chat that its user signed in or out without a reload.
  window.PartnerAssistant = Object.freeze({ open: openPanel, close: closePanel, refreshSignIn: sendSignIn });

  function mount() {
    document.body.append(host);
    if (wasOpen()) openPanel(); // open again after a reload
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
