"""One person's workbench: the loaded data, the current config, the Trainer, the finished runs.

The dashboard keeps one ``Lab`` per browser session (Streamlit's session-scoped
``cache_resource``); nothing here knows about Streamlit, so all of it is tested directly.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field, replace

from rnncore.config import ConfigError, DataConfig, ExperimentConfig, config_error
from rnncore.data.dataset import Dataset
from rnncore.data.sources import load_source
from rnncore.errors import DataError, data_error
from rnncore.training.progress import ENDED


@dataclass
class RunRecord:
    """A finished, stopped or diverged run, kept for the Compare and Evaluate pages."""

    id: int
    config: ExperimentConfig
    status: str
    message: str
    reason: str = ""  # with details: the message as a code a page can translate (results.MESSAGES)
    details: dict = field(default_factory=dict)
    history: list = field(default_factory=list)  # EpochRecord
    metrics: dict = field(default_factory=dict)  # {"val": {...}, "test": {...}}
    baselines: dict = field(default_factory=dict)  # {"persistence": {...}, ...} on test
    parameters: int = 0
    data_name: str = ""
    index: object | None = None  # the data's time index (pandas), None for memory tasks
    result: object | None = None  # RunResult with the model; dropped for all but the latest few

    @property
    def label(self) -> str:
        m = self.config.model
        extras = [m.activation] if m.activation != "tanh" else []
        extras += [f"forget bias {m.forget_bias:g}"] if m.forget_bias else []
        return " ".join([f"#{self.id} {m.cell} {m.hidden_size}×{m.num_layers}", *extras])


class Lab:
    """The state of one session's experiments. Thread-safe where the Trainer thread touches it."""

    def __init__(self, slots: threading.Semaphore | None = None, limits=None,
                 keep_models: int = 3, max_runs: int = 30):
        self.slots = slots
        self.limits = limits
        self.keep_models = keep_models
        self.max_runs = max_runs
        self.dataset: Dataset | None = None
        self.config = ExperimentConfig()
        self.trainer = None  # the latest Trainer
        self.live = None  # its LiveView
        self._collected = None  # the latest Trainer already moved into runs
        self._series_stop = threading.Event()
        self._chain: threading.Thread | None = None  # the thread that starts a series' next runs
        self.series_error: Exception | None = None  # why a series stopped early (ConfigError, DataError)
        self.runs: list[RunRecord] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # data ----------------------------------------------------------------------------
    def load(self, source: str, params: dict | None = None) -> Dataset:
        """Load a sample, a generator or a file; on DataError the previous data set stays."""
        dataset = load_source(source, params or {})
        self.use_dataset(dataset, DataConfig(source=source, params=dict(params or {})))
        return dataset

    def use_dataset(self, dataset: Dataset, data: DataConfig) -> None:
        """Make ``dataset`` current; keep target and features only where they still exist."""
        columns = list(dataset.frame.columns)
        target = self.config.data.target if self.config.data.target in columns else None
        features = tuple(c for c in self.config.data.features if c in columns)
        self.dataset = dataset
        self.config = replace(self.config, data=replace(data, target=target or data.target,
                                                        features=features or data.features))

    def ensure_dataset(self) -> Dataset:
        """The current data set, loading the config's source when none is loaded yet."""
        if self.dataset is None:
            data = self.config.data
            if data.source.startswith(("sample:", "synthetic:")):
                self.dataset = load_source(data.source, data.params)
            else:
                raise data_error("no_data")
        return self.dataset

    # training ------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A run is going, or a series will start its next run."""
        return self.status() not in (*ENDED, "idle")

    def start(self, config: ExperimentConfig | None = None, one_epoch: bool = False, initial_state=None):
        """Start a Trainer on the current data and config (after collecting the last one).

        Raises ConfigError (a setting or a server limit) or DataError (data too short).
        """
        if self.busy:
            raise config_error("run_going")
        if config is not None:
            self.config = config
        return self._launch(self.config, one_epoch, initial_state)

    def _launch(self, config: ExperimentConfig, one_epoch: bool = False, initial_state=None):
        from rnncore.lab.live_view import LiveView  # torch loads only when training is asked for
        from rnncore.training.trainer import Trainer

        self.collect()
        view = LiveView(config.model)
        trainer = Trainer(config, dataset=self.ensure_dataset(), slots=self.slots, limits=self.limits,
                          callbacks=[view], initial_state=initial_state)
        view.attach(trainer.model, trainer.windows, trainer.period)
        self.trainer, self.live = trainer, view
        trainer.step() if one_epoch else trainer.start()
        return trainer

    def start_series(self, configs) -> None:
        """Train several configs one after another on the current data (a scenario's comparison).

        A thread of its own starts each run when the previous one ends, so the series goes on
        while the user looks at other pages; ``stop()`` ends the series.
        """
        if self.busy:
            raise config_error("run_going")
        configs = list(configs)
        self._series_stop, self.series_error = threading.Event(), None
        self.start(configs[0])
        self._chain = threading.Thread(target=self._series, args=(configs[1:], self._series_stop),
                                       name="rnnlab-series", daemon=True)
        self._chain.start()

    def _series(self, configs, stopped: threading.Event) -> None:
        for config in configs:
            self.trainer.join()
            if stopped.is_set():
                return
            self.collect()
            try:
                self._launch(config)
            except (ConfigError, DataError) as exc:  # e.g. a server limit; the message stays visible
                self.series_error = exc
                return
        self.trainer.join()
        self.collect()

    def pause(self) -> None:
        if self.trainer is not None:
            self.trainer.pause()

    def resume(self) -> None:
        if self.trainer is not None:
            self.trainer.resume()

    def stop(self) -> None:
        """Stop the run (and any series it belongs to); history and best weights are kept."""
        self._series_stop.set()
        if self.trainer is not None:
            self.trainer.stop()

    def step(self) -> None:
        """One epoch: of the paused run, or of a new run that then pauses."""
        if self.trainer is not None and self.trainer.snapshot().status in ("paused", "running", "queued"):
            self.trainer.step()
        else:
            self.start(one_epoch=True)

    def status(self) -> str:
        """The current run's status; "queued" between two runs of a series."""
        status = self.trainer.snapshot().status if self.trainer is not None else "idle"
        if status in ENDED and self._chain is not None and self._chain.is_alive():
            return "queued"
        return status

    def collect(self) -> RunRecord | None:
        """Move an ended run into the history (once, whichever thread asks); returns its record."""
        with self._lock:
            trainer = self.trainer
            if trainer is None or trainer is self._collected or trainer.snapshot().status not in ENDED:
                return None
            self._collected = trainer
            if self.live is not None and self.live.model is trainer.model:
                self.live.capture(trainer.snapshot().epoch)  # the kept (best) weights, for the pages
            record = self._record(trainer, trainer.snapshot())
            self.runs.append(record)
            self._bound()
        return record

    def _record(self, trainer, progress) -> RunRecord:
        record = RunRecord(id=next(self._ids), config=trainer.cfg, status=progress.status,
                           message=progress.message, reason=progress.reason, details=dict(progress.details),
                           history=list(progress.history),
                           data_name=trainer.dataset.name if trainer.dataset is not None else "")
        if trainer.dataset is not None and trainer.dataset.sequences is None:
            record.index = trainer.dataset.frame.index
        try:
            result = trainer.result()
        except (RuntimeError, ValueError):  # a failed run may have no model to evaluate
            return record
        record.result = result
        record.metrics = result.metrics
        record.baselines = result.baselines
        record.parameters = result.parameters
        return record

    def _bound(self) -> None:
        """Keep at most ``max_runs`` records and the models of the latest ``keep_models``."""
        del self.runs[: max(0, len(self.runs) - self.max_runs)]
        for record in self.runs[: max(0, len(self.runs) - self.keep_models)]:
            record.result = None

    # runs from files -------------------------------------------------------------------
    def import_run(self, data: bytes) -> RunRecord:
        """Bring back an exported run (BundleError on a bad file; nothing changes then).

        With its data at hand (a sample, a generator, or the same file loaded now) the run is
        evaluated again in full; otherwise only its curves and metrics can be compared.
        """
        from rnncore.io.bundle import import_run
        from rnncore.training.progress import say

        imported = import_run(data)
        doc = imported.metrics
        cfg = imported.config
        dataset = self._dataset_for(cfg)
        said = say("imported" if dataset is not None else "imported_no_data", cell=cfg.model.cell,
                   epochs=len(imported.history), source=cfg.data.source)
        record = RunRecord(id=0, config=cfg, status="imported", **said,
                           history=imported.history, parameters=imported.model.num_parameters(),
                           data_name=cfg.data.source, metrics={k: doc[k] for k in ("val", "test")},
                           baselines={name: {"test": m} for name, m in doc.get("baselines", {}).items()})
        if dataset is not None:
            record.result = self._evaluate(imported, dataset)
            record.metrics, record.baselines = record.result.metrics, record.result.baselines
            if dataset.sequences is None:
                record.index = dataset.frame.index
        with self._lock:
            record.id = next(self._ids)
            self.runs.append(record)
            self._bound()
        return record

    def _dataset_for(self, config: ExperimentConfig) -> Dataset | None:
        source = config.data.source
        if source.startswith(("sample:", "synthetic:")):
            return load_source(source, config.data.params)
        if self.dataset is not None and self.config.data.source == source:
            return self.dataset
        return None

    @staticmethod
    def _evaluate(imported, dataset):
        from rnncore.data.windows import make_windows
        from rnncore.training.results import build_result, period_of

        cfg = imported.config
        windows = make_windows(dataset, cfg.window, cfg.data.target, cfg.data.features)
        return build_result(cfg=cfg, model=imported.model, windows=windows, dataset=dataset,
                            period=period_of(dataset), history=imported.history, status="imported",
                            message="imported", device=next(imported.model.parameters()).device)

    def continue_run(self, record: RunRecord):
        """Train on from a kept run's weights, with its settings, on the current data."""
        if record.result is None:
            raise config_error("model_gone")
        if self.dataset is None or self._dataset_for(record.config) is None:
            raise data_error("load_run_data", source=record.config.data.source)
        self.dataset = self._dataset_for(record.config)
        state = {k: v.detach().clone() for k, v in record.result.model.state_dict().items()}
        return self.start(record.config, initial_state=state)

    def run(self, run_id: int) -> RunRecord | None:
        return next((r for r in self.runs if r.id == run_id), None)

    def close(self) -> None:
        """Stop any training: the browser tab closed."""
        self.stop()
        if self.trainer is not None:
            self.trainer.join(timeout=10)
