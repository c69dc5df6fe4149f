// The signed-in state of this browser tab. Kept in sessionStorage: it survives page
// reloads but not closing the tab, and other sites cannot read it.

const AUTH_KEY = "pa.auth";
const LINK_CODE_KEY = "pa.linkCode";
const VISITOR_KEY = "pa.visitor";

/** @returns {{token: string, partner: string, session: string|null} | null} */
export function loadAuth() {
  try {
    const auth = JSON.parse(sessionStorage.getItem(AUTH_KEY) || "null");
    return auth && typeof auth.token === "string" ? auth : null;
  } catch {
    return null;
  }
}

export function saveAuth(auth) {
  sessionStorage.setItem(AUTH_KEY, JSON.stringify(auth));
}

export function clearAuth() {
  sessionStorage.removeItem(AUTH_KEY);
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
  try {
    const visitor = JSON.parse(sessionStorage.getItem(VISITOR_KEY) || "null");
    return visitor && typeof visitor === "object" ? visitor : null;
  } catch {
    return null;
  }
}

export function saveVisitor(visitor) {
  sessionStorage.setItem(VISITOR_KEY, JSON.stringify(visitor));
}

export function clearVisitor() {
  sessionStorage.removeItem(VISITOR_KEY);
}
