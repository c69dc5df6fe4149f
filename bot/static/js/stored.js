// A JSON value kept in this browser tab's sessionStorage: it survives a reload, not
// closing the tab, and other sites cannot read it. The chat page (store.js) and the
// operator console (ops/js/api.js) keep their sign-ins this way.

/** The value under `key` if it is there, parses and passes `valid`; else null. */
export function readStored(key, valid) {
  try {
    const value = JSON.parse(sessionStorage.getItem(key) || "null");
    return value !== null && valid(value) ? value : null;
  } catch {
    return null;
  }
}

export function writeStored(key, value) {
  sessionStorage.setItem(key, JSON.stringify(value));
}

export function forgetStored(key) {
  sessionStorage.removeItem(key);
}
