"""Where the office drops its nightly export, and fetching it (``PA_SYNC_SOURCE``).

The export is a folder of files with fixed names: ``competencies``, ``courses`` and
``rules`` (each ``.csv`` or ``.jsonl``) and a ``partners/`` folder with one file per
record kind (``partners.csv``, ``people.csv``, ...; see docs/data.md). Any of them may
be missing: the sync imports what is there.

A source is a local directory (read in place) or an ``https://`` URL: each file is
fetched by name under it with a timeout, and a 404 means that file is not part of
this export. Plain ``http://`` works too (tests use a local server) but sends the
office's data unencrypted: production uses https.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

logger = logging.getLogger(__name__)

# Import order: courses refer to competencies; rules and partners to both.
CATALOGUE_KINDS = ("competencies", "courses", "rules")
SUFFIXES = (".csv", ".jsonl")
PARTNERS_FOLDER = "partners"
# The record kinds of a partner export (partners.importing.partner_records).
PARTNER_RECORD_FILES = (
    "partners",
    "people",
    "certifications",
    "completions",
    "competencies",
    "revenue",
    "satisfaction",
    "vouchers",
)
CHUNK = 1024 * 1024


class SourceError(Exception):
    """The source cannot be read; the message says why, fit to show an operator."""


@dataclass
class Export:
    """The files of one export, on local disk.

    Attributes:
        files: The catalogue files found, by kind (``courses`` -> its path).
        partners_dir: The folder of partner record files, if the export has one.
        fetched: Every file name read, relative to the source.
        missing: Expected names the source does not have.

    """

    files: dict[str, Path] = field(default_factory=dict)
    partners_dir: Path | None = None
    fetched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the source held none of the expected files."""
        return not self.files and self.partners_dir is None


def is_url(source: str) -> bool:
    """Whether ``source`` is an http(s) URL rather than a directory."""
    return source.startswith(("https://", "http://"))


def describe(source: str) -> str:
    """Return ``source`` fit to show and store: a URL without credentials or query."""
    if not is_url(source):
        return source
    parts = urlsplit(source)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def read_directory(directory: Path) -> Export:
    """Find the export's files in a local directory.

    Raises:
        SourceError: The directory does not exist or is not a directory.

    """
    if not directory.is_dir():
        raise SourceError(f"the sync source directory {directory} does not exist")
    export = Export()
    for kind in CATALOGUE_KINDS:
        found = next(
            (directory / f"{kind}{s}" for s in SUFFIXES if (directory / f"{kind}{s}").is_file()),
            None,
        )
        if found is None:
            export.missing.append(f"{kind}.csv")
        else:
            export.files[kind] = found
            export.fetched.append(found.name)
    partners = directory / PARTNERS_FOLDER
    records = (
        sorted(p.name for p in partners.glob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        if partners.is_dir()
        else []
    )
    if records:
        export.partners_dir = partners
        export.fetched += [f"{PARTNERS_FOLDER}/{name}" for name in records]
    else:
        export.missing.append(f"{PARTNERS_FOLDER}/")
    return export


def fetch_url(base_url: str, into: Path, *, timeout: float, limit_bytes: int) -> Export:
    """Download the export's files from under ``base_url`` into the folder ``into``.

    Raises:
        SourceError: The server cannot be reached, answers with an error other than
            404, or sends a file larger than ``limit_bytes``.

    """
    if base_url.startswith("http://"):
        logger.warning("sync source %s is plain http: use https in production", describe(base_url))
    base = base_url.rstrip("/") + "/"
    export = Export()
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        for kind in CATALOGUE_KINDS:
            got = _first_of(client, base, [f"{kind}{s}" for s in SUFFIXES], into, limit_bytes)
            if got is None:
                export.missing.append(f"{kind}.csv")
            else:
                export.files[kind] = got
                export.fetched.append(got.name)
        folder = into / PARTNERS_FOLDER
        for record in PARTNER_RECORD_FILES:
            names = [f"{PARTNERS_FOLDER}/{record}{s}" for s in SUFFIXES]
            got = _first_of(client, base, names, into, limit_bytes)
            if got is not None:
                export.partners_dir = folder
                export.fetched.append(f"{PARTNERS_FOLDER}/{got.name}")
        if export.partners_dir is None:
            export.missing.append(f"{PARTNERS_FOLDER}/")
    return export


def _first_of(
    client: httpx.Client, base: str, names: list[str], into: Path, limit_bytes: int
) -> Path | None:
    """Fetch the first of ``names`` the server has; None when it has none (all 404)."""
    for name in names:
        target = into / name
        if _download(client, base + name, target, limit_bytes):
            return target
    return None


def _download(client: httpx.Client, url: str, target: Path, limit_bytes: int) -> bool:
    shown = describe(url)
    try:
        with client.stream("GET", url) as response:
            if response.status_code == 404:
                return False
            if response.status_code != 200:
                raise SourceError(f"{shown} answered HTTP {response.status_code}")
            target.parent.mkdir(parents=True, exist_ok=True)
            size = 0
            with target.open("wb") as out:
                for chunk in response.iter_bytes(CHUNK):
                    size += len(chunk)
                    if size > limit_bytes:
                        raise SourceError(f"{shown} is larger than {limit_bytes} bytes")
                    out.write(chunk)
    except httpx.TimeoutException as exc:
        raise SourceError(f"{shown} did not answer in time ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"cannot fetch {shown}: {exc or type(exc).__name__}") from exc
    return True
