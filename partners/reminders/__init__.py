"""Proactive reminders to a partner's people (docs/partners.md, "Reminders").

- ``due``: which reminders are due for a partner on a day (the rules, one place);
- ``texts``: their words;
- ``preferences``: who gets them (the partner's web sign-in and linked Slack users)
  and each one's choices (on/off, time zone, hours: ``hours``);
- ``outbox``: the send record that makes each reminder go once, and the widget's
  inbox of notices;
- ``slack``: the direct message through Slack's Web API;
- ``run`` and ``runs``: one run over all partners, as the one runner of the
  deployment (the schedule lives in ``bot/reminder_scheduler.py``).
"""
