// Thumbs up / thumbs down under each answer of the assistant, with an optional comment
// after a thumbs down ("What was missing?"). Votes go to POST /v1/chat/feedback; voting
// again on the same answer replaces the vote (docs/web.md, "Feedback").

import { api } from "./api.js";

const THANKS = "Thanks for your feedback";
const COMMENT_LIMIT = 1000;

function button(label, symbol, vote) {
  const node = document.createElement("button");
  node.type = "button";
  node.className = `feedback-vote feedback-${vote}`;
  node.dataset.vote = vote;
  node.setAttribute("aria-label", label);
  node.setAttribute("aria-pressed", "false");
  node.title = label;
  const icon = document.createElement("span");
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = symbol;
  node.append(icon);
  return node;
}

function commentForm(onSend, onSkip) {
  const form = document.createElement("form");
  form.className = "feedback-comment";
  const id = `feedback-comment-${Math.random().toString(36).slice(2, 10)}`;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = "What was missing?";
  const box = document.createElement("textarea");
  box.id = id;
  box.rows = 2;
  box.maxLength = COMMENT_LIMIT;
  box.placeholder = "Optional";
  const actions = document.createElement("div");
  actions.className = "feedback-actions";
  const send = document.createElement("button");
  send.type = "submit";
  send.className = "primary";
  send.textContent = "Send";
  const skip = document.createElement("button");
  skip.type = "button";
  skip.textContent = "Skip";
  actions.append(send, skip);
  form.append(label, box, actions);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSend(box.value.trim());
  });
  skip.addEventListener("click", onSkip);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape") onSkip();
  });
  return form;
}

/**
 * The feedback controls for one answer.
 * @param {string} session  the chat session handle the answer belongs to
 * @param {string} turn     the answer's turn id (POST /v1/chat's "turn")
 * @returns {HTMLElement}
 */
export function feedbackControls(session, turn) {
  const box = document.createElement("div");
  box.className = "feedback";
  box.dataset.turn = turn;
  const group = document.createElement("div");
  group.className = "feedback-votes";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Was this answer helpful?");
  const up = button("Helpful answer", "👍", "up");
  const down = button("Not helpful: tell us what was missing", "👎", "down");
  group.append(up, down);
  const status = document.createElement("p");
  status.className = "feedback-status";
  status.setAttribute("role", "status");
  box.append(group, status);
  let form = null;

  const say = (text, isError = false) => {
    status.textContent = text;
    status.classList.toggle("error", isError);
  };
  const closeForm = () => {
    if (form) form.remove();
    form = null;
  };
  const post = async (vote, comment) => {
    const json = { session, turn, vote };
    if (comment) json.comment = comment;
    await api("/v1/chat/feedback", { method: "POST", json });
  };
  const press = (vote) => {
    up.setAttribute("aria-pressed", String(vote === "up"));
    down.setAttribute("aria-pressed", String(vote === "down"));
  };

  const vote = async (choice) => {
    say("");
    try {
      await post(choice);
    } catch (error) {
      say(`Your feedback was not saved: ${error.message}`, true);
      return;
    }
    press(choice);
    if (choice === "up") {
      closeForm();
      say(THANKS);
      return;
    }
    closeForm();
    const thank = (focusTarget) => {
      closeForm();
      say(THANKS);
      focusTarget.focus();
    };
    form = commentForm(
      async (comment) => {
        if (!comment) return thank(down);
        try {
          await post("down", comment);
        } catch (error) {
          say(`Your comment was not saved: ${error.message}`, true);
          return;
        }
        thank(down);
      },
      () => thank(down),
    );
    box.insertBefore(form, status);
    form.querySelector("textarea").focus();
  };

  up.addEventListener("click", () => vote("up"));
  down.addEventListener("click", () => vote("down"));
  return box;
}
