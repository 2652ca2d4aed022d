"""Store fixtures for every test file: ``backend`` (one database for one test, SQLite or a throwaway
PostgreSQL, parametrised over both) and ``store`` (a RunStore on it). conftest.py makes them known."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from rnncore.store import StoreSettings, open_store


class Backend:
    """One database for one test: opens stores on it (closed at the end) and reads it raw."""

    def __init__(self, name: str, url: str, path=None):
        self.name, self.url, self.path = name, url, path
        self.opened = []

    def open(self, **settings):
        store = open_store(self.url, StoreSettings(**settings))
        self.opened.append(store)
        return store

    def raw(self, query: str, **params) -> list:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(text(query), params)]
        finally:
            engine.dispose()

    def close(self) -> None:
        for store in self.opened:
            store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "runs.sqlite3"
        made = Backend("sqlite", f"sqlite:///{path}", path)
    else:
        made = Backend("postgresql", request.getfixturevalue("postgres_server").database())
    yield made
    made.close()


@pytest.fixture
def store(backend):
    return backend.open()
