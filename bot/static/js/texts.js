// Texts the page shows on its own, in one place (the server's are in partners/messages.py).

/** What a user is told when the assistant cannot answer (the same words as the server's). */
export const TROUBLE = "I'm having trouble right now, please try again in a minute.";
