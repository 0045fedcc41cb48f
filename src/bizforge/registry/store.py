"""The model registry: versioned, checksummed artifacts with metadata in SQL.

Files live under ``<home>/models/<name>/<version>/``; names, versions, aliases,
cards and API keys live in the database (SQLite ``<home>/registry.db`` unless
``BIZFORGE_DATABASE_URL`` names another). A version exists when, and only
when, its row is committed and its folder is in place:

* :meth:`Registry.publish` copies the run into a staging folder, verifies the
  copy, then in one transaction allocates the version, renames the folder into
  place and commits. A crash before the commit leaves a folder without a row,
  which the next :class:`Registry` removes (under the write lock, so never a
  publish still in flight); a crash after it leaves a complete version.
* :meth:`Registry.delete` commits first and removes the folder after.

>>> reg = Registry()                                  # doctest: +SKIP
>>> reg.publish(run, "churn").version                 # doctest: +SKIP
1
>>> reg.promote("churn", 1)                           # doctest: +SKIP
>>> reg.load("churn").predict(frame)                  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa

from bizforge.config import get_settings
from bizforge.errors import ConfigError, IntegrityError, ModelNotFound, UsageError
from bizforge.manifest import MANIFEST, sha256_file, verify_manifest
from bizforge.registry import commit, db
from bizforge.registry.db import alias_history, aliases, now, versions, write_lock
from bizforge.registry.keys import KeyStore
from bizforge.registry.refs import DEFAULT_ALIAS, Ref, check_alias, check_name, parse_ref
from bizforge.registry.staging import staging_folder, trash

__all__ = ["ModelVersion", "Registry", "pick_rollback", "publish"]


@dataclass
class ModelVersion:
    """One published version. ``broken`` says why it cannot be loaded (None when fine)."""

    name: str
    version: int
    path: Path
    created: str
    aliases: list[str]
    task: str | None
    metrics: dict[str, Any]
    card: dict[str, Any]
    broken: str | None = None
    digest: str = field(default="", repr=False)  # sha256 of manifest.json at publish

    @property
    def ref(self) -> str:
        """``name:version``, the reference that always means this exact version."""
        return f"{self.name}:{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (the REST ``GET /v1/models/{name}`` body uses it)."""
        out = asdict(self)
        out["path"] = str(self.path)
        out.pop("digest")
        return out


class Registry:
    """Publish, find, promote, roll back, delete and load model versions.

    The database is opened on first use; opening also clears what a crashed
    publish or delete left behind.
    """

    def __init__(self, url: str | None = None, home: str | Path | None = None):
        settings = get_settings(**({"home": Path(home)} if home is not None else {}))
        self.home = Path(settings.home)
        self.url = url or settings.resolved_database_url()
        self.root = self.home / "models"
        self._engine: sa.Engine | None = None
        self._keys: KeyStore | None = None
        self._open_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Registry(home={str(self.home)!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- connection ------------------------------------------------------------
    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (opened, and the store recovered, on first use)."""
        if self._engine is None:
            with self._open_lock:
                if self._engine is None:
                    self._engine = self._open()
        return self._engine

    def _open(self) -> sa.Engine:
        if self.url.startswith("sqlite"):
            self.home.mkdir(parents=True, exist_ok=True)
        try:
            engine = db.connect(self.url)
        except (sa.exc.OperationalError, sa.exc.ArgumentError, ImportError) as exc:
            shown = self.url
            try:
                shown = sa.engine.make_url(self.url).render_as_string(hide_password=True)
            except sa.exc.ArgumentError:
                pass
            raise ConfigError(f"cannot open the registry database '{shown}' "
                              f"({type(exc).__name__}).",
                              fix="check BIZFORGE_DATABASE_URL / BIZFORGE_HOME and that the "
                                  "database is reachable and writable.") from None
        commit.recover(engine, self.root)
        return engine

    def exists(self) -> bool:
        """False only for a SQLite registry whose database file was never created."""
        url = sa.engine.make_url(self.url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return True
        return Path(url.database).is_file()

    @property
    def keys(self) -> KeyStore:
        """The API keys kept in this registry's database."""
        if self._keys is None:
            self._keys = KeyStore(self)
        return self._keys

    def close(self) -> None:
        """Release the database connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def revision(self) -> int:
        """A number that changes on every write (publish, promote, rollback, delete, keys).

        A server can poll it and refresh cached aliases only when it moved.
        """
        with self.engine.connect() as conn:
            return db.revision(conn)

    # -- publish ---------------------------------------------------------------
    def publish(self, source: Any, name: str) -> ModelVersion:
        """Copy a trained model in as the next version of ``name``; all or nothing.

        ``source`` is a :class:`~bizforge.pipeline.Run` or a model folder.

        >>> Registry().publish(Path("models/churn-20261125"), "churn").ref   # doctest: +SKIP
        'churn:1'
        """
        check_name(name)
        src = commit.source_folder(source)
        verify_manifest(src)  # fail early, naming the user's own folder
        engine = self.engine
        with staging_folder(self.root) as area:
            staged = area / "artifact"
            card, digest = commit.stage(src, staged)
            version = commit.commit_version(engine, self.root, name, staged, card, digest)
        return self.get(Ref(name, version, None))

    # -- lookup ----------------------------------------------------------------
    def get(self, ref: str | Ref) -> ModelVersion:
        """Resolve ``name`` (alias production, else the latest), ``name:3`` or ``name@alias``.

        >>> Registry().get("churn@staging").version       # doctest: +SKIP
        4
        """
        ref = parse_ref(str(ref))  # a Ref built by hand is validated too
        for _ in range(3):
            with self.engine.connect() as conn:
                held = dict(conn.execute(sa.select(aliases.c.alias, aliases.c.version)
                                         .where(aliases.c.name == ref.name)).all())
                numbers = conn.execute(sa.select(versions.c.version)
                                       .where(versions.c.name == ref.name)
                                       .order_by(versions.c.version)).scalars().all()
                if not numbers:
                    raise self._unknown_name(conn, ref.name)
                version = self._pick(ref, held, numbers)
                row = conn.execute(sa.select(versions).where(
                    versions.c.name == ref.name, versions.c.version == version)).first()
            if row is not None:
                return self._version(row, held)
            # deleted between the two reads: resolve again
        raise ModelNotFound(f"model '{ref}' changed while it was being looked up.",
                            fix="try again.")

    def _pick(self, ref: Ref, held: dict[str, int], numbers: list[int]) -> int:
        if ref.version is not None:
            if ref.version not in numbers:
                raise ModelNotFound(f"model '{ref.name}' has no version {ref.version}.",
                                    fix=f"versions: {_listing(numbers)}.")
            return ref.version
        if ref.alias is not None:
            if ref.alias not in held:
                shown = ", ".join(f"{a} -> {v}" for a, v in sorted(held.items())) or "none"
                raise ModelNotFound(
                    f"model '{ref.name}' has no alias '{ref.alias}'.",
                    fix=f"aliases: {shown}; set one with `bizforge models promote "
                        f"{ref.name}:VERSION --alias {ref.alias}`.")
            return held[ref.alias]
        return held.get(DEFAULT_ALIAS, numbers[-1])

    def _unknown_name(self, conn, name: str) -> ModelNotFound:
        names = conn.execute(sa.select(versions.c.name).distinct()
                             .order_by(versions.c.name)).scalars().all()
        fix = (f"published models: {_listing(names)}." if names else
               f"publish one with `bizforge train FILE --target COLUMN --name {name}`.")
        return ModelNotFound(f"no model named '{name}' in the registry at '{self.home}'.",
                             fix=fix)

    def _version(self, row, held: dict[str, int]) -> ModelVersion:
        path = (self.root / row.path).resolve()
        broken = None
        if self.root.resolve() not in path.parents:
            broken = "its recorded folder is outside the registry"
        elif not path.is_dir():
            broken = f"its folder '{path}' is missing"
        card = dict(row.card or {})
        return ModelVersion(
            name=row.name, version=row.version, path=path, created=row.created,
            aliases=sorted(a for a, v in held.items() if v == row.version),
            task=row.task, metrics=dict(card.get("metrics") or {}), card=card,
            broken=broken, digest=row.manifest_sha256)

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of ``name``, oldest first (ModelNotFound when none)."""
        check_name(name)
        with self.engine.connect() as conn:
            held = dict(conn.execute(sa.select(aliases.c.alias, aliases.c.version)
                                     .where(aliases.c.name == name)).all())
            rows = conn.execute(sa.select(versions).where(versions.c.name == name)
                                .order_by(versions.c.version)).all()
            if not rows:
                raise self._unknown_name(conn, name)
        return [self._version(r, held) for r in rows]

    def list(self) -> list[dict[str, Any]]:
        """One row per name: latest and default version, aliases, task, metric, broken ones."""
        cols = [versions.c.name, versions.c.version, versions.c.created, versions.c.task,
                versions.c.metric, versions.c.score, versions.c.path]
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*cols).order_by(versions.c.name,
                                                          versions.c.version)).all()
            held = conn.execute(sa.select(aliases.c.name, aliases.c.alias,
                                          aliases.c.version)).all()
        by_name: dict[str, list] = {}
        for row in rows:
            by_name.setdefault(row.name, []).append(row)
        out = []
        for name, group in by_name.items():
            named = {a.alias: a.version for a in held if a.name == name}
            default = named.get(DEFAULT_ALIAS, group[-1].version)
            shown = next((r for r in group if r.version == default), group[-1])
            out.append({
                "name": name, "latest": group[-1].version, "default": default,
                "versions": len(group), "aliases": dict(sorted(named.items())),
                "task": shown.task, "metric": shown.metric, "score": shown.score,
                "created": group[-1].created,
                "broken": [r.version for r in group if not (self.root / r.path).is_dir()],
            })
        return out

    def card(self, ref: str | Ref) -> dict[str, Any]:
        """The model card of a version, with its name, version, aliases and publish time."""
        mv = self.get(ref)
        return {"name": mv.name, "version": mv.version, "published": mv.created,
                "aliases": mv.aliases, "broken": mv.broken, **mv.card}

    # -- loading -----------------------------------------------------------------
    def _check_placed(self, mv: ModelVersion) -> None:
        if mv.broken:
            raise IntegrityError(f"model {mv.ref} cannot be loaded: {mv.broken}.",
                                 fix=f"publish it again, or delete it with `bizforge models "
                                     f"delete {mv.ref} --force`.")
        manifest = mv.path / MANIFEST
        if not manifest.is_file() or sha256_file(manifest) != mv.digest:
            raise IntegrityError(f"the manifest of model {mv.ref} is missing or was replaced "
                                 "after publishing.",
                                 fix="do not edit files inside the registry; publish again.")

    def verify(self, ref: str | Ref | ModelVersion) -> ModelVersion:
        """Check every file of a version against its manifest; IntegrityError if not."""
        mv = ref if isinstance(ref, ModelVersion) else self.get(ref)
        self._check_placed(mv)
        verify_manifest(mv.path)
        return mv

    def load(self, ref: str | Ref | ModelVersion, loader: Callable[[Path], Any]) -> Any:
        """``loader(folder)`` of a version, after checking that its manifest is the one
        published. The registry holds artifacts, not models: the loader (usually
        :func:`bizforge.families.load_folder`, which checks every file's sha256 and asks
        the model's family to read it) comes from the layer that knows model families.

        >>> Registry().load("churn@production", load_folder).predict(frame)   # doctest: +SKIP
        """
        mv = ref if isinstance(ref, ModelVersion) else self.get(ref)
        self._check_placed(mv)
        return loader(mv.path)

    # -- aliases and deletion -------------------------------------------------------
    def promote(self, name: str, version: int, alias: str = DEFAULT_ALIAS) -> ModelVersion:
        """Point ``alias`` at ``name:version`` (verified first) and record the move."""
        check_alias(alias)
        mv = self.verify(Ref(check_name(name), int(version), None))
        with self.engine.begin() as conn:
            write_lock(conn)
            if _row(conn, name, mv.version) is None:
                raise ModelNotFound(f"model {mv.ref} was deleted meanwhile.",
                                    fix="promote another version.")
            current = conn.execute(sa.select(aliases.c.version).where(
                aliases.c.name == name, aliases.c.alias == alias)).scalar()
            if current != mv.version:
                _set_alias(conn, name, alias, mv.version, exists=current is not None)
                conn.execute(alias_history.insert().values(
                    name=name, alias=alias, version=mv.version, previous=current, at=now()))
        return self.get(Ref(name, mv.version, None))

    def rollback(self, name: str, alias: str = DEFAULT_ALIAS) -> ModelVersion:
        """Move ``alias`` back to the version it pointed at before its last promotion."""
        check_name(name)
        check_alias(alias)
        with self.engine.begin() as conn:
            write_lock(conn)
            current = conn.execute(sa.select(aliases.c.version).where(
                aliases.c.name == name, aliases.c.alias == alias)).scalar()
            if current is None:
                self.get(Ref(name, None, None))  # unknown name -> ModelNotFound
                raise ModelNotFound(f"model '{name}' has no alias '{alias}' to roll back.",
                                    fix=f"promote a version first: `bizforge models promote "
                                        f"{name}:VERSION --alias {alias}`.")
            entries = conn.execute(sa.select(alias_history.c.id, alias_history.c.version)
                                   .where(alias_history.c.name == name,
                                          alias_history.c.alias == alias,
                                          alias_history.c.undone.is_(None))
                                   .order_by(alias_history.c.id.desc())).all()
            alive = set(conn.execute(sa.select(versions.c.version)
                                     .where(versions.c.name == name)).scalars())
            undo, target = pick_rollback(entries, current, alive)
            if target is None:
                raise UsageError(f"alias '{alias}' of model '{name}' has no earlier version "
                                 "to roll back to.",
                                 fix=f"promote the version you want: `bizforge models "
                                     f"promote {name}:VERSION --alias {alias}`.")
            if undo:
                conn.execute(alias_history.update().where(alias_history.c.id.in_(undo))
                             .values(undone=now()))
            _set_alias(conn, name, alias, target, exists=True)
        return self.get(Ref(name, target, None))

    def delete(self, name: str, version: int, *, force: bool = False) -> None:
        """Remove a version. One that holds an alias is refused unless ``force``
        (which also removes those aliases; they do not move to another version)."""
        check_name(name)
        version = int(version)
        with self.engine.begin() as conn:
            write_lock(conn)
            row = _row(conn, name, version)
            if row is None:
                self.get(Ref(name, version, None))  # raises ModelNotFound with the listing
                raise ModelNotFound(f"model '{name}' has no version {version}.")
            held = conn.execute(sa.select(aliases.c.alias).where(
                aliases.c.name == name, aliases.c.version == version)).scalars().all()
            if held and not force:
                raise UsageError(
                    f"model {name}:{version} holds the alias(es) {', '.join(sorted(held))}.",
                    fix=f"promote another version to it, or `bizforge models rollback {name}`, "
                        "first; or pass --force to delete it and drop the alias.")
            conn.execute(aliases.delete().where(aliases.c.name == name,
                                                aliases.c.version == version))
            conn.execute(alias_history.update().where(
                alias_history.c.name == name, alias_history.c.version == version,
                alias_history.c.undone.is_(None)).values(undone=now()))
            conn.execute(versions.delete().where(versions.c.id == row.id))
        # After the commit: a crash here leaves an orphan folder that the next open removes.
        path = (self.root / row.path).resolve()
        if self.root.resolve() in path.parents:  # never act on a path edited into the database
            trash(path, self.root)


# -- helpers -------------------------------------------------------------------------
def pick_rollback(entries, current: int, alive: set[int]) -> tuple[list[int], int | None]:
    """Walk an alias's promotions (newest first) back past ``current`` and deleted versions.

    Returns the history ids to mark undone and the version to go back to (None: nothing).
    """
    undo = []
    for entry_id, version in entries:
        if version == current or version not in alive:
            undo.append(entry_id)
            continue
        return undo, version
    return [], None


def _row(conn, name: str, version: int):
    return conn.execute(sa.select(versions.c.id, versions.c.path).where(
        versions.c.name == name, versions.c.version == version)).first()


def _set_alias(conn, name: str, alias: str, version: int, *, exists: bool) -> None:
    values = {"version": version, "updated": now()}
    if exists:
        conn.execute(aliases.update().where(aliases.c.name == name, aliases.c.alias == alias)
                     .values(**values))
    else:
        conn.execute(aliases.insert().values(name=name, alias=alias, **values))


def _listing(items, limit: int = 20) -> str:
    items = [str(i) for i in items]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def publish(source: Any, name: str) -> ModelVersion:
    """Publish to the default registry (home folder / BIZFORGE_DATABASE_URL).

    >>> publish(run, "churn").ref      # doctest: +SKIP
    'churn:1'
    """
    return Registry().publish(source, name)

