"""Stored files and their registered SHA-256: checked when served and by `manage.py verify_storage`.

Documents and uploads are read and written only through Django's storage API (settings.STORAGES["default"]), never
by path, so the store may be a local directory, a shared file system or an S3-compatible bucket. Each stored file's
size and SHA-256 were registered when it was stored (OfficialDocument.sha256/size, Attachment.sha256/size); a file
whose bytes no longer match is never served.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import IO

from django.core.files.storage import Storage, default_storage
from django.db import DEFAULT_DB_ALIAS

from .models import Attachment, OfficialDocument, RenderStatus

CHUNK = 1024 * 1024
SPOOL_IN_MEMORY = 2 * 1024 * 1024


class Problem(StrEnum):
    MISSING = "missing"
    SIZE = "size"
    HASH = "hash"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class StoredFile:
    """One file the database says is in the store, with what was registered when it was stored."""

    kind: str  # "document" or "attachment"
    pk: int
    name: str  # the storage name ("" when a rendered document has lost its file reference)
    sha256: str
    size: int | None
    label: str  # for people: the document's number, the attachment's file name
    storage: Storage

    @classmethod
    def of_document(cls, document: OfficialDocument) -> StoredFile:
        return cls(
            "document",
            document.pk,
            document.file.name or "",
            document.sha256,
            document.size,
            document.number,
            document.file.storage,
        )

    @classmethod
    def of_document_ofd(cls, document: OfficialDocument) -> StoredFile:
        return cls(
            "document",
            document.pk,
            document.ofd_file.name or "",
            document.ofd_sha256,
            document.ofd_size,
            f"{document.number} OFD",
            document.ofd_file.storage,
        )

    @classmethod
    def of_attachment(cls, attachment: Attachment) -> StoredFile:
        return cls(
            "attachment",
            attachment.pk,
            attachment.file.name or "",
            attachment.sha256,
            attachment.size,
            attachment.original_name,
            attachment.file.storage,
        )


@dataclass(frozen=True)
class Finding:
    stored: StoredFile
    problem: Problem
    actual_size: int | None = None
    actual_sha256: str = ""
    error: str = ""

    def describe(self) -> str:
        s = self.stored
        where = f"{s.kind} {s.pk} ({s.label}) {s.name or '-'}"
        if self.problem is Problem.MISSING:
            return f"{where}: missing from the store"
        if self.problem is Problem.SIZE:
            return f"{where}: size {self.actual_size} bytes, registered {s.size}"
        if self.problem is Problem.HASH:
            return f"{where}: SHA-256 {self.actual_sha256}, registered {s.sha256}"
        return f"{where}: unreadable ({self.error})"


class StoredFileRefused(Exception):
    """The stored bytes are not the registered ones (or are gone): they must not be served."""

    def __init__(self, finding: Finding):
        super().__init__(finding.describe())
        self.finding = finding


def stored_files(using: str = DEFAULT_DB_ALIAS) -> Iterator[StoredFile]:
    """Every file the database references: rendered documents and all attachments, oldest first."""
    documents = OfficialDocument.objects.using(using).filter(render_status=RenderStatus.RENDERED).order_by("pk")
    fields = ("pk", "file", "sha256", "size", "number", "ofd_file", "ofd_sha256", "ofd_size")
    for document in documents.only(*fields).iterator(chunk_size=500):
        yield StoredFile.of_document(document)
        if document.ofd_sha256:  # documents rendered before OFD existed have none
            yield StoredFile.of_document_ofd(document)
    for attachment in (
        Attachment.objects.using(using)
        .order_by("pk")
        .only("pk", "file", "sha256", "size", "original_name")
        .iterator(chunk_size=500)
    ):
        yield StoredFile.of_attachment(attachment)


def count_stored_files() -> int:
    rendered = OfficialDocument.objects.filter(render_status=RenderStatus.RENDERED)
    return rendered.count() + rendered.exclude(ofd_sha256="").count() + Attachment.objects.count()


def _read(stored: StoredFile, sink: IO[bytes] | None, *, hash_content: bool = True) -> Finding | None:
    """Stream the stored file (into `sink` when given), comparing it with what was registered."""
    if not stored.name or not stored.storage.exists(stored.name):
        return Finding(stored, Problem.MISSING)
    if not hash_content and sink is None:
        try:
            size = stored.storage.size(stored.name)
        except OSError as error:
            return Finding(stored, Problem.UNREADABLE, error=f"{error.__class__.__name__}: {error}")
        return (
            Finding(stored, Problem.SIZE, actual_size=size) if stored.size is not None and size != stored.size else None
        )
    digest, size = hashlib.sha256(), 0
    try:
        with stored.storage.open(stored.name, "rb") as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if sink is not None:
                    sink.write(chunk)
    except FileNotFoundError:
        return Finding(stored, Problem.MISSING)
    except OSError as error:
        return Finding(stored, Problem.UNREADABLE, error=f"{error.__class__.__name__}: {error}")
    actual = digest.hexdigest()
    if stored.size is not None and size != stored.size:
        return Finding(stored, Problem.SIZE, actual_size=size, actual_sha256=actual)
    if actual != stored.sha256:
        return Finding(stored, Problem.HASH, actual_size=size, actual_sha256=actual)
    return None


def check(stored: StoredFile, *, hash_content: bool = True) -> Finding | None:
    """None when the stored file is there with its registered size (and SHA-256); otherwise what is wrong."""
    return _read(stored, None, hash_content=hash_content)


def verified_copy(stored: StoredFile) -> IO[bytes]:
    """A private copy of the stored bytes, rewound, made while hashing them: what is served is exactly what was
    checked, even if the store changes meanwhile. Raises StoredFileRefused when they are not the registered bytes."""
    copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - handed to the response, which closes it
    finding = _read(stored, copy)
    if finding is not None:
        copy.close()
        raise StoredFileRefused(finding)
    copy.seek(0)
    return copy


def walk(storage: Storage = default_storage, directory: str = "") -> Iterator[str]:
    """Every file name in the store (through listdir, so any backend that lists works), sorted."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # a file-system store that has never stored anything
        return
    prefix = f"{directory}/" if directory else ""
    for name in sorted(files):
        yield prefix + name
    for sub in sorted(directories):
        yield from walk(storage, prefix + sub)
