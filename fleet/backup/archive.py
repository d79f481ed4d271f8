"""The backup file: a gzipped tar of the manifest and the dump, its sha256 beside it; read back only once every
checksum matches."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from core.errors import DomainError
from fleet.models import TenantArchive

FORMAT = "erp-tenant-backup/2"
_READABLE_FORMATS = {"erp-tenant-backup/1", FORMAT}  # 1: no per-member sha256 (the whole file's is still checked)
_MANIFEST = "manifest.json"
_DUMP = "schema.sql"
_DROPPED_LINE = re.compile(r"^(SET |SELECT pg_catalog\.set_config|\\|--|CREATE SCHEMA )")


class BackupError(DomainError):
    pass


@dataclass(frozen=True)
class TableDigest:
    rows: int
    checksum: str


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    sha256: str
    tables: dict[str, TableDigest]


def write_archive(path: Path, manifest: dict, dump: str) -> str:
    """Write the archive (0600) and its `<file>.sha256` sidecar; the manifest gets the dump's sha256 and size.
    Returns the sha256 of the whole file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dump_bytes = dump.encode()
    manifest = {**manifest, "files": {_DUMP: {"sha256": hashlib.sha256(dump_bytes).hexdigest(),
                                              "size": len(dump_bytes)}}}  # fmt: skip
    partial = path.with_name(path.name + ".partial")
    # Created 0600 from the start: it holds password and API-key hashes, and must never be readable by others.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
        for name, data in ((_MANIFEST, json.dumps(manifest, indent=2).encode()), (_DUMP, dump_bytes)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o600
            info.mtime = int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
    partial.rename(path)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    _sidecar(path).write_text(f"{sha256}  {path.name}\n")
    return sha256


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


@dataclass(frozen=True)
class Backup:
    manifest: dict
    dump: str


def read_backup(path: Path) -> Backup:
    """The backup in `path`, verified whole before anything uses it; BackupError (one line) if any check fails."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None
    recorded = _recorded_sha256(path)
    if hashlib.sha256(raw).hexdigest() != recorded:
        raise BackupError(f"{path} does not match the sha256 recorded when it was written: the file is damaged or "
                          "was changed; nothing restored")  # fmt: skip
    try:
        data = gzip.decompress(raw)  # reads to the end: checks the CRC and the length in the gzip trailer
    except (OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{path} is damaged (gzip: {exc}); nothing restored") from None
    members = _tar_members(path, data)
    try:
        manifest = json.loads(members[_MANIFEST])
        dump_bytes = members[_DUMP]
        if manifest.get("format") not in _READABLE_FORMATS:
            raise BackupError(f"{path} has format {manifest.get('format')!r}; this version reads {FORMAT!r}")
        if manifest["format"] == FORMAT:
            expected = manifest["files"][_DUMP]
            if len(dump_bytes) != expected["size"] or hashlib.sha256(dump_bytes).hexdigest() != expected["sha256"]:
                raise BackupError(
                    f"{path}: {_DUMP} does not match the size and sha256 in its manifest; nothing restored"
                )
        dump = dump_bytes.decode()
    except (ValueError, KeyError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise BackupError(f"{path} is not a tenant backup ({type(exc).__name__}: {exc}); nothing restored") from None
    return Backup(manifest, dump)


def _recorded_sha256(path: Path) -> str:
    """The sha256 written beside the file at backup time, else the one the registry recorded for its location."""
    sidecar = _sidecar(path)
    if sidecar.exists():
        text = sidecar.read_text().strip()
        return text.split()[0].lower() if text else ""
    record = TenantArchive.objects.filter(location=str(path.resolve())).order_by("-created_at").first()
    if record is None:
        raise BackupError(f"{path} has no recorded sha256 ({sidecar.name} is missing and the registry has no backup at "
                          "that location), so it cannot be verified; copy the .sha256 file beside it")  # fmt: skip
    return record.sha256


def _tar_members(path: Path, data: bytes) -> dict[str, bytes]:
    """Exactly manifest.json and schema.sql, regular files, read in full."""
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            for member in archive:
                if member.name not in (_MANIFEST, _DUMP) or not member.isfile() or member.name in members:
                    raise BackupError(f"{path} holds an unexpected member {member.name!r}; nothing restored")
                content = archive.extractfile(member).read()
                if len(content) != member.size:
                    raise BackupError(f"{path}: {member.name} is shorter than its tar header says; nothing restored")
                members[member.name] = content
    except tarfile.TarError as exc:
        raise BackupError(f"{path} is damaged (tar: {exc}); nothing restored") from None
    missing = {_MANIFEST, _DUMP} - set(members)
    if missing:
        raise BackupError(f"{path} lacks {', '.join(sorted(missing))}; nothing restored")
    return members
