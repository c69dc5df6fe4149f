// A small, safe markdown renderer for the assistant's answers.
//
// The text is HTML-escaped FIRST; only then are the few markdown constructs the
// assistant uses turned into tags we write ourselves. Nothing the bot (or a user
// whose words the bot repeats) sends can inject markup or script.
//
// Supported: paragraphs, line breaks, "- " / "* " and "1. " lists, "#" headings (as
// bold lines), **bold**, *italic*, `code`, [label](url) and bare http(s)
// links, and course ids (U-SEC-101) or /v1/courses/<id> links, which open the course view.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const COURSE_ID = /\bU-[A-Z0-9]{2,}(?:-[A-Z0-9]+)*-\d{2,4}\b/g;
const COURSE_PATH = /^\/(?:v1\/)?courses\/(U-[A-Za-z0-9-]+)$/;
// Links may go to the web, to a mail address, or to a path of this site; nothing else.
// A bare link ends at white space or at an escaped quote or angle bracket.
const BARE_URL = /\bhttps?:\/\/(?:(?!&quot;|&#39;|&lt;|&gt;)[^\s<])+/g;
// A path of this site starts with one "/" and then neither "/" nor "\": browsers read
// "//host", "/\host" and "\\host" as another site (a backslash counts as a slash).
const SAFE_HREF = /^(?:https?:\/\/|mailto:|\/(?![\/\\]))/i;
// Anything a URL parser drops or rewrites (backslashes, control characters, white
// space) could turn an allowed-looking link into another one, so it is refused.
const UNSAFE_CHAR = /[\\\u0000-\u0020\u007f-\u009f\u2028\u2029]/;

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function courseLink(courseId, labelHtml) {
  const id = escapeHtml(courseId);
  return `<a href="/v1/courses/${id}" class="course-link" data-course="${id}">${labelHtml}</a>`;
}

function anchor(escapedHref, labelHtml) {
  const course = escapedHref.match(COURSE_PATH);
  if (course) return courseLink(course[1], labelHtml);
  if (!SAFE_HREF.test(escapedHref) || UNSAFE_CHAR.test(escapedHref)) return labelHtml;
  const external = /^https?:\/\//i.test(escapedHref);
  const extra = external ? ' target="_blank" rel="noopener noreferrer"' : "";
  return `<a href="${escapedHref}"${extra}>${labelHtml}</a>`;
}

function emphasis(html) {
  return html
    .replace(/\*\*(\S(?:.*?\S)?)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*\w])\*(\S(?:[^*]*?\S)?)\*(?![*\w])/g, "$1<em>$2</em>");
}

/** Render one escaped line's inline markdown. */
function inline(escaped) {
  const held = [];
  const hold = (html) => `\u0000${held.push(html) - 1}\u0000`;
  let html = escaped
    .replace(/`([^`]+)`/g, (_, code) => hold(`<code>${code}</code>`))
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label, href) => hold(anchor(href, emphasis(label))))
    .replace(BARE_URL, (url) => {
      const trail = url.match(/[.,;:!?)\]]+$/);
      const href = trail ? url.slice(0, -trail[0].length) : url;
      return hold(anchor(href, href)) + (trail ? trail[0] : "");
    })
    .replace(COURSE_ID, (id) => hold(courseLink(id, id)));
  html = emphasis(html);
  return html.replace(/\u0000(\d+)\u0000/g, (_, i) => held[Number(i)]);
}

/**
 * Render the assistant's markdown text to safe HTML.
 * @param {string} text
 * @returns {string}
 */
export function renderMarkdown(text) {
  const lines = escapeHtml(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  const out = [];
  let paragraph = [];
  let list = null; // {tag: "ul"|"ol", items: []}

  const flushParagraph = () => {
    if (paragraph.length) out.push(`<p>${paragraph.map(inline).join("<br>")}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join("")}</${list.tag}>`);
    list = null;
  };

  for (const line of lines) {
    const bullet = line.match(/^\s*[-*•]\s+(.*)$/);
    const numbered = line.match(/^\s*\d+[.)]\s+(.*)$/);
    const heading = line.match(/^\s*#{1,6}\s+(.*)$/);
    if (bullet || numbered) {
      flushParagraph();
      const tag = bullet ? "ul" : "ol";
      if (list && list.tag !== tag) flushList();
      list = list || { tag, items: [] };
      list.items.push((bullet || numbered)[1]);
    } else if (!line.trim()) {
      flushParagraph();
      flushList();
    } else if (heading) {
      flushParagraph();
      flushList();
      out.push(`<p><strong>${inline(heading[1])}</strong></p>`);
    } else if (list && /^\s{2,}\S/.test(line)) {
      list.items[list.items.length - 1] += ` ${line.trim()}`; // a wrapped list item
    } else {
      flushList();
      paragraph.push(line);
    }
  }
  flushParagraph();
  flushList();
  return out.join("");
}
