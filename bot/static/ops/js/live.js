// Server-sent events read with fetch() (EventSource cannot send the Authorization header),
// reconnecting with a growing back-off when the stream ends or fails.

import { ApiError, openStream } from "./api.js";

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;

/** Split a stream's text into events: yields {event, data} per blank-line-ended frame. */
export function* parseFrames(buffer) {
  for (const frame of buffer) {
    let event = "message";
    const data = [];
    for (const line of frame.split(/\r?\n/)) {
      if (!line || line.startsWith(":")) continue; // a comment: keep-alive
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length) yield { event, data: data.join("\n") };
  }
}

/**
 * Follow the stream at `path` until `stop()` is called.
 * @param {string} path
 * @param {{onEvent: (event: string, data: any) => void,
 *          onState?: (state: "live"|"waiting"|"refused", detail?: string) => void,
 *          onOpen?: () => void}} handlers
 * @returns {{stop: () => void}}
 */
export function follow(path, { onEvent, onState = () => {}, onOpen = () => {} }) {
  let stopped = false;
  let controller = null;
  let timer = null;
  let delay = FIRST_DELAY_MS;

  async function readOnce() {
    controller = new AbortController();
    const response = await openStream(path, controller.signal);
    delay = FIRST_DELAY_MS; // connected: the next failure starts the back-off anew
    onState("live");
    onOpen();
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      pending += decoder.decode(value, { stream: true });
      const frames = pending.split(/\r?\n\r?\n/);
      pending = frames.pop();
      for (const { event, data } of parseFrames(frames)) {
        let parsed = data;
        try {
          parsed = JSON.parse(data);
        } catch {
          // not JSON: hand over the text
        }
        onEvent(event, parsed);
      }
    }
  }

  async function loop() {
    while (!stopped) {
      try {
        await readOnce();
      } catch (error) {
        if (stopped || (error && error.name === "AbortError")) return;
        if (error instanceof ApiError && [401, 403, 404].includes(error.status)) {
          onState("refused", error.message);
          return;
        }
      }
      if (stopped) return;
      onState("waiting", `Reconnecting in ${Math.round(delay / 1000)} s…`);
      await new Promise((resolve) => {
        timer = setTimeout(resolve, delay);
      });
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }

  loop();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      if (controller) controller.abort();
    },
  };
}
