"""The write path of a publish, and the recovery that undoes a crashed one.

A version becomes visible in exactly one step — the ``rename`` of its staged
folder, done inside the database transaction that inserts its row, just before
the commit. Every crash therefore falls in one of three cases:

* before the rename: only a staging folder exists (cleared by
  :func:`~bizforge.registry.staging.clean_staging`);
* after the rename, before the commit: a version folder without a row
  (:func:`recover` removes it, under the write lock so a live publisher,
  which holds that lock until it commits, is never mistaken for a dead one);
* after the commit: a complete version.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bizforge.errors import ModelNotFound, UsageError
from bizforge.manifest import MANIFEST, sha256_file, verify_manifest
from bizforge.registry.card import build_card, headline_score
from bizforge.registry.db import models, now, versions, write_lock
from bizforge.registry.refs import check_name
from bizforge.registry.staging import clean_staging, fsync_dir, fsync_tree, trash

__all__ = ["commit_version", "place", "recover", "source_folder", "stage"]

ATTEMPTS = 8
_VERSION_DIR = re.compile(r"[1-9][0-9]*")


def source_folder(source: Any) -> Path:
    """The folder of a Run or a path; ModelNotFound when it is not a model folder."""
    path = getattr(source, "path", source)
    if path is None:
        raise UsageError("this run was not saved to a folder, so it cannot be published.",
                         fix="train with out=... (or the CLI) so the run has a folder.")
    path = Path(path)
    if not path.is_dir():
        raise ModelNotFound(f"no model folder at '{path}'.",
                            fix="pass the folder written by `bizforge train --out DIR`.")
    if not (path / MANIFEST).is_file():
        raise ModelNotFound(f"'{path}' is not a bizforge model folder (no {MANIFEST}).",
                            fix="pass the folder written by `bizforge train --out DIR`.")
    return path


def stage(src: Path, staged: Path) -> tuple[dict[str, Any], str]:
    """Copy ``src`` to ``staged``, verify the copy, flush it; returns (card, manifest sha256)."""
    # symlinks=True copies a link as a link, which verification then refuses,
    # instead of following it to a file outside the run.
    shutil.copytree(src, staged, symlinks=True)
    verify_manifest(staged)
    card = build_card(staged)
    digest = sha256_file(staged / MANIFEST)
    for path in [staged, *staged.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    fsync_tree(staged)
    return card, digest


def place(staged: Path, target: Path) -> None:
    """The one atomic step that makes a version's files visible."""
    os.rename(staged, target)


def commit_version(engine: sa.Engine, root: Path, name: str, staged: Path,
                   card: dict[str, Any], digest: str) -> int:
    """Allocate the next version of ``name``, move ``staged`` in and commit; returns it."""
    for attempt in range(ATTEMPTS):
        placed: Path | None = None
        try:
            with engine.begin() as conn:
                write_lock(conn)
                _refuse_case_twin(conn, name)
                version = _allocate(conn, name)
                conn.execute(versions.insert().values(
                    name=name, version=version, path=f"{name}/{version}", created=now(),
                    task=card.get("task"), metric=card.get("metric"),
                    score=headline_score(card), manifest_sha256=digest, card=card))
                target = root / name / str(version)
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.exists():  # left by a publish that died before committing
                    trash(target, root)
                place(staged, target)
                placed = target
                fsync_dir(target.parent)
            return version
        except sa.exc.IntegrityError:
            # Another writer took this number first (only where the database does
            # not serialise writers): move the folder back out and try again.
            _move_back(placed, staged)
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        except BaseException:
            _move_back(placed, staged)
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _allocate(conn, name: str) -> int:
    """Next version of ``name``: above every version ever handed out (never reused)."""
    last = conn.execute(sa.select(models.c.last_version).where(models.c.name == name)).scalar()
    if last is None:
        conn.execute(models.insert().values(name=name, created=now(), last_version=0))
        last = 0
    top = conn.execute(sa.select(sa.func.max(versions.c.version))
                       .where(versions.c.name == name)).scalar() or 0
    version = max(last, top) + 1
    conn.execute(models.update().where(models.c.name == name).values(last_version=version))
    return version


def _refuse_case_twin(conn, name: str) -> None:
    # Some disks (macOS, Windows) treat Churn and churn as one folder.
    twins = conn.execute(
        sa.select(versions.c.name).distinct()
        .where(sa.func.lower(versions.c.name) == name.lower(), versions.c.name != name)
    ).scalars().all()
    if twins:
        raise UsageError(f"model '{twins[0]}' exists and differs from '{name}' only by "
                         "upper/lower case.",
                         fix=f"publish as '{twins[0]}' or choose another name.")


def _move_back(placed: Path | None, staged: Path) -> None:
    if placed is not None and placed.exists():
        try:
            os.rename(placed, staged)
        except OSError:
            shutil.rmtree(placed, ignore_errors=True)


def _on_disk(root: Path) -> set[tuple[str, int]]:
    found: set[tuple[str, int]] = set()
    if not root.is_dir():
        return found
    for name_dir in root.iterdir():
        if name_dir.name.startswith(".") or not name_dir.is_dir():
            continue
        try:
            check_name(name_dir.name)
        except UsageError:
            continue  # not ours; leave it alone
        for version_dir in name_dir.iterdir():
            if _VERSION_DIR.fullmatch(version_dir.name) and version_dir.is_dir():
                found.add((name_dir.name, int(version_dir.name)))
    return found


def recover(engine: sa.Engine, root: Path) -> list[str]:
    """Drop staging leftovers and version folders whose publish never committed.

    Returns what was removed (``name/version`` and staging entries).
    """
    try:
        removed = clean_staging(root)
        candidates = _on_disk(root)
        if not candidates:
            return removed
        with engine.connect() as conn:
            committed = {(r[0], r[1]) for r in conn.execute(
                sa.select(versions.c.name, versions.c.version))}
        if not candidates - committed:
            return removed
        # Re-check under the write lock: what is still unclaimed now is dead.
        with engine.begin() as conn:
            write_lock(conn)
            committed = {(r[0], r[1]) for r in conn.execute(
                sa.select(versions.c.name, versions.c.version))}
            for name, version in sorted(candidates - committed):
                trash(root / name / str(version), root)
                removed.append(f"{name}/{version}")
        return removed
    except OSError:
        return []  # a read-only home can still serve; a writable open recovers later
