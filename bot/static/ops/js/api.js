// The console's calls to the app's API (same origin), with the operator's bearer token.
// The token lives in sessionStorage (the chat page's stored.js): it survives a reload,
// not closing the tab.

import { forgetStored, readStored, writeStored } from "../../js/stored.js";

const AUTH_KEY = "pa.ops.auth";
export const TROUBLE = "The service is having trouble right now; please try again in a minute.";

/** An API answer other than 2xx; `status` is the HTTP status, `message` the server's reason. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** @returns {{token: string, subject: string, role: string} | null} */
export function loadAuth() {
  return readStored(AUTH_KEY, (auth) => typeof auth.token === "string");
}

export function saveAuth(auth) {
  writeStored(AUTH_KEY, auth);
}

export function clearAuth() {
  forgetStored(AUTH_KEY);
}

let onUnauthorized = () => {};

/** Called with the reason when the API answers 401 (an expired or signed-out token). */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

function reasonOf(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length && detail[0].msg) return detail[0].msg;
  if (status >= 500) return TROUBLE;
  if (status === 404) return "Not found.";
  return `The request failed (HTTP ${status}).`;
}

/** Build "path?a=1&b=2" from the non-empty values of `params`. */
export function withQuery(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

function headersFor(auth, accept, token) {
  const headers = { Accept: accept };
  const signedIn = loadAuth();
  if (token) headers.Authorization = `Bearer ${token}`;
  else if (auth && signedIn) headers.Authorization = `Bearer ${signedIn.token}`;
  return headers;
}

async function send(path, { method = "GET", json, form, auth = true, accept = "application/json", signal, token } = {}) {
  const headers = headersFor(auth, accept, token);
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  }
  try {
    return await fetch(path, { method, headers, body, credentials: "same-origin", signal });
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new ApiError(0, "The service cannot be reached. Check your connection and try again.");
  }
}

async function failure(response, auth) {
  let parsed = null;
  try {
    parsed = JSON.parse(await response.text());
  } catch {
    parsed = null;
  }
  const error = new ApiError(response.status, reasonOf(response.status, parsed));
  if (response.status === 401 && auth && loadAuth()) onUnauthorized(error.message);
  return error;
}

/** Call the API; return the parsed JSON answer (null for an empty one). */
export async function api(path, options = {}) {
  const response = await send(path, options);
  if (!response.ok) throw await failure(response, options.auth !== false && !options.token);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** Call the API for a text answer (YAML, CSV). */
export async function apiText(path, accept = "text/plain") {
  const response = await send(path, { accept });
  if (!response.ok) throw await failure(response, true);
  return response.text();
}

/** Save `blob` as a file called `name` (the browser's download). */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Fetch `path` with the token and save the answer as `name`. */
export async function download(path, name, accept = "text/csv") {
  const response = await send(path, { accept });
  if (!response.ok) throw await failure(response, true);
  saveBlob(await response.blob(), name);
}

/** Open a streaming GET (server-sent events) with the token; the caller reads the body. */
export async function openStream(path, signal) {
  const response = await send(path, { accept: "text/event-stream", signal });
  if (!response.ok) throw await failure(response, true);
  if (!response.body) throw new ApiError(0, "This browser cannot read live updates.");
  return response;
}
