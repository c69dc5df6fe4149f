"""The sync of the office's nightly export: fetch it, import it, one runner at a time.

``source`` reads a directory or downloads from a URL, ``runs`` keeps the
``sync_runs`` rows and the database guard, ``runner`` runs a sync or an uploaded
import under the Redis lock and the guard. The schedule lives in the app
(``bot/sync_scheduler.py``); operators see and start runs at ``/v1/admin/sync``.
"""
