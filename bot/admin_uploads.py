"""Files uploaded to ``POST /v1/admin/imports/{kind}``, saved into a temporary folder.

Uploads keep their own names (the import report names the file as the operator sent
it), reduced to a plain file name of safe characters. A partner export comes as its
record files side by side, or as one ``.zip`` of them (folders inside the zip are
ignored, only the file names count). The whole upload, unpacked, may not exceed
``PA_IMPORT_UPLOAD_LIMIT_BYTES``.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from fastapi import UploadFile

CHUNK = 1024 * 1024
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class UploadError(ValueError):
    """An upload that cannot be imported; the message says why (400)."""


class UploadTooLargeError(UploadError):
    """The upload is larger than the configured limit (413)."""


def safe_name(name: str | None) -> str:
    """Return the plain file name of an upload, or raise for one we will not write.

    Raises:
        UploadError: No name, or one with characters other than letters, digits,
            ``.``, ``_`` and ``-`` (after dropping any folder part).

    """
    plain = PurePosixPath((name or "").replace("\\", "/")).name
    if not _SAFE_NAME.match(plain) or plain in (".", ".."):
        raise UploadError(
            f"the file name {name!r} is not usable: send a plain name such as courses.csv"
        )
    return plain


class Budget:
    """How many bytes the upload may still write."""

    def __init__(self, limit: int) -> None:
        self.limit, self.left = limit, limit

    def copy(self, source: IO[bytes], target: Path) -> None:
        """Copy ``source`` to ``target``, refusing once the budget is spent.

        Raises:
            UploadTooLargeError: The upload went over the limit.

        """
        with target.open("wb") as out:
            while chunk := source.read(CHUNK):
                self.left -= len(chunk)
                if self.left < 0:
                    raise UploadTooLargeError(
                        f"the upload is larger than the limit of {self.limit} bytes "
                        "(PA_IMPORT_UPLOAD_LIMIT_BYTES)"
                    )
                out.write(chunk)


def save_uploads(uploads: list[UploadFile], folder: Path, budget: Budget) -> list[Path]:
    """Save ``uploads`` under ``folder``; return their paths, in the order sent.

    Raises:
        UploadError: A bad or repeated name, or an upload over the limit.

    """
    saved: list[Path] = []
    for upload in uploads:
        target = folder / safe_name(upload.filename)
        if target.exists():
            raise UploadError(f"{target.name} was sent twice")
        budget.copy(upload.file, target)
        saved.append(target)
    return saved


def unpack_zip(archive: Path, folder: Path, budget: Budget) -> list[Path]:
    """Unpack the files of ``archive`` flat into ``folder``; return their paths.

    Raises:
        UploadError: Not a zip file, a bad or repeated member name, no file in it,
            or more bytes unpacked than the limit allows.

    """
    if not zipfile.is_zipfile(archive):
        raise UploadError(f"{archive.name} is not a zip file")
    saved: list[Path] = []
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.infolist():
            if member.is_dir() or PurePosixPath(member.filename).name.startswith("."):
                continue
            target = folder / safe_name(member.filename)
            if target.exists():
                raise UploadError(f"{archive.name} holds {target.name} twice")
            with bundle.open(member) as source:
                budget.copy(source, target)
            saved.append(target)
    if not saved:
        raise UploadError(f"{archive.name} holds no file")
    return saved


def partner_folder(uploads: list[Path], folder: Path, budget: Budget) -> Path:
    """Lay the partner record files of an upload out in one folder for the import.

    ``uploads`` are the saved files: the record files themselves, or one zip of them.
    """
    records = folder / "partners"
    records.mkdir()
    if len(uploads) == 1 and uploads[0].suffix.lower() == ".zip":
        unpack_zip(uploads[0], records, budget)
    else:
        for path in uploads:
            if path.suffix.lower() == ".zip":
                raise UploadError("send the partner files, or one zip of them, not both")
            shutil.move(str(path), records / path.name)
    return records
