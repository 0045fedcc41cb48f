"""Temporary folders for publishing, and the clean-up of ones left by a crash.

A publish copies the run into ``<models>/.staging/<id>/`` (same disk as the
final place, so moving it in is one atomic ``rename``). While it works, the
publisher holds an exclusive ``flock`` on ``<id>.lock``; the kernel drops that
lock when the process dies, even by SIGKILL, so another process can tell a
live staging folder from a stale one without guessing from ages or pids.
Where ``fcntl`` does not exist (Windows), folders older than a day are stale.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["STAGING", "clean_staging", "fsync_dir", "fsync_tree", "staging_folder", "trash"]

STAGING = ".staging"
_TRASH = "trash-"
_STALE_WITHOUT_LOCK_S = 24 * 3600.0


@contextlib.contextmanager
def staging_folder(models_root: Path) -> Iterator[Path]:
    """A fresh folder under ``<models_root>/.staging``, removed on exit if still there.

    >>> with staging_folder(root) as tmp:          # doctest: +SKIP
    ...     shutil.copytree(run_dir, tmp / "a")
    """
    area = models_root / STAGING
    area.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(8)
    lock_path = area / f"{token}.lock"
    # Lock first, folder second: a folder whose lock file is absent is never live.
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        folder = area / token
        folder.mkdir()
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        with contextlib.suppress(OSError):
            lock_path.unlink()
        os.close(fd)


def _stale(lock_path: Path) -> bool:
    """True when nobody holds ``lock_path`` (its publisher has finished or died)."""
    if fcntl is None:  # pragma: no cover - Windows
        return time.time() - lock_path.stat().st_mtime > _STALE_WITHOUT_LOCK_S
    try:
        fd = os.open(lock_path, os.O_RDWR)
    except FileNotFoundError:
        return False  # its owner finished meanwhile and cleaned up itself
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing drops our probe lock
    return True


def clean_staging(models_root: Path) -> list[str]:
    """Remove staging folders and lock files whose publisher is gone; returns their names."""
    area = models_root / STAGING
    if not area.is_dir():
        return []
    removed = []
    for entry in sorted(area.iterdir()):
        try:
            if entry.name.startswith(_TRASH):
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.suffix == ".lock":
                if _stale(entry):
                    shutil.rmtree(area / entry.stem, ignore_errors=True)
                    entry.unlink(missing_ok=True)
                else:
                    continue
            elif entry.is_dir() and not (area / f"{entry.name}.lock").exists():
                # Its lock file is gone, so its publisher is too (it unlinks the lock last).
                if time.time() - entry.stat().st_mtime < 60.0:
                    continue  # just made, between lock and mkdir of a live publisher
                shutil.rmtree(entry, ignore_errors=True)
            else:
                continue
        except FileNotFoundError:
            continue
        removed.append(entry.name)
    return removed


def fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder`` to disk (a power cut keeps them)."""
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
    fsync_dir(folder)
    for path in folder.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            fsync_dir(path)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) where the platform allows it."""
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def trash(path: Path, models_root: Path) -> None:
    """Move ``path`` out of sight at once, then delete it; a crash leaves only trash."""
    area = models_root / STAGING
    area.mkdir(parents=True, exist_ok=True)
    target = area / f"{_TRASH}{secrets.token_hex(8)}"
    try:
        os.rename(path, target)
    except FileNotFoundError:
        return
    shutil.rmtree(target, ignore_errors=True)
