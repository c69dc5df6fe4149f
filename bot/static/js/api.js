// Calls to the app's API (same origin) with the signed-in partner's bearer token.

import { loadAuth } from "./store.js";
import { TROUBLE } from "./texts.js";

/** An API answer other than 2xx; `status` is the HTTP status, `message` the reason. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let onUnauthorized = () => {};

/** Called with the reason whenever the API answers 401 (expired or signed-out token). */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

function reasonOf(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length && detail[0].msg) return detail[0].msg;
  if (status >= 500) return TROUBLE;
  return `The request failed (HTTP ${status}).`;
}

/**
 * Call the API and return the parsed JSON answer (null for 204).
 * @param {string} path  e.g. "/v1/chat"
 * @param {{method?: string, json?: any, form?: Record<string,string>, auth?: boolean}} options
 */
export async function api(path, { method = "GET", json, form, auth = true } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  }
  const signedIn = loadAuth();
  if (auth && signedIn) headers.Authorization = `Bearer ${signedIn.token}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "The service cannot be reached. Check your connection and try again.");
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, reasonOf(response.status, parsed));
    if (response.status === 401 && auth && signedIn) onUnauthorized(error.message);
    throw error;
  }
  return parsed;
}
