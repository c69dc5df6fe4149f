// Live replies from a person of the program office, while one holds the conversation.
//
// When the chat says the conversation is handed to a person ("handoff": "waiting" or
// "with_person"), the widget reads GET /v1/chat/stream?session=... (server-sent
// events) with fetch(), so the sign-in goes in the Authorization header, and shows
// each `event: message` as a person's message and each `event: handoff` as a note.
// "assistant" (handed back) closes the stream. A dropped stream is reopened with
// growing pauses (1 s, 2 s, 4 s ... 30 s).

import { loadAuth } from "./store.js";

const MAX_PAUSE_MS = 30_000;
const OFFICE = "a person of the program office";

let current = null; // { session, controller, timer, pause, state, seen }

/** Parse server-sent events from a stream of text chunks; calls `onEvent(name, data)`. */
export function sseParser(onEvent) {
  let buffer = "";
  return (chunk) => {
    buffer += chunk.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue; // keep-alive comments
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      }
      if (data.length) onEvent(name, data.join("\n"));
    }
  };
}

function stateNote(state, operator) {
  if (state === "waiting") return "Waiting for a person of the program office…";
  if (state === "with_person") return `${operator || "A person of the program office"} has joined`;
  if (state === "assistant") return "You're back with the assistant";
  return null;
}

/** Render a person's message in the log (`view.addPerson`) and the state notes (`view.addNote`). */
function handle(live, view, name, raw) {
  let data;
  try {
    data = JSON.parse(raw);
  } catch {
    return;
  }
  if (!data || typeof data !== "object") return;
  if (name === "message" && data.from === "handoff" && typeof data.text === "string" && data.text) {
    // The handoff's own words (handed back to the assistant): a note, said once.
    live.handedBack = true;
    view.addNote(data.text);
  } else if (name === "message" && typeof data.text === "string" && data.text) {
    if (Number.isInteger(data.id)) live.since = Math.max(live.since || 0, data.id + 1);
    const key = Number.isInteger(data.id) ? data.id : null;
    if (key && live.seen.has(key)) return; // sent again after a reconnect
    if (key) live.seen.add(key);
    view.addPerson(data.text, data.operator || OFFICE);
  } else if (name === "handoff") {
    showState(live, view, data.state, data.operator);
    if (data.state === "assistant") stopLive();
  }
}

function showState(live, view, state, operator) {
  const note = stateNote(state, operator);
  if (!note || live.state === state) return;
  live.state = state;
  if (state === "assistant" && live.handedBack) return; // already said in its words
  view.addNote(note);
}

async function connect(live, view) {
  const auth = loadAuth();
  const headers = { Accept: "text/event-stream" };
  if (auth) headers.Authorization = `Bearer ${auth.token}`;
  // After a drop, resume after the last reply seen, so none sent meanwhile is lost.
  let url = `/v1/chat/stream?session=${encodeURIComponent(live.session)}`;
  if (live.since !== undefined) url += `&since=${live.since}`;
  let response;
  try {
    response = await fetch(url, { headers, signal: live.controller.signal, cache: "no-store" });
  } catch {
    return retry(live, view);
  }
  if (response.status === 401 || response.status === 403 || response.status === 404) {
    if (current === live) current = null; // signed out, or not this session's: nothing to follow
    return;
  }
  if (!response.ok || !response.body) return retry(live, view);
  live.pause = 1000;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const feed = sseParser((name, data) => handle(live, view, name, data));
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      feed(value);
      if (current !== live) return;
    }
  } catch {
    // dropped: reconnect below
  }
  retry(live, view);
}

function retry(live, view) {
  if (current !== live || live.controller.signal.aborted) return;
  const pause = live.pause;
  live.pause = Math.min(live.pause * 2, MAX_PAUSE_MS);
  live.timer = setTimeout(() => {
    if (current === live) connect(live, view);
  }, pause);
}

/**
 * Follow a conversation that a person holds or is about to hold.
 * @param {string} session  the chat session handle
 * @param {string|null} state  "waiting" | "with_person" | null (the chat answer's "handoff")
 * @param {{addPerson: (text: string, operator: string) => void, addNote: (text: string) => void}} view
 * @param {string} [operator]  the person's name, when known
 */
export function followHandoff(session, state, view, operator) {
  if (state !== "waiting" && state !== "with_person") return;
  if (current && current.session !== session) stopLive();
  if (!current) {
    current = {
      session,
      controller: new AbortController(),
      timer: null,
      pause: 1000,
      state: null,
      seen: new Set(),
      handedBack: false,
    };
    showState(current, view, state, operator);
    connect(current, view);
    return;
  }
  showState(current, view, state, operator);
}

/** Stop following (signed out, another conversation, handed back to the assistant). */
export function stopLive() {
  const live = current;
  current = null;
  if (!live) return;
  clearTimeout(live.timer);
  live.controller.abort();
}
