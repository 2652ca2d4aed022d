"""The run store's tables, and the steps that bring a database written by any earlier version up to now.

``TABLES`` is the current shape, used by every query. ``UPGRADES[n]`` takes a database from schema
version ``n`` to ``n + 1`` (the first one creates it); a fresh database runs them all, so a store made
today and one upgraded from version 1 end in the same shape (a test compares them). The version is
kept in ``schema_version``; a database whose version is above ``VERSION`` was written by a newer RNN
Lab and is refused, never read.

Floats that may be NaN or infinite are not stored as such (SQLite turns NaN into NULL); JSON columns
are text written with ``json.dumps(allow_nan=False)``.
"""

from __future__ import annotations

import json

from sqlalchemy import (
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    text,
)

KEY_HASH = 64  # a workspace is stored under the SHA-256 of its key (hex), never the key itself

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

workspaces = Table(
    "workspaces", metadata,
    Column("id", String(KEY_HASH), primary_key=True),  # sha256(key)
    Column("created", Float, nullable=False),  # time.time()
    Column("runs_made", Integer, nullable=False),  # version 3: the last number given, so none is given twice
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workspace", String(KEY_HASH), nullable=False, index=True),
    Column("number", Integer, nullable=False),  # the run's number in its workspace, as people see it
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),  # the last change of any kind
    Column("owner", String(64), nullable=False),  # who trains it (a browser tab, a command line)
    Column("status", String(16), nullable=False),  # running (while it trains) or how it ended
    Column("reason", String(40), nullable=False),  # a key of rnncore.messages.RUN_MESSAGES
    Column("message", Text, nullable=False),
    Column("details", Text, nullable=False),  # JSON
    Column("config", Text, nullable=False),  # ExperimentConfig.to_json()
    Column("data", Text, nullable=False),  # JSON: the data's identity (name, rows, sha256 of a file)
    Column("cell", String(20), nullable=False),
    Column("epochs", Integer, nullable=False),  # epochs done
    Column("best_val", Float),  # the lowest validation loss, None before the first epoch
    Column("parameters", Integer, nullable=False),
    Column("kept_epoch", Integer),  # whose weights the metrics and the model are
    Column("results", Text, nullable=False),  # JSON: metrics, baselines, baseline notes, y_unit, partial epoch
    Column("heartbeat", Float, nullable=False),  # version 2: a run training says it is alive every few seconds
    Column("lineage", Text, nullable=False),  # version 5: JSON, rnncore.training.lineage (where its weights come from)
    UniqueConstraint("workspace", "number"),
)

epochs = Table(
    "epochs", metadata,
    Column("run", Integer, primary_key=True),  # runs.id
    Column("epoch", Integer, primary_key=True),
    Column("train_loss", Float, nullable=False),
    Column("val_loss", Float),
    Column("seconds", Float, nullable=False),
    Column("grad_norm", Float, nullable=False),
    Column("layer_grad_norms", Text, nullable=False),  # JSON
    Column("lr", Float, nullable=False),
)

models = Table(
    "models", metadata,
    Column("run", Integer, primary_key=True),  # runs.id
    Column("epoch", Integer),  # whose weights these are (None: the initial weights)
    Column("final", Integer, nullable=False),  # 1: the run's kept weights; 0: a checkpoint while it trains
    Column("weights", LargeBinary, nullable=False),  # safetensors bytes
    Column("traces", LargeBinary),  # safetensors bytes: the probe window's gates and states
    Column("bytes", Integer, nullable=False),
    Column("saved", Float, nullable=False),
)

data_files = Table(
    "data_files", metadata,
    Column("workspace", String(KEY_HASH), primary_key=True),
    Column("sha256", String(64), primary_key=True),  # of the content: a file is stored once per workspace
    Column("name", String(255), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("created", Float, nullable=False),
)

# version 4: classrooms (rnncore.classroom) -------------------------------------------------------------
classes = Table(
    "classes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("room", String(6), nullable=False, unique=True),  # the code students type
    Column("teacher", String(KEY_HASH), nullable=False, unique=True),  # sha256 of the teacher's key
    Column("name", String(80), nullable=False),
    Column("created", Float, nullable=False),
    Column("challenge", Text, nullable=False),  # JSON: rnncore.classroom.Challenge
    Column("open", Integer, nullable=False),  # 1: takes submissions
    Column("pinned", Text, nullable=False),  # an experiment link the teacher pinned ("" : none)
    Column("pinned_at", Float, nullable=False),
)

members = Table(
    "members", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_id", Integer, nullable=False, index=True),
    Column("name", String(40), nullable=False),  # the display name, as typed (shown as plain text)
    Column("folded", String(40), nullable=False),  # the name case-folded: unique within a class
    Column("workspace", String(KEY_HASH), nullable=False, unique=True),  # a workspace belongs to one class
    Column("joined", Float, nullable=False),
    Column("seen", Float, nullable=False),  # the last time the student's page asked anything
    UniqueConstraint("class_id", "folded"),
)

submissions = Table(
    "submissions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_id", Integer, nullable=False, index=True),
    Column("member", Integer, nullable=False),
    Column("run", Integer, nullable=False),  # the run's number in the student's workspace
    Column("score", Float),  # the challenge's score on its held-out part (None: not finite)
    Column("metrics", Text, nullable=False),  # JSON: every metric on the held-out part
    Column("config", Text, nullable=False),
    Column("cell", String(20), nullable=False),
    Column("epochs", Integer, nullable=False),
    Column("parameters", Integer, nullable=False),
    Column("submitted", Float, nullable=False),
)

attempts = Table(  # what is rate-limited: joins (by where they come from), submissions (by student)
    "attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("who", String(64), nullable=False),
    Column("at", Float, nullable=False, index=True),
)

# version 5: what a class keeps of each submission, whatever becomes of the run in the student's workspace
submitted_runs = Table(
    "submitted_runs", metadata,
    Column("submission", Integer, primary_key=True),  # submissions.id
    Column("class_id", Integer, nullable=False, index=True),
    Column("workspace", String(KEY_HASH), nullable=False, index=True),  # the submitter's workspace id
    Column("name", String(40), nullable=False),  # the student's name in the class when it was submitted
    Column("folded", String(40), nullable=False),  # that name case-folded
    Column("run", Integer, nullable=False),
    Column("history", Text),  # JSON: the run's epochs (None where an earlier submission of the run keeps them)
    Column("weights", LargeBinary),  # safetensors bytes of the model scored (None: as history)
)

TABLES = (schema_version, workspaces, runs, epochs, models, data_files, classes, members, submissions, attempts,
          submitted_runs)
LATER_TABLES = {"classes": 4, "members": 4, "submissions": 4, "attempts": 4,
                "submitted_runs": 5}  # tables an upgrade made: version


# upgrades: UPGRADES[n] takes a database at version n to version n + 1 -----------------------------------
LATER = {("runs", "heartbeat"), ("workspaces", "runs_made"), ("runs", "lineage")}  # the columns that upgrades added


def _create_v1(conn) -> None:
    """Version 1: the tables as they first were (without the columns of ``LATER``)."""
    first = MetaData()
    for table in TABLES:
        if table.name in LATER_TABLES:
            continue
        columns = [Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, index=c.index,
                          autoincrement=c.autoincrement)
                   for c in table.columns if (table.name, c.name) not in LATER]
        constraints = [UniqueConstraint("workspace", "number")] if table is runs else []
        Table(table.name, first, *columns, *constraints)
    first.create_all(conn)
    conn.execute(schema_version.insert().values(version=1))


def _add_heartbeat(conn) -> None:
    """Version 2: runs beat while they train, so one whose server died shows as interrupted."""
    conn.execute(text("ALTER TABLE runs ADD COLUMN heartbeat FLOAT NOT NULL DEFAULT 0"))
    conn.execute(text("UPDATE runs SET heartbeat = updated"))


def _count_runs(conn) -> None:
    """Version 3: a workspace counts the runs it numbered. Before, a new run took the highest number there
    plus one, so deleting the latest run gave its number (and its links) to the next run."""
    conn.execute(text("ALTER TABLE workspaces ADD COLUMN runs_made INTEGER NOT NULL DEFAULT 0"))
    conn.execute(text("UPDATE workspaces SET runs_made = "
                      "(SELECT COALESCE(MAX(runs.number), 0) FROM runs WHERE runs.workspace = workspaces.id)"))


def _add_classes(conn) -> None:
    """Version 4: classrooms: classes with a challenge, their members, submissions, rate-limited attempts."""
    for table in TABLES:
        if LATER_TABLES.get(table.name) == 4:
            table.create(conn)


def _add_lineage(conn) -> None:
    """Version 5: each run keeps its lineage (where its weights come from), and a class keeps what it needs of each
    submission (the name it was made under, the run's curve and weights).

    A stored run's past cannot be read back: one imported says so (status "imported", or the command line's
    owner "import") and is IMPORTED_FROM_FILE; every other run is UNKNOWN, never HERE, because a run continued
    from an import looks like any other. So no run stored before this version can be submitted to a class
    (its student trains it again); nothing else about it changes.
    """
    from rnncore.training.lineage import IMPORTED, NOT_KNOWN

    conn.execute(text("ALTER TABLE runs ADD COLUMN lineage TEXT NOT NULL DEFAULT ''"))
    conn.execute(text("UPDATE runs SET lineage = :unknown"), {"unknown": NOT_KNOWN.to_json()})
    conn.execute(text("UPDATE runs SET lineage = :imported WHERE status = 'imported' OR owner = 'import'"),
                 {"imported": IMPORTED.to_json()})
    for table in TABLES:
        if LATER_TABLES.get(table.name) == 5:
            table.create(conn)
    rows = conn.execute(text(
        "SELECT s.id, s.class_id, s.run, m.workspace, m.name, m.folded, r.id AS rid FROM submissions s "
        "JOIN members m ON m.id = s.member LEFT JOIN runs r ON r.workspace = m.workspace AND r.number = s.run "
        "ORDER BY s.id")).all()
    kept = set()
    for row in rows:
        history = weights = None
        if row.rid is not None and (row.class_id, row.workspace, row.run) not in kept:
            kept.add((row.class_id, row.workspace, row.run))
            epochs = conn.execute(text("SELECT epoch, train_loss, val_loss, seconds, grad_norm, layer_grad_norms, lr "
                                       "FROM epochs WHERE run = :rid ORDER BY epoch"), {"rid": row.rid}).all()
            history = json.dumps([{**r._asdict(), "layer_grad_norms": json.loads(r.layer_grad_norms)} for r in epochs])
            weights = conn.execute(text("SELECT weights FROM models WHERE run = :rid"), {"rid": row.rid}).scalar()
        conn.execute(text("INSERT INTO submitted_runs (submission, class_id, workspace, name, folded, run, history, "
                          "weights) VALUES (:id, :class_id, :workspace, :name, :folded, :run, :history, :weights)"),
                     {"id": row.id, "class_id": row.class_id, "workspace": row.workspace, "name": row.name,
                      "folded": row.folded, "run": row.run, "history": history,
                      "weights": None if weights is None else bytes(weights)})


UPGRADES = {0: _create_v1, 1: _add_heartbeat, 2: _count_runs, 3: _add_classes, 4: _add_lineage}
VERSION = max(UPGRADES) + 1  # the schema this code reads and writes


def version_of(conn) -> int:
    """The database's schema version: 0 for an empty database."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    found = conn.execute(schema_version.select()).scalars().all()
    return max(found, default=0)


def upgrade(conn, to: int = VERSION) -> int:
    """Run the upgrade steps from the database's version up to ``to`` (in the caller's transaction);
    the version it had."""
    was = version_of(conn)
    for step in range(was, to):
        UPGRADES[step](conn)
        conn.execute(schema_version.update().values(version=step + 1))
    return was
