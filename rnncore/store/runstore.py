"""The run store: every run of a workspace, kept in a database (SQLite by default, PostgreSQL by URL).

A workspace is a set of runs reached by an unguessable key (``create_workspace``); the store keeps the
SHA-256 of the key, never the key. A run is written as it trains: a row when it starts
(``new_runs``), one row per epoch as each ends (``append_epochs``), the latest weights every few
seconds (``save_checkpoint``), a heartbeat (``beat``), and at the end its metrics, kept weights and the
probe window's trace (``finish_run``). A run whose heartbeat stopped while it was training reads as
"interrupted", with the epochs and weights it had.

Every method is one transaction: it does all it says or, raising StoreError, nothing. Database
errors never escape as SQLAlchemy's: they become a StoreError that says what is wrong (down,
locked, corrupt, full, a newer schema) and what to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, delete, event, func, insert, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from rnncore.errors import StoreError
from rnncore.home import store_file
from rnncore.store import schema
from rnncore.store.schema import data_files, epochs, models, runs, workspaces
from rnncore.training.limits import ServerLimits, load_limits, read_section
from rnncore.training.lineage import NOT_KNOWN, Lineage
from rnncore.training.progress import Status

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,64}")
KEY_BYTES = 24  # 192 bits from secrets: a key printed as 32 URL-safe characters
STALE_BEATS = 3  # a running run that missed this many heartbeats is interrupted
MB = 1_000_000
SCHEMA_LOCK = 0x726E6E6C6162  # PostgreSQL advisory lock taken while the schema is created or upgraded ("rnnlab")


@dataclass(frozen=True)
class StoreSettings:
    """Where runs are kept and how much a workspace may hold (rnnlab.toml ``[store]``, RNNLAB_STORE_*)."""

    # "": SQLite in the data folder (rnncore.home.store_file); or sqlite:///PATH, postgresql+psycopg://...
    url: str = field(default="", metadata={"variable": "RNNLAB_STORE"})
    max_runs: int = 2000  # runs per workspace; starting one more is refused
    max_megabytes: float = 500.0  # models, traces and uploaded files per workspace
    keep_models: int = 200  # runs per workspace that keep their model; the oldest models go first
    heartbeat_seconds: float = 5.0  # how often a training run says it is alive, and keeps its latest weights
    checkpoint_epochs: int = 10  # a training run also keeps its latest weights at least every this many epochs
    busy_seconds: float = 30.0  # SQLite: how long a change waits for another program's lock before "locked"

    @property
    def store_url(self) -> str:
        return self.url or f"sqlite:///{store_file()}"


def load_store_settings(path: Path | None = None, environ: dict | None = None) -> StoreSettings:
    """[store] of rnnlab.toml, then RNNLAB_STORE (the URL) and RNNLAB_STORE_<NAME> overrides; a missing value
    keeps its default, one that cannot be used is a SettingsError (rnncore.training.limits.read_section)."""
    return read_section(StoreSettings, "store", "RNNLAB_STORE_", path, environ)


def load_settings(path: Path | None = None, environ: dict | None = None) -> tuple[ServerLimits, StoreSettings]:
    """Every section of rnnlab.toml (SECTIONS), with the RNNLAB_* overrides: what the app and the command line
    read before they start anything; SettingsError for the first thing in them that cannot be used."""
    return load_limits(path, environ), load_store_settings(path, environ)


def key_id(key: str) -> str:
    """The workspace's id in the database: the SHA-256 of its key (StoreError for a malformed key)."""
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        shown = repr(key if not isinstance(key, str) or len(key) <= 70 else key[:70] + "…")
        raise StoreError.keyed("bad_workspace_key", workspace=shown)
    return hashlib.sha256(key.encode()).hexdigest()


def json_text(value) -> str:
    """JSON text of ``value``; NaN and the infinities become null (a metric that cannot be computed)."""
    return json.dumps(_plain(value), allow_nan=False)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy and torch scalars
        value = value.item()
    if isinstance(value, float):
        return finite(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def finite(value):
    """A float for a database column: None for NaN and the infinities (SQLite would store NaN as NULL)."""
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass
class RunSummary:
    """One run as a list shows it (no curve, no weights)."""

    number: int
    status: str  # running, finished, stopped, diverged, failed, imported, or interrupted (read so)
    reason: str
    message: str
    details: dict
    config: dict  # ExperimentConfig.to_json() as a dict
    data: dict
    cell: str
    epochs: int
    best_val: float | None
    parameters: int
    kept_epoch: int | None
    has_model: bool
    owner: str
    created: float
    updated: float
    lineage: Lineage = NOT_KNOWN  # where its weights come from (rnncore.training.lineage)

    @property
    def task(self) -> str:
        """What the run learnt (DataConfig.task): forecast, charlm or classify."""
        return self.config.get("data", {}).get("task", "forecast")

    def as_json(self) -> dict:
        """The object ``runs list --json`` prints."""
        return {"id": self.number, "task": self.task, "status": self.status, "epochs": self.epochs, "cell": self.cell,
                "best_val_loss": self.best_val, "parameters": self.parameters, "kept_epoch": self.kept_epoch,
                "has_model": self.has_model, "reason": self.reason, "message": self.message,
                "data": self.data, "created": self.created, "updated": self.updated, "config": self.config}


@dataclass
class StoredRun(RunSummary):
    """One run in full: its curve and results (weights and traces are read apart: ``weights``, ``traces``)."""

    history: list = field(default_factory=list)  # EpochRecord
    results: dict = field(default_factory=dict)  # metrics, baselines, baseline_notes, y_unit, partial_epoch


@dataclass(frozen=True)
class Usage:
    runs: int
    models: int
    bytes: int


class RunStore:
    """Runs by workspace in one database. Thread-safe: each method takes its own connection."""

    def __init__(self, url: str | None = None, settings: StoreSettings | None = None):
        """Open (and create or upgrade) the store at ``url`` (default: the settings' URL). StoreError
        when it cannot be reached, read or used; nothing in it is changed then."""
        self.settings = settings or load_store_settings()
        url = url or self.settings.store_url
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError.keyed("bad_url", url=repr(url), detail=str(exc).split(";")[0]) from None
        self.where = parsed.render_as_string(hide_password=True)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise StoreError.keyed("bad_url", url=self.where, detail="only SQLite and PostgreSQL are supported")
        if self.sqlite and ((parsed.database or ":memory:") == ":memory:" or parsed.query.get("mode") == "memory"):
            # each connection would have a database of its own, and every run would go with the process
            raise StoreError.keyed("bad_url", url=self.where, detail="an in-memory database keeps no runs")
        try:
            self._engine, self._writer = self._engines(parsed)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            raise StoreError.keyed("bad_url", url=self.where, detail=str(exc).split("\n")[0]) from None
        try:
            with self._guard(), self._writer.begin() as conn:
                if not self.sqlite:  # servers starting at once: one creates or upgrades, the others wait
                    conn.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": SCHEMA_LOCK})
                found = schema.version_of(conn)
                if found > schema.VERSION:
                    raise StoreError.keyed("newer_schema", where=self.where, found=found, known=schema.VERSION)
                others = sorted(inspect(conn).get_table_names()) if found == 0 else []
                if others:  # another program's database: RNN Lab's tables are not put among its own
                    raise StoreError.keyed("corrupt", where=self.where, detail="it holds other tables ("
                                           + ", ".join(others[:5]) + (", …" if len(others) > 5 else "") + ")")
                schema.upgrade(conn)
            if self.sqlite:
                with self._guard():
                    self._use_wal()
        except BaseException:
            self.close()  # no pooled connection is left holding the file or the server
            raise

    def _engines(self, parsed):
        """(reader, writer). SQLite: WAL, a busy timeout, and writes that take the lock when they begin
        (BEGIN IMMEDIATE), so that writers wait for one another instead of failing."""
        if not self.sqlite:
            engine = create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5})
            return engine, engine
        database = parsed.database or ""
        if database and database != ":memory:":
            folder = Path(database).expanduser().resolve().parent
            if not folder.is_dir():
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError.keyed("unreachable", where=self.where, detail=exc.strerror or str(exc)) from None

        busy = self.settings.busy_seconds

        def engine(immediate: bool):
            made = create_engine(parsed, connect_args={"timeout": busy})

            @event.listens_for(made, "connect")
            def _connect(dbapi, _record):
                dbapi.isolation_level = None  # SQLAlchemy's begin event below says BEGIN
                dbapi.execute(f"PRAGMA busy_timeout = {int(busy * 1000)}")
                dbapi.execute("PRAGMA synchronous = NORMAL")  # (WAL: _use_wal, once the file is known to be ours)

            @event.listens_for(made, "begin")
            def _begin(conn):
                conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

            return made

        return engine(False), engine(True)

    def _use_wal(self) -> None:
        """Put the SQLite file in WAL mode (kept in the file), so readers never wait for the writer. Only
        after the schema check: a file that is refused is left exactly as it was."""
        raw = self._writer.raw_connection()
        deadline = time.monotonic() + self.settings.busy_seconds
        try:
            dbapi = raw.driver_connection
            while True:  # the switch needs the file to itself and does not wait for it: servers opening a new
                try:  # store at once got "locked" (the concurrency test, under load)
                    if dbapi.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                        dbapi.execute("PRAGMA journal_mode = WAL")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        finally:
            raw.close()

    def close(self) -> None:
        self._engine.dispose()
        self._writer.dispose()

    # errors ------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Database errors as StoreError (the transaction was rolled back: nothing changed)."""
        try:
            yield
        except StoreError:
            raise
        except DBAPIError as exc:
            raise self._said(exc) from None
        except sqlite3.Error as exc:  # from the driver's own connection (_use_wal)
            raise self._said(exc) from None
        except SQLAlchemyError as exc:
            raise StoreError.keyed("failed", where=self.where, detail=type(exc).__name__) from None
        except OSError as exc:
            raise StoreError.keyed("unreachable", where=self.where, detail=exc.strerror or str(exc)) from None

    def _said(self, exc: DBAPIError | sqlite3.Error) -> StoreError:
        orig = exc.orig if isinstance(exc, DBAPIError) else exc
        detail = (str(orig).strip().splitlines() or [""])[0] if orig is not None else ""
        detail = detail or type(orig or exc).__name__
        lowered = detail.lower()
        if "locked" in lowered or "busy" in lowered:
            key = "locked"
        elif "full" in lowered or "no space" in lowered:
            key = "full"
        elif "not a database" in lowered or "malformed" in lowered or "encrypted" in lowered:
            key = "corrupt"
        elif getattr(exc, "connection_invalidated", False) or "connect" in lowered or "unable to open" in lowered \
                or "readonly" in lowered or "read-only" in lowered:
            key = "unreachable"
        else:
            key = "failed"
        return StoreError.keyed(key, where=self.where, detail=detail[:200])

    @contextlib.contextmanager
    def _write(self):
        with self._guard(), self._writer.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def _read(self):
        with self._guard(), self._engine.connect() as conn:
            yield conn

    def transaction(self):
        """A write transaction on the store's database, for the modules that keep their own tables in it
        (rnncore.classroom): all or nothing, database errors as StoreError."""
        return self._write()

    def reading(self):
        """A connection for reading (errors as StoreError)."""
        return self._read()

    def workspace_id(self, conn, key: str, lock: bool = False) -> str:
        """The id under which ``key``'s workspace is stored (StoreError when there is none)."""
        return self._workspace(conn, key, lock)

    # workspaces --------------------------------------------------------------------------------
    def create_workspace(self) -> str:
        """A new workspace; its key (keep it: the store cannot give it back)."""
        key = "-"
        while key.startswith("-"):  # a command line would read "--workspace -x..." as a flag
            key = secrets.token_urlsafe(KEY_BYTES)
        with self._write() as conn:
            conn.execute(insert(workspaces).values(id=key_id(key), created=time.time(), runs_made=0))
        return key

    def has_workspace(self, key: str) -> bool:
        """Whether ``key`` opens a workspace here (StoreError for a malformed key)."""
        wid = key_id(key)
        with self._read() as conn:
            return conn.execute(select(workspaces.c.id).where(workspaces.c.id == wid)).first() is not None

    def _workspace(self, conn, key: str, lock: bool = False) -> str:
        """The workspace's id (StoreError when there is none). ``lock``: hold its row until the transaction
        ends, so that changes checked against the whole workspace (numbering, quotas) go one at a time
        (PostgreSQL; SQLite's writers already do, BEGIN IMMEDIATE)."""
        wid = key_id(key)
        query = select(workspaces.c.id).where(workspaces.c.id == wid)
        if conn.execute(query.with_for_update() if lock else query).first() is None:
            raise StoreError.keyed("no_workspace", workspace=f"{key[:6]}…")
        return wid

    def delete_workspace(self, key: str) -> None:
        """The workspace and everything in it."""
        with self._write() as conn:
            wid = self._workspace(conn, key)
            ids = select(runs.c.id).where(runs.c.workspace == wid)
            conn.execute(delete(epochs).where(epochs.c.run.in_(ids)))
            conn.execute(delete(models).where(models.c.run.in_(ids)))
            conn.execute(delete(runs).where(runs.c.workspace == wid))
            conn.execute(delete(data_files).where(data_files.c.workspace == wid))
            conn.execute(delete(workspaces).where(workspaces.c.id == wid))

    def usage(self, key: str) -> Usage:
        with self._read() as conn:
            wid = self._workspace(conn, key)
            return self._usage(conn, wid)

    def _usage(self, conn, wid: str) -> Usage:
        count = conn.execute(select(func.count()).where(runs.c.workspace == wid)).scalar_one()
        kept, model_bytes = conn.execute(
            select(func.count(), func.coalesce(func.sum(models.c.bytes), 0))
            .select_from(models.join(runs, models.c.run == runs.c.id)).where(runs.c.workspace == wid)).one()
        data_bytes = conn.execute(select(func.coalesce(func.sum(data_files.c.bytes), 0))
                                  .where(data_files.c.workspace == wid)).scalar_one()
        return Usage(runs=count, models=kept, bytes=int(model_bytes) + int(data_bytes))

    # runs --------------------------------------------------------------------------------------
    def new_runs(self, key: str, started: Sequence[tuple], owner: str = "") -> list[int]:
        """Rows for runs that start now: ``started`` holds (ExperimentConfig, data identity, parameters, Lineage)
        each (without a Lineage: NOT_KNOWN, a run no class takes); their numbers in the workspace, in order. All
        or none (StoreError quota_runs)."""
        now = time.time()
        return self._numbering(lambda conn: self._number_runs(conn, key, started, owner, now))

    def add_run(self, key: str, started: tuple, *, owner: str = "", **ended) -> tuple[int, list[int]]:
        """A run that ended without the store (kept in memory while it was down), written whole in one
        transaction: its row numbered in the workspace (``started`` as ``new_runs`` takes one) and what
        ``finish_run`` writes (``ended``, its arguments). (its number, the runs whose model the quota removed)."""
        now = time.time()

        def write(conn):
            (number,) = self._number_runs(conn, key, [started], owner, now)
            return number, self._finish(conn, key, number, now, **ended)

        return self._numbering(write)

    def _numbering(self, write):
        """``write(conn)`` in a write transaction that numbers runs: tried again where a server beside this
        one took the same number first (numbering holds the workspace's row; a clash would try again)."""
        with self._guard():
            for attempt in range(10):
                try:
                    with self._writer.begin() as conn:
                        return write(conn)
                except IntegrityError:
                    if attempt == 9:
                        raise
                    time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    def _number_runs(self, conn, key: str, started: Sequence[tuple], owner: str, now: float) -> list[int]:
        wid = self._workspace(conn, key, lock=True)
        if not started:
            return []  # (an insert of no rows would insert one row of NULLs)
        count = conn.execute(select(func.count()).where(runs.c.workspace == wid)).scalar_one()
        if count + len(started) > self.settings.max_runs:
            raise StoreError.keyed("quota_runs", count=count, limit=self.settings.max_runs)
        made = conn.execute(select(workspaces.c.runs_made).where(workspaces.c.id == wid)).scalar_one()
        highest = conn.execute(select(func.coalesce(func.max(runs.c.number), 0))
                               .where(runs.c.workspace == wid)).scalar_one()  # (a server of schema 2 beside us)
        last = max(made, highest)
        numbers = list(range(last + 1, last + 1 + len(started)))  # never a deleted run's number
        conn.execute(update(workspaces).where(workspaces.c.id == wid).values(runs_made=numbers[-1]))
        conn.execute(insert(runs), [
            {"workspace": wid, "number": number, "created": now, "updated": now, "heartbeat": now,
             "owner": owner[:64], "status": "running", "reason": "starting", "message": "starting",
             "details": "{}", "config": cfg.to_json(), "data": json_text(data), "cell": cfg.model.cell,
             "epochs": 0, "best_val": None, "parameters": int(parameters), "kept_epoch": None, "results": "{}",
             "lineage": (lineage[0] if lineage else NOT_KNOWN).to_json()}
            for number, (cfg, data, parameters, *lineage) in zip(numbers, started, strict=True)])
        return numbers

    def _run_id(self, conn, key: str, number: int) -> int:
        """The run's row id: one query while training writes each epoch (a run's workspace exists while it
        does); StoreError no_workspace or no_run."""
        found = conn.execute(select(runs.c.id).where(runs.c.workspace == key_id(key), runs.c.number == number)).first()
        if found is None:
            self._workspace(conn, key)  # says no_workspace where that is why
            raise StoreError.keyed("no_run", run=number)
        return found[0]

    def append_epochs(self, key: str, number: int, records: Sequence) -> None:
        """Epochs that have ended (EpochRecord), appended to the run's history; an epoch already stored
        is replaced."""
        if not records:
            return
        now = time.time()
        with self._write() as conn:
            rid = self._run_id(conn, key, number)
            done = [r.epoch for r in records]
            conn.execute(delete(epochs).where(epochs.c.run == rid, epochs.c.epoch.in_(done)))
            conn.execute(insert(epochs), [_epoch_row(rid, r) for r in records])
            self._count_epochs(conn, rid, now)

    def _count_epochs(self, conn, rid: int, now: float) -> None:
        count = select(func.count()).where(epochs.c.run == rid).scalar_subquery()
        best = select(func.min(epochs.c.val_loss)).where(epochs.c.run == rid).scalar_subquery()
        conn.execute(update(runs).where(runs.c.id == rid).values(epochs=count, best_val=best, updated=now,
                                                                 heartbeat=now))

    def beat(self, key: str, numbers: Sequence[int]) -> None:
        """The runs ``numbers`` are still training."""
        with self._write() as conn:
            wid = self._workspace(conn, key)
            conn.execute(update(runs).where(runs.c.workspace == wid, runs.c.number.in_(list(numbers)),
                                            runs.c.status == Status.RUNNING).values(heartbeat=time.time()))

    def save_checkpoint(self, key: str, number: int, epoch: int, weights: bytes) -> None:
        """The weights of ``epoch`` (safetensors bytes) of a run still training: what an interrupted run
        continues from. Ignored once the run has ended (a checkpoint late from a writer thread never
        replaces the weights the run kept)."""
        with self._write() as conn:
            rid = self._run_id(conn, key, number)
            if conn.execute(select(runs.c.status).where(runs.c.id == rid)).scalar_one() != Status.RUNNING:
                return
            conn.execute(delete(models).where(models.c.run == rid))
            conn.execute(insert(models).values(run=rid, epoch=epoch, final=0, weights=weights, traces=None,
                                               bytes=len(weights), saved=time.time()))
            conn.execute(update(runs).where(runs.c.id == rid).values(heartbeat=time.time()))

    def finish_run(self, key: str, number: int, *, status: str, reason: str, message: str, details: dict,
                   history: Sequence, kept_epoch: int | None, results: dict, parameters: int | None = None,
                   weights: bytes | None = None, traces: bytes | None = None) -> list[int]:
        """The run has ended: its status, whole history, results, and kept weights. Models beyond the
        workspace's quota go, the oldest first; the numbers of the runs whose model went."""
        now = time.time()
        with self._write() as conn:
            return self._finish(conn, key, number, now, status=status, reason=reason, message=message,
                                details=details, history=history, kept_epoch=kept_epoch, results=results,
                                parameters=parameters, weights=weights, traces=traces)

    def _finish(self, conn, key: str, number: int, now: float, *, status: str, reason: str, message: str,
                details: dict, history: Sequence, kept_epoch: int | None, results: dict, parameters: int | None = None,
                weights: bytes | None = None, traces: bytes | None = None) -> list[int]:
        wid = self._workspace(conn, key, lock=True)  # the quota below counts the whole workspace
        rid = self._run_id(conn, key, number)
        conn.execute(delete(epochs).where(epochs.c.run == rid))
        if history:
            conn.execute(insert(epochs), [_epoch_row(rid, r) for r in history])
        values = {"status": str(status), "reason": reason, "message": message, "details": json_text(details),
                  "kept_epoch": kept_epoch, "results": json_text(results)}
        if parameters is not None:
            values["parameters"] = int(parameters)
        conn.execute(update(runs).where(runs.c.id == rid).values(**values))
        self._count_epochs(conn, rid, now)
        if weights is not None:
            conn.execute(delete(models).where(models.c.run == rid))
            size = len(weights) + len(traces or b"")
            conn.execute(insert(models).values(run=rid, epoch=kept_epoch, final=1, weights=weights,
                                               traces=traces, bytes=size, saved=now))
        return self._bound(conn, wid, keep=rid)

    def _bound(self, conn, wid: str, keep: int) -> list[int]:
        """Remove the oldest models while the workspace holds more than it may (never ``keep``'s)."""
        kept = conn.execute(select(models.c.run, models.c.bytes, runs.c.number)
                            .select_from(models.join(runs, models.c.run == runs.c.id))
                            .where(runs.c.workspace == wid).order_by(runs.c.number)).all()
        total = self._usage(conn, wid).bytes
        limit, most = self.settings.max_megabytes * MB, self.settings.keep_models
        gone = []
        for rid, size, number in kept:
            if len(kept) - len(gone) <= most and total <= limit:
                break
            if rid == keep:
                continue
            conn.execute(delete(models).where(models.c.run == rid))
            gone.append(number)
            total -= size
        return gone

    def delete_run(self, key: str, number: int) -> None:
        """The run, its epochs and its model. StoreError run_training while it trains (it beats): the tab or
        command training it would go on into nothing; stop it first."""
        with self._write() as conn:
            rid = self._run_id(conn, key, number)
            row = conn.execute(select(runs.c.status, runs.c.heartbeat).where(runs.c.id == rid)).one()
            if self._training(row, time.time()):
                raise StoreError.keyed("run_training", run=number)
            conn.execute(delete(epochs).where(epochs.c.run == rid))
            conn.execute(delete(models).where(models.c.run == rid))
            conn.execute(delete(runs).where(runs.c.id == rid))

    # reading -----------------------------------------------------------------------------------
    def stale_after(self) -> float:
        return STALE_BEATS * self.settings.heartbeat_seconds

    def _training(self, row, now: float) -> bool:
        """Whether the run of ``row`` (its status and heartbeat) trains now: running, and its beats go on."""
        return row.status == Status.RUNNING and now - row.heartbeat <= self.stale_after()

    def activity(self, conn, workspaces: set[str]) -> tuple[dict[str, int], set[str]]:
        """For the workspaces of ids ``workspaces`` (in ``conn``, a transaction of the caller's): how many runs
        each holds, and those of them that train a run now."""
        rows = conn.execute(select(runs.c.workspace, runs.c.status, runs.c.heartbeat)
                            .where(runs.c.workspace.in_(workspaces))).all()
        now = time.time()
        return dict(Counter(row.workspace for row in rows)), {row.workspace for row in rows if self._training(row, now)}

    def list_runs(self, key: str, since: float | None = None) -> list[RunSummary]:
        """The workspace's runs, oldest first (only those changed after ``since`` when given)."""
        with self._read() as conn:
            wid = self._workspace(conn, key)
            query = (select(runs, models.c.run.label("model"), models.c.epoch.label("model_epoch"))
                     .select_from(runs.outerjoin(models, models.c.run == runs.c.id))
                     .where(runs.c.workspace == wid).order_by(runs.c.number))
            if since is not None:
                query = query.where(runs.c.updated > since)
            rows = conn.execute(query).all()
        now = time.time()
        return [self._summary(row, now) for row in rows]

    def _summary(self, row, now: float, kind=RunSummary, **more):
        status, reason, message, details = row.status, row.reason, row.message, json.loads(row.details)
        if status == Status.RUNNING and not self._training(row, now):
            status = Status.INTERRUPTED
            from rnncore.messages import RUN_MESSAGES

            details = {"epochs": row.epochs, "kept": row.model_epoch}
            reason = "interrupted" if row.model is not None else "interrupted_early"
            message = RUN_MESSAGES[reason].format(**details)
        return kind(number=row.number, status=status, reason=reason, message=message, details=details,
                    config=json.loads(row.config), data=json.loads(row.data), cell=row.cell, epochs=row.epochs,
                    best_val=row.best_val, parameters=row.parameters, kept_epoch=row.kept_epoch,
                    has_model=row.model is not None, owner=row.owner, created=row.created, updated=row.updated,
                    lineage=Lineage.from_json(row.lineage), **more)

    def get_run(self, key: str, number: int) -> StoredRun:
        """One run with its history and results (StoreError no_run)."""
        with self._read() as conn:
            return self._stored_run(conn, self._run_id(conn, key, number))

    def _stored_run(self, conn, rid: int) -> StoredRun:
        from rnncore.training.progress import EpochRecord

        row = conn.execute(select(runs, models.c.run.label("model"), models.c.epoch.label("model_epoch"))
                           .select_from(runs.outerjoin(models, models.c.run == runs.c.id))
                           .where(runs.c.id == rid)).one()
        rows = conn.execute(select(epochs).where(epochs.c.run == rid).order_by(epochs.c.epoch)).all()
        history = [EpochRecord(epoch=r.epoch, train_loss=r.train_loss, val_loss=r.val_loss, seconds=r.seconds,
                               grad_norm=r.grad_norm, layer_grad_norms=json.loads(r.layer_grad_norms), lr=r.lr)
                   for r in rows]
        return self._summary(row, time.time(), StoredRun, history=history, results=json.loads(row.results))

    def weights(self, key: str, number: int) -> tuple[int | None, bytes] | None:
        """(epoch, safetensors bytes) of the run's model (kept, or the last checkpoint); None if none."""
        with self._read() as conn:
            return self._weights(conn, self._run_id(conn, key, number))

    @staticmethod
    def _weights(conn, rid: int) -> tuple[int | None, bytes] | None:
        row = conn.execute(select(models.c.epoch, models.c.weights).where(models.c.run == rid)).first()
        return None if row is None else (row.epoch, bytes(row.weights))

    def reopening(self, key: str, stored: StoredRun) -> tuple[bytes, bytes | None]:
        """(the run's weights, its data file's bytes or None for a sample or a generator): what scoring a stored run
        again needs. StoreError no_model or no_data when the workspace holds none."""
        from rnncore.config import source_kind

        weights = self.weights(key, stored.number)
        if weights is None:
            raise StoreError.keyed("no_model", run=stored.number)
        source = stored.config["data"]["source"]
        if source_kind(source) != "file":
            return weights[1], None
        found = stored.data.get("sha256") and self.get_data(key, stored.data["sha256"])
        if not found:
            raise StoreError.keyed("no_data", run=stored.number, source=source)
        return weights[1], found[1]

    def traces(self, key: str, number: int) -> bytes | None:
        with self._read() as conn:
            rid = self._run_id(conn, key, number)
            row = conn.execute(select(models.c.traces).where(models.c.run == rid)).first()
        return None if row is None or row.traces is None else bytes(row.traces)

    # uploaded data -----------------------------------------------------------------------------
    def put_data(self, key: str, name: str, content: bytes) -> str:
        """Keep an uploaded file in the workspace (once per content); its SHA-256. StoreError quota_bytes
        when it does not fit."""
        sha = hashlib.sha256(content).hexdigest()
        with self._write() as conn:
            wid = self._workspace(conn, key, lock=True)  # two tabs storing the same file: the second finds it
            there = select(data_files.c.sha256).where(data_files.c.workspace == wid, data_files.c.sha256 == sha)
            if conn.execute(there).first() is not None:
                return sha
            total = self._usage(conn, wid).bytes + len(content)
            if total > self.settings.max_megabytes * MB:
                raise StoreError.keyed("quota_bytes", size=f"{total / MB:.1f}",
                                       limit=f"{self.settings.max_megabytes:g}")
            conn.execute(insert(data_files).values(workspace=wid, sha256=sha, name=name[:255], content=content,
                                                   bytes=len(content), created=time.time()))
        return sha

    def find_data(self, key: str, name: str) -> tuple[str, bytes] | None:
        """(sha256, content) of the workspace's latest file named ``name``, or None."""
        with self._read() as conn:
            wid = self._workspace(conn, key)
            row = conn.execute(select(data_files.c.sha256, data_files.c.content)
                               .where(data_files.c.workspace == wid, data_files.c.name == name[:255])
                               .order_by(data_files.c.created.desc())).first()
        return None if row is None else (row.sha256, bytes(row.content))

    def get_data(self, key: str, sha256: str) -> tuple[str, bytes] | None:
        """(name, content) of a file kept in the workspace, or None."""
        with self._read() as conn:
            wid = self._workspace(conn, key)
            row = conn.execute(select(data_files.c.name, data_files.c.content)
                               .where(data_files.c.workspace == wid, data_files.c.sha256 == sha256)).first()
        return None if row is None else (row.name, bytes(row.content))


    # files kept under another owner than a workspace (a class's teacher hash), in the caller's transaction --------
    @staticmethod
    def owned_file(conn, owner: str, sha256: str) -> bytes | None:
        """The content of the file ``sha256`` kept under ``owner``, or None."""
        row = conn.execute(select(data_files.c.content).where(data_files.c.workspace == owner,
                                                              data_files.c.sha256 == sha256)).first()
        return None if row is None else bytes(row.content)

    @staticmethod
    def keep_owned_file(conn, owner: str, name: str, content: bytes) -> str:
        """Keep ``content`` under ``owner`` (once per content, outside every workspace's quota); its SHA-256."""
        sha = hashlib.sha256(content).hexdigest()
        there = select(data_files.c.sha256).where(data_files.c.workspace == owner, data_files.c.sha256 == sha)
        if conn.execute(there).first() is None:
            conn.execute(insert(data_files).values(workspace=owner, sha256=sha, name=name[:255], content=content,
                                                   bytes=len(content), created=time.time()))
        return sha

    @staticmethod
    def drop_owned_files(conn, owner: str) -> None:
        conn.execute(delete(data_files).where(data_files.c.workspace == owner))


def _epoch_row(rid: int, r) -> dict:
    return {"run": rid, "epoch": int(r.epoch), "train_loss": finite(r.train_loss) or 0.0,
            "val_loss": finite(r.val_loss), "seconds": float(r.seconds), "grad_norm": finite(r.grad_norm) or 0.0,
            "layer_grad_norms": json_text({k: finite(v) for k, v in r.layer_grad_norms.items()}), "lr": float(r.lr)}


def open_store(url: str | None = None, settings: StoreSettings | None = None) -> RunStore:
    """The run store at ``url`` (default: rnnlab.toml / RNNLAB_STORE, else SQLite in the data folder)."""
    return RunStore(url, settings)
