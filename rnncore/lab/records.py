"""A run that has ended, as the Compare and Evaluate pages keep it (its settings, curves and metrics), and what
the run store keeps of it (``ended_fields``; a Trainer's run recorded as it trains: ``record_run``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rnncore.config import ExperimentConfig
from rnncore.data.dataset import Dataset
from rnncore.store.recorder import RunRecorder
from rnncore.training.lineage import FRESH, NOT_KNOWN, Lineage
from rnncore.training.progress import EpochRecord, PartialEpoch, Status


@dataclass
class RunRecord:
    """An ended run (finished, stopped, diverged, failed) or one imported from a zip."""

    id: int
    config: ExperimentConfig
    status: Status
    message: str  # in English; reason and details say the same for translation
    reason: str = ""  # a key of rnncore.messages.RUN_MESSAGES
    details: dict = field(default_factory=dict)
    history: list[EpochRecord] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)  # {"val": {...}, "test": {...}}
    baselines: dict = field(default_factory=dict)  # {"persistence": {"val": {...}, "test": {...}}, ...}
    baseline_notes: dict[str, str] = field(default_factory=dict)  # why a baseline is missing
    parameters: int = 0
    kept_epoch: int | None = None  # whose weights the metrics and the model are (None: the initial weights)
    partial_epoch: PartialEpoch | None = None  # a diverged run: its last epoch's batches up to the divergence
    y_unit: float | None = None  # one scaled unit of the target in the data's units (None: not known)
    data_name: str = ""
    data: dict = field(default_factory=dict)  # the data's identity: name, rows, and a file's sha256
    index: object | None = None  # the data's time index (pandas), None for memory tasks
    result: object | None = None  # RunResult with the model; dropped for all but the latest few
    imported: object | None = None  # an imported run whose data is not loaded: its ImportedRun (as exported)
    stored_model: bool = False  # its model is in the run store (loaded when a page asks for it)
    lineage: Lineage = NOT_KNOWN  # where its weights come from: trained here, imported (rnncore.training.lineage)
    grad_through_time: tuple[float, ...] | None = None  # the gradient through time last measured (oldest step first)
    grad_epoch: int | None = None  # after which epoch

    @classmethod
    def of(cls, run_id: int, config: ExperimentConfig, progress, result, dataset) -> RunRecord:
        """The record of a run that ended with ``progress`` and ``result`` (None: nothing to evaluate)."""
        record = cls(id=run_id, config=config, status=progress.status, message=progress.message,
                     reason=progress.reason, details=dict(progress.details), history=list(progress.history),
                     kept_epoch=progress.kept_epoch, partial_epoch=progress.partial_epoch,
                     data_name=dataset.name if dataset is not None else config.data.source,
                     grad_through_time=None if progress.grad_through_time is None else
                     tuple(float(g) for g in progress.grad_through_time), grad_epoch=progress.grad_through_time_epoch)
        if dataset is not None:
            record.data, record.index = dataset.identity(), time_index(dataset)
        if result is not None:
            record.keep(result)
        return record

    def keep(self, result) -> None:
        """Take the metrics of ``result`` (a RunResult or a TaskResult) and hold it (its model) for Evaluate and
        Continue."""
        self.result, self.metrics, self.baselines = result, result.metrics, result.baselines
        self.baseline_notes, self.parameters = dict(result.baseline_notes), result.parameters
        self.y_unit = result.y_unit


def time_index(data):
    """A series' time index (pandas), for the pages' time axes; None for a memory task, a text or labelled
    sequences."""
    return data.frame.index if isinstance(data, Dataset) and data.sequences is None else None


def ended_fields(record: RunRecord, result) -> dict:
    """RunStore.finish_run's arguments for a run that ended: its record, kept weights and probe trace."""
    from rnncore.io.bundle import probe_traces
    from rnncore.io.model_files import model_bytes

    weights = traces = None
    if result is not None:
        weights = model_bytes(result.model)
    if result is not None and record.config.data.task == "forecast":  # what Inside traces of a series' windows
        from safetensors.torch import save

        model, was = result.model, result.model.training
        model.eval()
        try:
            traces = save(probe_traces(model, result.windows))
        finally:
            model.train(was)
    return {"status": str(record.status), "reason": record.reason, "message": record.message,
            "details": record.details, "history": record.history, "kept_epoch": record.kept_epoch,
            "results": results_of(record), "parameters": record.parameters or None,
            "weights": weights, "traces": traces}


def record_run(store, key: str, trainer, owner: str = "") -> RunRecorder:
    """A Trainer's run numbered in the workspace ``key`` of ``store`` and written as it trains (the command line's
    and a sweep's runs; a page's are the Lab's archive's). StoreError, and nothing stored, when it cannot."""
    identity = trainer.task.identity()
    (number,) = store.new_runs(key, [(trainer.cfg, identity, trainer.model.num_parameters(), FRESH.then(identity))],
                               owner=owner)
    recorder = RunRecorder(store, key, number, trainer.model)
    trainer.add_callback(recorder)
    return recorder


def finish_recorded(recorder: RunRecorder, trainer, result) -> list[int]:
    """``record_run``'s run ended with ``result`` (None: nothing to evaluate): written whole; the runs whose model
    the quota removed. StoreError when the store cannot take it."""
    record = RunRecord.of(recorder.number, trainer.cfg, trainer.snapshot(), result, trainer.dataset)
    return recorder.finish(**ended_fields(record, result))


def kept_fields(record: RunRecord) -> dict:
    """``ended_fields`` of a run kept in memory: an imported run without its data keeps the weights it came with."""
    fields = ended_fields(record, record.result)
    if fields["weights"] is None and record.imported is not None:
        from rnncore.io.model_files import model_bytes

        fields["weights"] = model_bytes(record.imported.model)
    return fields


def floats(values) -> tuple[float, ...] | None:
    """A stored list of numbers (a value that was not finite is stored as null) as floats, NaN for those."""
    return None if values is None else tuple(float("nan") if v is None else float(v) for v in values)


def results_of(record: RunRecord) -> dict:
    """What the store keeps of a record's results (JSON)."""
    partial, document = record.partial_epoch, getattr(record.result, "document", None)
    return {"metrics": record.metrics, "baselines": record.baselines,
            **({"task": document()} if document is not None else {}),  # a text or labels run's metrics.json
            "baseline_notes": {k: {"note": str(v), "note_key": v.key, "note_details": v.details}
                               for k, v in record.baseline_notes.items()},
            "y_unit": record.y_unit,
            "grad_through_time": None if record.grad_through_time is None else list(record.grad_through_time),
            "grad_epoch": record.grad_epoch,
            "partial_epoch": None if partial is None else {"epoch": partial.epoch,
                                                           "batch_losses": list(partial.batch_losses),
                                                           "batches": partial.batches}}

