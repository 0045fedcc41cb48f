"""Checksummed artifact folders: ``manifest.json`` lists every file with its sha256.

Written once when an artifact is complete, checked on every load: a changed byte,
a missing file or an unexpected extra file is refused with an IntegrityError that
names the file.

>>> info = write_manifest(folder, extra={"kind": "tabular"})   # doctest: +SKIP
>>> verify_manifest(folder)                                     # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

from bizforge.errors import IntegrityError, UsageError

__all__ = ["FORMAT", "MANIFEST", "sha256_file", "verify_manifest", "write_manifest"]

MANIFEST = "manifest.json"
FORMAT = 1
_CHUNK = 1 << 20
_FIX_RESAVE = "do not edit files inside a saved model; save or publish it again from the run."


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files(directory: Path) -> dict[str, Path]:
    """Every regular file under ``directory`` (POSIX relative path -> path), manifest aside."""
    out: dict[str, Path] = {}
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).as_posix()
        if rel == MANIFEST or path.is_dir():
            continue
        out[rel] = path
    return out


def write_manifest(directory: str | Path, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``manifest.json`` for every file in ``directory``; returns what was written.

    ``extra`` keys are stored alongside (``format`` and ``files`` are reserved).

    >>> write_manifest("artifact/")["files"]["model.json"]["bytes"]   # doctest: +SKIP
    1843
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise UsageError(f"'{directory}' is not a folder.", fix="save the artifact first.")
    extra = dict(extra or {})
    clash = {"format", "files"} & set(extra)
    if clash:
        raise UsageError(f"manifest keys {sorted(clash)} are reserved.",
                         fix="rename those extra keys.")
    files: dict[str, dict[str, Any]] = {}
    for rel, path in _files(directory).items():
        if path.is_symlink():
            raise IntegrityError(f"'{rel}' in '{directory}' is a link; an artifact holds "
                                 "plain files only.", fix="copy the file in instead of linking.")
        files[rel] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    data = {"format": FORMAT, "files": files, **extra}
    (directory / MANIFEST).write_text(json.dumps(data, indent=1, sort_keys=True),
                                      encoding="utf-8")
    return data


def _read(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise IntegrityError(f"'{path}' is missing, so the artifact cannot be checked.",
                             fix=_FIX_RESAVE)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IntegrityError(f"'{path}' is not valid JSON.", fix=_FIX_RESAVE) from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise IntegrityError(f"'{path}' has no file list.", fix=_FIX_RESAVE)
    if data.get("format") != FORMAT:
        raise IntegrityError(f"'{path}' has format {data.get('format')!r}; this bizforge "
                             f"reads format {FORMAT}.", fix="upgrade bizforge or save again.")
    return data


def verify_manifest(directory: str | Path) -> dict[str, Any]:
    """Check every file against ``manifest.json``; returns the manifest when all match.

    Raises IntegrityError naming the first missing, changed or unexpected file.
    """
    directory = Path(directory)
    data = _read(directory)
    present = _files(directory)
    for rel, entry in data["files"].items():
        pure = PurePosixPath(rel)
        # A tampered manifest must not make us read outside the folder.
        if pure.is_absolute() or ".." in pure.parts:
            raise IntegrityError(f"the manifest in '{directory}' lists '{rel}', a path "
                                 "outside the artifact.", fix=_FIX_RESAVE)
        path = present.get(rel)
        if path is None:
            raise IntegrityError(f"file '{rel}' listed in the manifest of '{directory}' is "
                                 "missing.", fix="restore the file or " + _FIX_RESAVE)
        if path.is_symlink() or path.stat().st_size != entry.get("bytes") or (
            sha256_file(path) != entry.get("sha256")
        ):
            raise IntegrityError(f"file '{rel}' in '{directory}' has changed since it was "
                                 "saved (sha256 differs).", fix=_FIX_RESAVE)
    extra = sorted(set(present) - set(data["files"]))
    if extra:
        raise IntegrityError(f"file '{extra[0]}' in '{directory}' is not in the manifest"
                             + (f" ({len(extra) - 1} more)" if len(extra) > 1 else "") + ".",
                             fix=f"remove '{extra[0]}' or " + _FIX_RESAVE)
    return data
