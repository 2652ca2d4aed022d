"""Where a sweep's studies live: Optuna's RDB storage in the run store's own database.

``SweepStorage(url)`` opens the run store at ``url`` first (rnncore.store: it creates or checks its
schema, and a database that already holds other tables is one it refuses, so the run store must be
laid down before Optuna adds its tables), then Optuna's ``RDBStorage`` on the same URL (SQLAlchemy 2:
``sqlite:///...`` or ``postgresql+psycopg://...``). Every way that fails is a SweepError that says
what to check, never a traceback of SQLAlchemy's.

``claim(study)`` is the one lock under which a worker counts a study's trials and asks for a new one,
so that several workers (processes, even servers) never start more trials than the study's budget: a
PostgreSQL advisory lock, or for SQLite (one machine by nature) a file lock beside the database
(filelock: the OS lets go of it however the process ends, on POSIX and on Windows).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections.abc import Iterator
from pathlib import Path

from rnncore.errors import StoreError, SweepError

STUDY_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
LOCK_NAMESPACE = "rnnlab-sweep:"
OWNER = "owner"  # the study user attribute naming whose study it is (Sweep.create's owner)


def check_study_name(name: str) -> str:
    if not isinstance(name, str) or not STUDY_NAME.fullmatch(name):
        shown = repr(name if not isinstance(name, str) or len(name) <= 60 else name[:60] + "…")
        raise SweepError.keyed("bad_study_name", study=shown, most=100)
    return name


def _lock_key(study: str) -> int:
    """A signed 64-bit advisory lock key for ``study`` (stable across processes and servers)."""
    digest = hashlib.sha256((LOCK_NAMESPACE + study).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SweepStorage:
    """The run store's database, with Optuna's studies in it. ``store``: the RunStore opened on it."""

    def __init__(self, url: str | None = None, settings=None):
        import optuna
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import SQLAlchemyError

        from rnncore.store import load_store_settings, open_store

        self.settings = settings or load_store_settings()
        self.url = url or self.settings.store_url
        try:
            self.store = open_store(self.url, self.settings)
        except StoreError as exc:
            raise _said(exc, self.url) from None
        self.where, self.sqlite = self.store.where, self.store.sqlite
        if self.sqlite:
            database = Path(make_url(self.url).database).expanduser().resolve()
            self._lock_file = database.with_name(database.name + ".sweep-lock")
            engine = {"connect_args": {"timeout": self.settings.busy_seconds}}
        else:
            self._lock_file = None
            engine = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}
        self._threads = threading.Lock()  # one claim at a time in this process
        try:
            self.optuna = optuna.storages.RDBStorage(self.url, engine_kwargs=engine)
        except (SQLAlchemyError, OSError, RuntimeError, optuna.exceptions.StorageInternalError) as exc:
            self.store.close()
            raise SweepError.keyed("storage_failed", where=self.where, detail=_first_line(exc)) from None

    def close(self) -> None:
        self.store.close()
        with contextlib.suppress(Exception):
            self.optuna.engine.dispose()

    def studies(self, owner: str | None = None) -> list[str]:
        """The names of the studies in this storage (``owner``: only those a sweep of that owner made)."""
        import optuna

        with self.guard():
            if owner is None:
                return sorted(optuna.get_all_study_names(self.optuna))
            return sorted(s.study_name for s in self.optuna.get_all_studies() if s.user_attrs.get(OWNER) == owner)

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Optuna's and SQLAlchemy's storage errors as SweepError."""
        import optuna
        from sqlalchemy.exc import SQLAlchemyError

        try:
            yield
        except StoreError as exc:
            raise _said(exc, self.url) from None
        except (SQLAlchemyError, optuna.exceptions.StorageInternalError) as exc:
            raise SweepError.keyed("storage_failed", where=self.where, detail=_first_line(exc)) from None

    @contextlib.contextmanager
    def claim(self, study: str) -> Iterator[None]:
        """Hold the study's lock: no other worker counts or adds its trials meanwhile."""
        with self._threads, self.guard():
            if self._lock_file is not None:
                from filelock import FileLock

                with FileLock(self._lock_file):
                    yield
                return
            from sqlalchemy import text

            with self.store.reading() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _lock_key(study)})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _lock_key(study)})
                    conn.commit()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return ((str(orig).strip().splitlines() or [""])[0] or type(orig).__name__)[:200]


def _said(exc: StoreError, url: str) -> SweepError:
    """The run store's refusal, said of the sweep's storage."""
    details = exc.details
    if exc.key == "bad_url":
        return SweepError.keyed("bad_url", url=details.get("url", repr(url)), detail=details.get("detail", ""))
    if exc.key in ("unreachable", "locked"):
        return SweepError.keyed("unreachable", where=details.get("where", url), detail=details.get("detail", exc.key))
    return SweepError.keyed("storage", where=details.get("where", url), problem=exc)
