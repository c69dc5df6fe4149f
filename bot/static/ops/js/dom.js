// Small DOM helpers: build elements without innerHTML (every text is data, never markup).

export const $ = (id) => document.getElementById(id);

/**
 * Create an element.
 * @param {string} tag
 * @param {Record<string, any>} [props] attributes; `text` sets textContent, `on*` adds listeners
 * @param {(Node|string|null|undefined)[]} [children]
 */
export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "className") node.className = value;
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child);
  }
  return node;
}

/**
 * A table with a caption, in a scrollable, focusable region (phones scroll it sideways).
 * @param {string} caption
 * @param {string[]} headers
 * @param {(string|number|Node)[][]} rows
 */
export function table(caption, headers, rows, { emptyText = "Nothing yet." } = {}) {
  const body = rows.length
    ? rows.map((row) => el("tr", {}, row.map((cell) => el("td", {}, [cell instanceof Node ? cell : String(cell)]))))
    : [el("tr", {}, [el("td", { colspan: headers.length, className: "muted", text: emptyText })])];
  const tableNode = el("table", {}, [
    el("caption", { text: caption }),
    el("thead", {}, [el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))]),
    el("tbody", {}, body),
  ]);
  return el("div", { className: "table-wrap", role: "region", "aria-label": caption, tabindex: "0" }, [tableNode]);
}

/** "2024-05-01 14:03" in the browser's time zone, from an ISO 8601 time. */
export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** "3 min", "2 h 5 min" since an ISO 8601 time. */
export function waited(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60_000));
  if (minutes < 1) return "under a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

export function percent(rate) {
  return typeof rate === "number" ? `${(rate * 100).toFixed(1)} %` : "–";
}

/** The YYYY-MM-DD of a date, in UTC (the API's filter dates are UTC days). */
export function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

/** Move focus to a screen's heading (keyboard and screen-reader users land on it). */
export function focusHeading(id) {
  const heading = $(id);
  if (heading) heading.focus({ preventScroll: false });
}

export function clear(node) {
  node.replaceChildren();
  return node;
}
