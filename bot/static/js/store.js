// The signed-in state of this browser tab. Kept in sessionStorage (stored.js): it
// survives page reloads but not closing the tab, and other sites cannot read it.

import { forgetStored, readStored, writeStored } from "./stored.js";

const AUTH_KEY = "pa.auth";
const LINK_CODE_KEY = "pa.linkCode";
const VISITOR_KEY = "pa.visitor";

/** @returns {{token: string, partner: string, session: string|null} | null} */
export function loadAuth() {
  return readStored(AUTH_KEY, (auth) => typeof auth.token === "string");
}

export function saveAuth(auth) {
  writeStored(AUTH_KEY, auth);
}

export function clearAuth() {
  forgetStored(AUTH_KEY);
}

/** A link code from /link?code=..., kept while the partner signs in. */
export function rememberLinkCode(code) {
  sessionStorage.setItem(LINK_CODE_KEY, code);
}

export function pendingLinkCode() {
  return sessionStorage.getItem(LINK_CODE_KEY);
}

export function forgetLinkCode() {
  sessionStorage.removeItem(LINK_CODE_KEY);
}

/** A visitor chatting without signing in: @returns {{session: string|null} | null} */
export function loadVisitor() {
  return readStored(VISITOR_KEY, (visitor) => typeof visitor === "object");
}

export function saveVisitor(visitor) {
  writeStored(VISITOR_KEY, visitor);
}

export function clearVisitor() {
  forgetStored(VISITOR_KEY);
}
