"""Many sessions writing into one run store at once (threads, as a server's tabs do): nothing is lost,
run numbers are unique and consecutive per workspace, and nothing lands in another workspace. On one
SQLite file and on PostgreSQL (tests/postgres.py)."""

from __future__ import annotations

import threading

import pytest

from rnncore.config import ExperimentConfig
from rnncore.store import StoreSettings, open_store
from rnncore.training.progress import EpochRecord

SESSIONS = 20
RUNS_EACH = 3  # runs a session starts, one after another
EPOCHS = 4  # per run, appended two at a time, then written whole by finish_run
CFG = ExperimentConfig().replace(model={"hidden_size": 8})


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    return request.getfixturevalue("postgres_server").database()


def _epoch(session: int, number: int, epoch: int) -> EpochRecord:
    """An epoch whose values say whose it is."""
    return EpochRecord(epoch=epoch, train_loss=session + number / 1000 + epoch / 1e6, val_loss=float(session),
                       seconds=0.001, grad_norm=float(number), layer_grad_norms={f"s{session}": float(epoch)}, lr=1e-3)


def _together(work, count: int) -> list:
    """Run ``work(i)`` in ``count`` threads released at once; the exceptions they raised."""
    barrier, errors = threading.Barrier(count), []

    def go(i):
        try:
            barrier.wait(timeout=30)
            work(i)
        except Exception as exc:  # noqa: BLE001 (collected and reported by the test)
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a session hung"
    return errors


def _session(store, key: str, session: int, mine: list) -> None:
    """What a tab does: start runs, record epochs as they end, finish each with its weights."""
    for _ in range(RUNS_EACH):
        (number,) = store.new_runs(key, [(CFG, {"name": f"session {session}"}, session)], owner=f"s{session}")
        mine.append(number)
        history = [_epoch(session, number, e) for e in range(1, EPOCHS + 1)]
        store.append_epochs(key, number, history[:2])
        store.beat(key, [number])
        store.append_epochs(key, number, history[2:])
        store.finish_run(key, number, status="finished", reason="finished", message="finished", details={},
                         history=history, kept_epoch=EPOCHS, results={"session": session},
                         weights=f"weights of session {session} run {number}".encode() * 50)


def _check(store, key: str, sessions: dict[int, list]) -> None:
    """Every run of ``sessions`` (session -> its numbers) is in ``key``'s workspace, whole, and nothing else."""
    runs = store.list_runs(key)
    numbers = [r.number for r in runs]
    expected = sum(len(v) for v in sessions.values())
    assert numbers == list(range(1, expected + 1))  # unique and consecutive
    assert sorted(n for v in sessions.values() for n in v) == numbers
    owner_of = {n: s for s, ns in sessions.items() for n in ns}
    for summary in runs:
        session = owner_of[summary.number]
        assert (summary.owner, summary.parameters, summary.status, summary.epochs) == \
            (f"s{session}", session, "finished", EPOCHS)
        run = store.get_run(key, summary.number)
        assert run.history == [_epoch(session, summary.number, e) for e in range(1, EPOCHS + 1)]
        assert run.results == {"session": session} and run.data == {"name": f"session {session}"}
        assert store.weights(key, summary.number) == \
            (EPOCHS, f"weights of session {session} run {summary.number}".encode() * 50)
    assert store.usage(key).runs == expected and store.usage(key).models == expected


def test_sessions_in_their_own_workspaces_write_at_once(url):
    store = open_store(url, StoreSettings())
    try:
        keys = [store.create_workspace() for _ in range(SESSIONS)]
        numbers = [[] for _ in range(SESSIONS)]
        errors = _together(lambda i: _session(store, keys[i], i, numbers[i]), SESSIONS)
        assert errors == []
        for i, key in enumerate(keys):
            assert numbers[i] == list(range(1, RUNS_EACH + 1))
            _check(store, key, {i: numbers[i]})
    finally:
        store.close()


def test_sessions_sharing_one_workspace_write_at_once(url):
    store = open_store(url, StoreSettings())
    try:
        key, bystander = store.create_workspace(), store.create_workspace()
        store.new_runs(bystander, [(CFG, {}, 1)])
        numbers = [[] for _ in range(SESSIONS)]
        errors = _together(lambda i: _session(store, key, i, numbers[i]), SESSIONS)
        assert errors == []
        _check(store, key, dict(enumerate(numbers)))
        assert [r.number for r in store.list_runs(bystander)] == [1]  # nothing mixed into another workspace
    finally:
        store.close()


def test_servers_opening_a_new_store_at_once_all_open_it(url):
    """Several processes (here: separate RunStores) starting against an empty database create it once."""
    stores = []
    lock = threading.Lock()

    def open_one(_i):
        made = open_store(url, StoreSettings())
        with lock:
            stores.append(made)

    try:
        errors = _together(open_one, 8)
        assert errors == []
        key = stores[0].create_workspace()
        assert all(s.has_workspace(key) for s in stores)
    finally:
        for made in stores:
            made.close()
