"""The run store: runs that outlast a browser tab and a server (SQLite by default, PostgreSQL by URL)."""

from rnncore.store.recorder import RunRecorder
from rnncore.store.runstore import (
    RunStore,
    RunSummary,
    StoredRun,
    StoreSettings,
    Usage,
    key_id,
    load_settings,
    load_store_settings,
    open_store,
)

__all__ = ["RunRecorder", "RunStore", "RunSummary", "StoreSettings", "StoredRun", "Usage", "key_id",
           "load_settings", "load_store_settings", "open_store"]
