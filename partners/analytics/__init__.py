"""Analytics: Rasa's events turned into conversations and turns, and what operators read.

``ingest`` writes the tables from events (``models``), ``outcomes`` says what each turn
was, ``clusters`` groups unanswered questions by meaning, ``queries`` answers the
dashboard and the review, ``retention`` forgets old transcript texts.
"""
