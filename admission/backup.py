"""Backups of one installation, and their restore: the database, the file store and the signing keys, with a manifest.

A backup is one directory (or one tar archive of it) named admission-backup-<time>:

    manifest.json       what is in it: SHA-256 and size of every other file, the app version, the applied
                        migrations, and a digest of the audit events, documents and attachments in the dump
    database.dump       PostgreSQL: pg_dump custom format, taken from one snapshot
    database.sqlite3    SQLite: a consistent copy made with SQLite's backup API
    files/…             every file in the store (settings.STORAGES["default"]), read through the storage API
    keys/…              settings.ADMISSION_SIGNING_KEYS_DIR (the issuing bodies' keys and the trust root)

The database is read inside one transaction (PostgreSQL: REPEATABLE READ, its snapshot exported to pg_dump), and the
digests and the list of referenced files come from that same snapshot. Files are copied afterwards: stored files are
written before their row commits and never replaced, so every file the dump references is already there.

Restore verifies every hash of the manifest before touching anything, refuses a database that is not empty (unless
forced) and a file or key that would be overwritten with other bytes, restores, then recomputes the digests on the
restored database and checks every stored file against it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from .models import Attachment, AuditEvent, OfficialDocument
from .storage import check, stored_files, walk

FORMAT = 1
MANIFEST = "manifest.json"
PREFIX = "admission-backup-"
NAME = re.compile(rf"^{PREFIX}(\d{{8}}T\d{{6}})(\.tar)?$")
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
CHUNK = 1024 * 1024

Say = Callable[[str], None]


class BackupError(Exception):
    """What went wrong, said for the operator; nothing half-done is left looking like a good backup."""


# --- what a database holds, digested the same way when backing up and after restoring -------------------------------


def _digest(rows) -> dict:
    digest, count, last = hashlib.sha256(), 0, None
    for row in rows:
        digest.update(json.dumps(row, sort_keys=True, default=str, ensure_ascii=False).encode())
        digest.update(b"\n")
        count, last = count + 1, row[0]
    return {"count": count, "last_id": last, "sha256": digest.hexdigest()}


def database_digests(using: str = DEFAULT_DB_ALIAS) -> dict:
    """Count, last id and a SHA-256 over every audit event, document and attachment: what a restore must give back."""
    return {
        "audit_events": _digest(
            AuditEvent.objects.using(using)
            .order_by("pk")
            .values_list(
                "pk",
                "jurisdiction_id",
                "request_id",
                "actor_id",
                "organization_id",
                "action",
                "from_state",
                "to_state",
                "note",
                "data",
                "created_at",
            )
            .iterator(chunk_size=2000)
        ),
        "documents": _digest(
            OfficialDocument.objects.using(using)
            .order_by("pk")
            .values_list("pk", "number", "verification_code", "status", "render_status", "file", "sha256", "size")
            .iterator(chunk_size=2000)
        ),
        "attachments": _digest(
            Attachment.objects.using(using)
            .order_by("pk")
            .values_list("pk", "file", "sha256", "size")
            .iterator(chunk_size=2000)
        ),
    }


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def app_version() -> dict:
    version = {"name": "township-duty-admission"}
    try:
        version["version"] = metadata.version("township-duty-admission")
    except metadata.PackageNotFoundError:
        version["version"] = "unknown"
    try:
        commit = subprocess.run(
            ["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if commit.returncode == 0:
            version["commit"] = commit.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return version


# --- PostgreSQL client tools ---------------------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client of the server's version "
            "(Debian 12: apt-get install postgresql-client-15)."
        )
    return path


def tool_major(tool: str) -> int:
    output = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"\(PostgreSQL\) (\d+)", output)
    if match is None:
        raise BackupError(f"cannot read the version of {tool}: {output!r}")
    return int(match.group(1))


def _pg_env(connection) -> dict[str, str]:
    """The connection's settings as libpq environment variables (password included), never on a command line."""
    params = connection.settings_dict
    _args, env = connection.client.settings_to_cmd_args_env(params, [])
    env = {k: str(v) for k, v in (env or {}).items() if v}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("NAME", "PGDATABASE")):
        if params.get(key):
            env[variable] = str(params[key])
    return {**os.environ, **env}


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")


# --- backup ---------------------------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    manifest_sha256: str
    files: int
    problems: list[str]
    removed: list[Path]


def _hash_copy(source, target: Path) -> dict:
    digest, size = hashlib.sha256(), 0
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(target, "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def hash_file(path: Path) -> dict:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def _dump_database(connection, work: Path, say: Say) -> tuple[dict, dict, dict[str, str]]:
    """Dump the database and, from the same snapshot, read what the manifest says about it."""
    if connection.in_atomic_block:
        raise BackupError("a backup must not run inside another transaction (it reads one snapshot of its own)")
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"cannot back up a {vendor} database (PostgreSQL or SQLite only)")
    target = work / DATABASE_FILES[vendor]
    info = {"vendor": vendor, "file": target.name}
    if vendor == "sqlite":
        # SQLite's backup API copies a consistent state by itself (it restarts if another connection writes); the
        # manifest's figures are then read from the copy, which is that state.
        say("database: SQLite copy through its backup API")
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        with _connection_to(target) as alias:
            return info, _contents(alias), _referenced(alias)
    pg_dump = _pg_tool("pg_dump")
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        server, client = connection.pg_version // 10000, tool_major(pg_dump)
        if client < server:
            raise BackupError(
                f"pg_dump {client} cannot dump a PostgreSQL {server} server: install postgresql-client-{server}."
            )
        say(f"database: pg_dump (client {client}, server {server}) of {connection.settings_dict['NAME']}")
        _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}"], _pg_env(connection), "pg_dump")
        info.update(server_major=server, pg_dump_major=client)
        return info, _contents(connection.alias), _referenced(connection.alias)


def _contents(alias: str) -> dict:
    return {"applied": applied_migrations(alias), **database_digests(alias)}


def _referenced(alias: str) -> dict[str, str]:
    return {s.name: s.sha256 for s in stored_files(using=alias) if s.name}


@contextmanager
def _connection_to(sqlite_file: Path):
    """A temporary connection to a copy of this installation's SQLite database, for reading it with the ORM."""
    alias = "admission-backup-copy"
    default = connections[DEFAULT_DB_ALIAS]
    copy = default.__class__({**default.settings_dict, "NAME": str(sqlite_file)}, alias)
    connections[alias] = copy  # a dynamically created connection, not a configured database
    try:
        yield alias
    finally:
        copy.close()
        del connections[alias]


def create_backup(
    *, destination: Path, archive: bool = False, keep: int | None = None, say: Say = lambda line: None
) -> BackupResult:
    """Write one complete backup under `destination`; with `keep`, then remove all but the newest `keep` backups."""
    destination.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):  # names go by the second: a second backup within the same second waits for the next
        name = f"{PREFIX}{timezone.localtime():%Y%m%dT%H%M%S}"
        final = destination / (f"{name}.tar" if archive else name)
        if not final.exists():
            break
        time.sleep(1)
    else:
        raise BackupError(f"{final} already exists")
    old_umask = os.umask(0o077)  # keys inside: nobody but the owner reads a backup
    work = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=destination))
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        database, contents, referenced = _dump_database(connection, work, say)
        files = {database["file"]: hash_file(work / database["file"])}
        problems = []

        stored = 0
        for stored_name in walk(default_storage):
            with default_storage.open(stored_name, "rb") as source:
                entry = _hash_copy(source, work / "files" / stored_name)
            files[f"files/{stored_name}"] = entry
            if stored_name in referenced and entry["sha256"] != referenced[stored_name]:
                problems.append(
                    f"stored file {stored_name} does not match its registered SHA-256 "
                    f"(copied as it is; an older backup may hold the right one)"
                )
            stored += 1
            if stored % 500 == 0:
                say(f"files: {stored} copied")
        missing = sorted(set(referenced) - {n.removeprefix("files/") for n in files})
        problems += [f"stored file {n} is referenced by the database but missing from the store" for n in missing]
        say(f"files: {stored} copied from the store")

        keys_dir = Path(settings.ADMISSION_SIGNING_KEYS_DIR)
        key_count = 0
        if keys_dir.is_dir():
            for path in sorted(p for p in keys_dir.rglob("*") if p.is_file()):
                relative = path.relative_to(keys_dir).as_posix()
                with open(path, "rb") as source:
                    files[f"keys/{relative}"] = _hash_copy(source, work / "keys" / relative)
                key_count += 1
        else:
            problems.append(f"signing keys directory {keys_dir} does not exist: no keys in this backup")
        say(f"keys: {key_count} files from {keys_dir}")

        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "app": app_version(),
            "database": database,
            "migrations": contents.pop("applied"),
            "contents": contents,
            "problems": problems,
            "files": files,
        }
        body = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode()
        (work / MANIFEST).write_bytes(body)
        manifest_sha256 = hashlib.sha256(body).hexdigest()

        if archive:
            partial = destination / f".{final.name}.partial"
            with tarfile.open(partial, "w") as tar:
                tar.add(work, arcname=name)
            archive_sha256 = hash_file(partial)["sha256"]
            partial.rename(final)
            Path(f"{final}.sha256").write_text(f"{archive_sha256}  {final.name}\n")
            shutil.rmtree(work)
        else:
            work.chmod(0o700)
            work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        os.umask(old_umask)
    removed = prune(destination, keep) if keep else []
    return BackupResult(final, manifest_sha256, len(files), problems, removed)


def prune(destination: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` complete backups in `destination` (only entries this module names)."""
    backups = sorted((p for p in destination.iterdir() if NAME.match(p.name)), key=lambda p: p.name)
    removed = backups[:-keep] if keep > 0 else []
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
            Path(f"{path}.sha256").unlink(missing_ok=True)
    return removed


# --- restore --------------------------------------------------------------------------------------------------------


@dataclass
class OpenedBackup:
    root: Path
    manifest: dict
    manifest_sha256: str
    scratch: Path | None  # where an archive was unpacked; removed by close()

    def close(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def open_backup(source: Path, *, workdir: Path | None = None) -> OpenedBackup:
    scratch = None
    if source.is_dir():
        root = source
    elif source.is_file() and tarfile.is_tarfile(source):
        scratch = Path(tempfile.mkdtemp(prefix="admission-restore-", dir=workdir))
        try:
            with tarfile.open(source) as tar:
                tar.extractall(scratch, filter="data")  # no absolute paths, no "..", no links out, no devices
        except (tarfile.TarError, OSError) as error:
            shutil.rmtree(scratch, ignore_errors=True)
            raise BackupError(f"{source}: cannot unpack: {error}") from error
        entries = list(scratch.iterdir())
        if len(entries) != 1 or not entries[0].is_dir():
            shutil.rmtree(scratch, ignore_errors=True)
            raise BackupError(f"{source}: not a backup archive (expected one directory inside)")
        root = entries[0]
    else:
        raise BackupError(f"{source}: neither a backup directory nor a tar archive")
    try:
        body = (root / MANIFEST).read_bytes()
        manifest = json.loads(body)
    except (OSError, ValueError) as error:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        raise BackupError(f"{source}: no readable {MANIFEST}: {error}") from error
    return OpenedBackup(root, manifest, hashlib.sha256(body).hexdigest(), scratch)


def verify_backup(opened: OpenedBackup) -> list[str]:
    """Every listed file present with its size and SHA-256, and nothing unlisted: [] means intact."""
    manifest, root = opened.manifest, opened.root
    if manifest.get("format") != FORMAT:
        return [f"unknown backup format {manifest.get('format')!r} (this version reads {FORMAT})"]
    listed = manifest.get("files") or {}
    problems = []
    database_file = (manifest.get("database") or {}).get("file")
    if database_file not in listed:
        problems.append("the manifest lists no database file")
    for relative, expected in sorted(listed.items()):
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts or relative == MANIFEST:
            problems.append(f"{relative}: not a path inside the backup")
            continue
        path = root / relative
        if not path.is_file():
            problems.append(f"{relative}: missing")
            continue
        actual = hash_file(path)
        if actual["size"] != expected.get("size"):
            problems.append(f"{relative}: size {actual['size']}, manifest says {expected.get('size')}")
        elif actual["sha256"] != expected.get("sha256"):
            problems.append(f"{relative}: SHA-256 {actual['sha256']}, manifest says {expected.get('sha256')}")
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir()}
    for extra in sorted(present - set(listed) - {MANIFEST}):
        problems.append(f"{extra}: not in the manifest")
    return problems


def _database_is_empty(connection) -> list[str]:
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def _same_bytes(path: Path, storage_name: str | None = None, key: Path | None = None) -> bool:
    expected = hash_file(path)["sha256"]
    if storage_name is not None:
        digest = hashlib.sha256()
        with default_storage.open(storage_name, "rb") as existing:
            while chunk := existing.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest() == expected
    assert key is not None, "a key file or a storage name"
    return hash_file(key)["sha256"] == expected


@dataclass
class RestoreResult:
    tables: int
    files: int
    keys: int
    skipped_identical: int
    contents: dict
    unapplied_migrations: list[str]
    findings: list[str]  # stored files not as the restored database registered them


def restore_backup(opened: OpenedBackup, *, force: bool = False, say: Say = lambda line: None) -> RestoreResult:
    """Restore a verified backup into this installation's (empty) database, file store and keys directory."""
    problems = verify_backup(opened)
    if problems:
        raise BackupError("the backup does not match its manifest; nothing was restored:\n  " + "\n  ".join(problems))
    manifest, root = opened.manifest, opened.root
    connection = connections[DEFAULT_DB_ALIAS]
    database = manifest["database"]
    if database["vendor"] != connection.vendor:
        raise BackupError(
            f"the backup holds a {database['vendor']} database; this installation uses "
            f"{connection.vendor}. Nothing was restored."
        )
    known = {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}
    backed_up = {f"{app}.{name}" for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted(backed_up - known)
    if unknown:
        raise BackupError(
            "the backup was made by a newer version of the application (migrations unknown here: "
            f"{', '.join(unknown[:10])}); install that version first. Nothing was restored."
        )

    if connection.vendor == "sqlite":  # a fresh machine: SQLite creates the file, not its directory
        Path(str(connection.settings_dict["NAME"])).parent.mkdir(parents=True, exist_ok=True)
    # Check everything that could be overwritten before changing anything.
    tables = _database_is_empty(connection)
    if tables and not force:
        raise BackupError(
            f"the database {connection.settings_dict['NAME']} is not empty ({len(tables)} tables): "
            "restore into an empty database, or use --force to replace its contents. "
            "Nothing was restored."
        )
    listed = manifest["files"]
    stored = {r.removeprefix("files/"): root / r for r in listed if r.startswith("files/")}
    keys = {r.removeprefix("keys/"): root / r for r in listed if r.startswith("keys/")}
    keys_dir = Path(settings.ADMISSION_SIGNING_KEYS_DIR)
    clashes, identical = [], set()
    for name, path in stored.items():
        if default_storage.exists(name):
            if _same_bytes(path, storage_name=name):
                identical.add(("files", name))
            else:
                clashes.append(f"store: {name}")
    for name, path in keys.items():
        if (keys_dir / name).exists():
            if _same_bytes(path, key=keys_dir / name):
                identical.add(("keys", name))
            else:
                clashes.append(f"keys: {keys_dir / name}")
    if clashes and not force:
        raise BackupError(
            "these files exist with other contents and would be overwritten (use --force): "
            + ", ".join(clashes[:20])
            + ". Nothing was restored."
        )

    _restore_database(connection, root / database["file"], drop=tables, say=say)

    restored_files = 0
    for name, path in sorted(stored.items()):
        if ("files", name) in identical:
            continue
        if default_storage.exists(name):
            default_storage.delete(name)
        with open(path, "rb") as source:
            saved = default_storage.save(name, File(source, name=name))
        if saved != name:
            raise BackupError(f"the store saved {name} as {saved}")
        restored_files += 1
        if restored_files % 500 == 0:
            say(f"files: {restored_files} restored")
    say(f"files: {restored_files} restored into the store ({len(stored) - restored_files} already there)")

    restored_keys = 0
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, path in sorted(keys.items()):
        if ("keys", name) in identical:
            continue
        target = keys_dir / name
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copyfile(path, target)
        target.chmod(0o600)
        restored_keys += 1
    say(f"keys: {restored_keys} restored into {keys_dir}")

    contents = database_digests()
    expected = manifest["contents"]
    differing = [key for key in expected if expected[key] != contents.get(key)]
    if differing:
        raise BackupError(
            f"after restore, {', '.join(differing)} differ from the manifest: "
            + "; ".join(f"{k}: expected {expected[k]}, found {contents.get(k)}" for k in differing)
        )
    unapplied = sorted(known - {f"{a}.{n}" for a, names in applied_migrations().items() for n in names})
    say("checking every stored file against the restored database")
    findings = [f.describe() for f in map(check, stored_files()) if f is not None]
    return RestoreResult(len(tables), restored_files, restored_keys, len(identical), contents, unapplied, findings)


def _restore_database(connection, dump: Path, *, drop: list[str], say: Say) -> None:
    if connection.vendor == "postgresql":
        pg_restore = _pg_tool("pg_restore")
        if drop:
            say(f"database: dropping {len(drop)} existing tables (--force)")
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                for table in drop:
                    cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
        say(f"database: pg_restore into {connection.settings_dict['NAME']}")
        connection.close()
        _run(
            [
                pg_restore,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                # --force: the tables are gone, but functions (the audit trigger's) and sequences would clash.
                *(["--clean", "--if-exists"] if drop else []),
                f"--dbname={connection.settings_dict['NAME']}",
                str(dump),
            ],
            _pg_env(connection),
            "pg_restore",
        )
    else:
        name = str(connection.settings_dict["NAME"])
        say(f"database: SQLite copy into {name}")
        connection.close()
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        source, target = sqlite3.connect(dump), sqlite3.connect(name)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
