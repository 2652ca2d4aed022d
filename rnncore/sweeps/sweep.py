"""A sweep: an Optuna study whose trials each train one configuration with the Trainer.

``Sweep.create(base, space, trials=N, ...)`` makes a study (or continues one of the same search space and
fixed settings); ``Sweep.join(name, storage)`` joins one, from another process or server. ``run()`` then
trains trials until the study's budget (``trials``, a study user attribute) is spent or the sweep's own
time budget ends. Each trial draws the searched settings with a seeded TPE sampler, trains ``base`` with
them through ``rnncore.training.trainer.Trainer`` (the server's RunLimits, its training slots), reports the
validation loss after every epoch and, when the pruner says so, stops the Trainer and ends the trial as
pruned; a trial's value is its best validation loss. Every trial records the epochs it trained
(``epochs``), how its run ended, and, when a run store workspace is given, the number of the run it was
recorded as (``run``).

What a study keeps of the sweep (user attributes): ``rnnlab_sweep`` (the search space, the fixed
settings, the pruner and the seed: what a joining worker needs, and what a second ``create`` under the
same name must match), ``trials`` (the budget) and ``workers`` (how many workers have joined: worker k
seeds its sampler with seed + k, so that two workers do not draw the same first trials).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rnncore.config import SETTINGS, ExperimentConfig
from rnncore.errors import ConfigError, KeyedError, StoreError, SweepError
from rnncore.sweeps.space import SearchSpace
from rnncore.sweeps.storage import OWNER, SweepStorage, check_study_name
from rnncore.training.limits import RunLimits
from rnncore.training.progress import Status
from rnncore.training.task import OBJECTIVES

PRUNERS = ("median", "hyperband", "none")
ATTR, BUDGET, WORKERS = "rnnlab_sweep", "trials", "workers"
PLAN_VERSION = 1
SEED_RANGE = 2**32


def make_pruner(name: str, epochs: int):
    """The Optuna pruner ``name`` for trials of ``epochs`` epochs (steps are epoch numbers, from 1)."""
    import optuna

    if name == "median":  # the median of the completed trials at the same epoch, once 3 have completed
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=max(1, epochs // 10))
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, epochs), reduction_factor=3)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise SweepError.keyed("unknown_pruner", pruner=repr(name), choices=", ".join(PRUNERS))


@dataclass(frozen=True)
class Plan:
    """What every trial of a study shares: the fixed settings, the search space, the pruner, the seed."""

    base: ExperimentConfig
    space: SearchSpace
    pruner: str = "median"
    seed: int = 0

    def to_dict(self) -> dict:
        return {"version": PLAN_VERSION, "config": self.base.to_dict(), "space": self.space.to_dict(),
                "pruner": self.pruner, "seed": self.seed}

    @classmethod
    def from_dict(cls, data: Mapping) -> Plan:
        return cls(ExperimentConfig.from_dict(data["config"]), SearchSpace.from_dict(data["space"]), data["pruner"],
                   int(data["seed"]))

    def differences(self, other: Plan) -> list[str]:
        """The fixed settings (and pruner, seed) that differ, as "name stored -> given"; searched settings
        are left out (their fixed values are never used)."""
        out = []
        mine, theirs = _flat(self.base.to_dict()), _flat(other.base.to_dict())
        for key in sorted(set(mine) | set(theirs)):
            if key.rpartition(".")[2] not in self.space and mine.get(key) != theirs.get(key):
                out.append(f"{key} {mine.get(key)!r} -> {theirs.get(key)!r}")
        out += [f"{name} {getattr(self, name)!r} -> {getattr(other, name)!r}" for name in ("pruner", "seed")
                if getattr(self, name) != getattr(other, name)]
        return out


def _flat(data: Mapping, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and key != "params":
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@dataclass
class TrialOutcome:
    """One trial as a sweep reports it."""

    number: int
    state: str  # "complete", "pruned", "failed" (or "running": another worker's, not ended yet)
    value: float | None  # the best validation loss, or a task's validation metric (None: none measured)
    params: dict[str, Any]
    epochs: int  # epochs trained
    message: str = ""  # how its run ended, in words
    run: int | None = None  # the run it was recorded as in the run store's workspace
    pruned_by: str | None = None  # "pruner", "time_budget" (the sweep's time ran out) or "stopped" (by its user)
    extra: dict = field(default_factory=dict)
    metric: str = "val_loss"  # what ``value`` is (rnncore.training.task.OBJECTIVES)

    @classmethod
    def of(cls, trial, metric: str = "val_loss") -> TrialOutcome:
        """From an Optuna FrozenTrial of a study that optimises ``metric``."""
        attrs = trial.user_attrs
        value = trial.value if trial.value is not None else attrs.get("best_value")
        return cls(number=trial.number, state=trial.state.name.lower().replace("fail", "failed"), value=value,
                   params=dict(trial.params), epochs=int(attrs.get("epochs", 0)), message=attrs.get("message", ""),
                   run=attrs.get("run"), pruned_by=attrs.get("pruned_by"), extra=dict(attrs), metric=metric)

    def row(self) -> dict[str, Any]:
        """The trial as a row of the sweep's table (its CSV): number, state, value, epochs, run, settings."""
        return {"trial": self.number, "state": self.pruned_by if self.pruned_by in ("time_budget", "stopped")
                else self.state, self.metric: self.value, "epochs": self.epochs, "run": self.run, **self.params}

    def line(self) -> str:
        """One line for the command line."""
        value = "-" if self.value is None else f"{self.value:.6g}"
        state = {"time_budget": "cut (time budget)", "stopped": "stopped"}.get(self.pruned_by, self.state)
        params = " ".join(f"{k}={_shown(v)}" for k, v in self.params.items())
        run = f"  run {self.run}" if self.run is not None else ""
        said = f"  ({self.message})" if self.state == "failed" and self.message else ""
        return (f"trial {self.number:3d}  {state:9s}  {self.metric} {value:>10s}  {self.epochs:4d} epochs  "
                f"{params}{run}{said}")


def _shown(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class Sweep:
    """One worker on one study; see the module docstring. Make it with ``create`` or ``join``."""

    def __init__(self, storage: SweepStorage, name: str, plan: Plan, study, dataset, *, limits: RunLimits,
                 seconds: float | None = None, slots=None, store=None, workspace_key: str | None = None,
                 worker: int = 0, owns_storage: bool = False):
        self.storage, self.name, self.plan, self.study, self.dataset = storage, name, plan, study, dataset
        self.limits, self.seconds, self.slots = limits, seconds, slots
        self.store, self.workspace_key, self.worker = store, workspace_key, worker
        self._owns_storage = owns_storage
        self._data_kept = False
        self._stopping = threading.Event()  # stop(): no new trial, and the one training ends after its epoch
        self._trainer = None  # the Trainer of the trial training now (None between trials)
        self.training: tuple[int, int] | None = None  # (trial number, epochs it trained so far), while one trains

    # making and joining --------------------------------------------------------------------------
    @classmethod
    def create(cls, base: ExperimentConfig, space: SearchSpace, *, trials: int, pruner: str = "median",
               seed: int | None = None, storage: str | SweepStorage | None = None, study: str | None = None,
               limits: RunLimits | None = None, seconds: float | None = None, slots=None, store=None,
               workspace_key: str | None = None, dataset=None, owner: str = "") -> Sweep:
        """A new study ``study`` (default: a name from the time) searching ``space`` around ``base`` with a
        budget of ``trials`` trials, or the existing study of that name when it searches the same space with
        the same fixed settings (its budget becomes ``trials``: run() trains the trials left). ``seed`` (default
        ``base.train.seed``) seeds the sampler; ``owner`` (a new study's) is whose it is, for
        ``SweepStorage.studies(owner)``. SweepError, before anything is stored, for a zero budget, a bad
        space, storage or study; an existing study is never changed then."""
        import optuna

        _check_budget(trials, seconds)
        plan = Plan(base, space, pruner, base.train.seed if seed is None else int(seed))
        make_pruner(pruner, base.train.epochs)
        name = check_study_name(study) if study is not None else _new_name()
        limits = limits if limits is not None else _server_limits()
        dataset = check_plan(plan, limits, dataset)
        with _opening(storage) as (opened, owned), opened.claim(name):
            if name in opened.studies():
                found, stored = _load(opened, name)
                if stored.space != plan.space:
                    raise SweepError.keyed("other_space", study=name, stored=stored.space.describe())
                differences = stored.differences(plan)
                if differences:
                    raise SweepError.keyed("other_settings", study=name, differences="; ".join(differences))
                found.set_user_attr(BUDGET, int(trials))
            else:
                found = optuna.create_study(study_name=name, storage=opened.optuna,
                                            direction=OBJECTIVES[base.data.task][1])
                found.set_user_attr(ATTR, plan.to_dict())
                found.set_user_attr(BUDGET, int(trials))
                found.set_user_attr(WORKERS, 0)
                found.set_user_attr(OWNER, owner)
                found.set_user_attr("created", datetime.now(UTC).isoformat(timespec="seconds"))
            worker = _next_worker(found)
            return cls._opened(opened, name, plan, dataset, worker, limits=limits, seconds=seconds, slots=slots,
                               store=store, workspace_key=workspace_key, owns_storage=owned)

    @classmethod
    def join(cls, study: str, storage: str | SweepStorage | None = None, *, limits: RunLimits | None = None,
             seconds: float | None = None, slots=None, store=None, workspace_key: str | None = None,
             dataset=None) -> Sweep:
        """Join the study ``study``: its search space, fixed settings, pruner and budget as stored."""
        _check_budget(1, seconds)
        name = check_study_name(study)
        limits = limits if limits is not None else _server_limits()
        with _opening(storage) as (opened, owned), opened.claim(name):
            found, plan = _load(opened, name)
            dataset = check_plan(plan, limits, dataset)
            worker = _next_worker(found)
            return cls._opened(opened, name, plan, dataset, worker, limits=limits, seconds=seconds, slots=slots,
                               store=store, workspace_key=workspace_key, owns_storage=owned)

    @classmethod
    def view(cls, study: str, storage: str | SweepStorage | None = None) -> Sweep:
        """The study ``study`` to look at (its trials, figures, best trial): no worker joins it, and ``run()``
        refuses to train (join it for that)."""
        name = check_study_name(study)
        with _opening(storage) as (opened, owned), opened.guard():
            found, plan = _load(opened, name)
            return cls(opened, name, plan, found, None, limits=None, worker=-1, owns_storage=owned)

    @classmethod
    def _opened(cls, storage, name, plan, dataset, worker, **kwargs) -> Sweep:
        import optuna

        sampler = optuna.samplers.TPESampler(seed=(plan.seed + worker) % SEED_RANGE)
        with storage.guard():
            study = optuna.load_study(study_name=name, storage=storage.optuna, sampler=sampler,
                                      pruner=make_pruner(plan.pruner, plan.base.train.epochs))
        return cls(storage, name, plan, study, dataset, worker=worker, **kwargs)

    def stop(self) -> None:
        """Train no further trial; the one training ends after its current epoch and counts as pruned
        (``pruned_by`` "stopped"). From any thread."""
        self._stopping.set()
        trainer = self._trainer
        if trainer is not None:
            trainer.stop()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def record_into(self, store, workspace_key: str, data_kept: bool = False) -> None:
        """Record each trial from now on as a run in this workspace of ``store`` (a RunStore); ``data_kept``:
        the data file is in the workspace already (an upload the app kept), else it is read from its path."""
        self.store, self.workspace_key = store, workspace_key
        self._data_kept = data_kept

    def close(self) -> None:
        if self._owns_storage:
            self.storage.close()

    def __enter__(self) -> Sweep:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # what the study holds ------------------------------------------------------------------------
    @property
    def budget(self) -> int:
        with self.storage.guard():
            return int(self.study.user_attrs.get(BUDGET, 0))

    @property
    def objective(self) -> tuple[str, str]:
        """(the metric a trial's value is, "minimize" or "maximize"): the validation loss of a forecast, the
        validation bits per character of a language model, the validation accuracy of a classifier."""
        return OBJECTIVES[self.plan.base.data.task]

    def outcomes(self) -> list[TrialOutcome]:
        """Every trial of the study so far (every worker's), by number."""
        metric = self.objective[0]
        with self.storage.guard():
            return [TrialOutcome.of(t, metric) for t in self.study.get_trials(deepcopy=False)]

    def best(self) -> TrialOutcome | None:
        """The completed trial with the best value (the lowest loss, the highest accuracy; None: none completed
        yet); the earlier trial on a tie."""
        done = [o for o in self.outcomes() if o.state == "complete" and o.value is not None]
        sign = 1 if self.objective[1] == "minimize" else -1
        return min(done, key=lambda o: (sign * o.value, o.number)) if done else None

    def config_of(self, outcome: TrialOutcome) -> ExperimentConfig:
        """The configuration a trial trained."""
        return self.plan.space.configure(self.plan.base, outcome.params)

    def figures(self) -> dict:
        from rnncore.sweeps.figures import figures

        with self.storage.guard():
            return figures(self.study)

    # running --------------------------------------------------------------------------------------
    def run(self, on_trial: Callable[[TrialOutcome], None] | None = None) -> list[TrialOutcome]:
        """Train trials until the study's budget is spent (by every worker together) or this sweep's time
        budget ends; each one's outcome is handed to ``on_trial`` as it ends. The outcomes of this worker's
        trials."""
        if self.dataset is None:
            raise RuntimeError(f"the study {self.name} was opened to be looked at (Sweep.view); join it to train")
        deadline = time.monotonic() + self.seconds if self.seconds else None
        done: list[TrialOutcome] = []
        while not self.stopping and (deadline is None or time.monotonic() < deadline):
            trial = self._claim()
            if trial is None:
                break
            outcome = self._trial(trial, deadline)
            done.append(outcome)
            if on_trial is not None:
                on_trial(outcome)
        return done

    def _claim(self):
        """A new trial of the study, or None when its budget is spent; counted and asked under the lock."""
        with self.storage.claim(self.name):
            if len(self.study.get_trials(deepcopy=False)) >= int(self.study.user_attrs.get(BUDGET, 0)):
                return None
            trial = self.study.ask()
            trial.set_user_attr("worker", self.worker)
            return trial

    def _trial(self, trial, deadline: float | None) -> TrialOutcome:
        """Train the trial's configuration and tell the study how it ended."""
        import optuna

        from rnncore.tasks.build import task_run
        from rnncore.training.progress import ENDED
        from rnncore.training.trainer import Trainer

        with self.storage.guard():
            values = self.plan.space.suggest(trial)
        try:
            cfg = self.plan.space.configure(self.plan.base, values)
            task = task_run(cfg, self.dataset, limits=self.limits)
            trainer = Trainer(cfg, task=task, slots=self.slots, limits=self.limits)
        except KeyedError as exc:  # a combination the checks of check_plan could not foresee
            return self._tell(trial, optuna.trial.TrialState.FAIL, None, epochs=0, status="failed",
                              message=str(exc))
        pruned: dict[str, str] = {}

        def watch(progress) -> None:  # after each epoch, in this thread (the model is not changing then)
            self.training = (trial.number, len(progress.history))
            value = task.watched(progress.history[-1])  # the task's validation metric (OBJECTIVES)
            if value is None or not math.isfinite(value) or pruned:
                return
            with self.storage.guard():
                trial.report(value, progress.history[-1].epoch)
                if trial.should_prune():
                    pruned["by"] = "pruner"
                    trainer.stop()  # the run ends "stopped" after this epoch

        def out_of_time() -> None:  # the Timer's thread
            if trainer.snapshot().status not in ENDED:
                pruned.setdefault("by", "time_budget")
                trainer.stop()

        trainer.add_callback(watch)
        recorder = self._record(trial, trainer)
        with self._training(trial, trainer, deadline, out_of_time):
            try:
                try:
                    result = trainer.run()
                except RuntimeError:  # ended with nothing to evaluate (failed): the progress says why
                    result = None
            except BaseException:  # interrupted (Ctrl+C): the trial failed, the study goes on without it
                trainer.stop()
                with self.storage.guard():
                    self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
                raise
        final = trainer.snapshot()
        if self.stopping and final.status != Status.FINISHED:
            pruned.setdefault("by", "stopped")
        run_error = self._finish(recorder, trainer, result)
        value = task.objective(result, final.history)
        attrs = {"epochs": len(final.history), "status": str(final.status), "message": final.message,
                 "best_epoch": final.best_epoch, "best_value": value}
        if run_error:
            attrs["run_error"] = run_error
        if pruned and not (pruned["by"] == "time_budget" and final.status == Status.FINISHED):  # (it ended first)
            return self._tell(trial, optuna.trial.TrialState.PRUNED, None, pruned_by=pruned["by"], **attrs)
        if final.status == Status.FINISHED and value is not None:
            return self._tell(trial, optuna.trial.TrialState.COMPLETE, value, **attrs)
        return self._tell(trial, optuna.trial.TrialState.FAIL, None, **attrs)

    @contextlib.contextmanager
    def _training(self, trial, stopper, deadline: float | None, out_of_time) -> Iterator[None]:
        """While a trial trains: ``stopper`` is what stop() tells (told at once when stop() came first), and
        ``out_of_time()`` runs in a Timer's thread at ``deadline``."""
        self._trainer, self.training = stopper, (trial.number, 0)
        if self.stopping:  # stop() came before the trial was there to be told
            stopper.stop()
        timer = None
        if deadline is not None:
            timer = threading.Timer(max(0.0, deadline - time.monotonic()), out_of_time)
            timer.daemon = True
            timer.start()
        try:
            yield
        finally:
            self._trainer, self.training = None, None
            if timer is not None:
                timer.cancel()

    def _tell(self, trial, state, value, **attrs) -> TrialOutcome:
        with self.storage.guard():
            for key, item in attrs.items():
                trial.set_user_attr(key, item)
            frozen = self.study.tell(trial, value if value is not None else None, state=state)
        return TrialOutcome.of(frozen, self.objective[0])

    # the run store ---------------------------------------------------------------------------------
    def _record(self, trial, trainer):
        """A run in the workspace for this trial, written as it trains (None without a workspace)."""
        if self.store is None or self.workspace_key is None:
            return None
        from rnncore.lab.records import record_run

        try:
            if not self._data_kept and trainer.cfg.data.kind == "file":
                self._keep_file(trainer.cfg.data.source)
            recorder = record_run(self.store, self.workspace_key, trainer, owner=f"sweep:{self.name}"[:64])
        except (StoreError, OSError) as exc:  # the trial trains regardless; the study says why it has no run
            with self.storage.guard():
                trial.set_user_attr("run_error", str(exc))
            return None
        with self.storage.guard():
            trial.set_user_attr("run", recorder.number)
        return recorder

    def _keep_file(self, path: str) -> None:
        """The data file, kept in the workspace (once): a run on it can be reopened when the file is gone."""
        from pathlib import Path

        from rnncore.data.reading import MAX_BYTES

        with open(path, "rb") as file:
            content = file.read(MAX_BYTES + 1)
        self.store.put_data(self.workspace_key, Path(path).name, content)
        self._data_kept = True

    def _finish(self, recorder, trainer, result) -> str | None:
        if recorder is None:
            return None
        from rnncore.lab.records import finish_recorded

        try:
            finish_recorded(recorder, trainer, result)
        except StoreError as exc:
            return str(exc)
        return None


# checks -----------------------------------------------------------------------------------------------
def _check_budget(trials: int, seconds: float | None) -> None:
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise SweepError.keyed("zero_trials", trials=trials)
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                                or not math.isfinite(seconds) or seconds < 0):
        raise SweepError.keyed("bad_seconds", seconds=seconds)


def _server_limits() -> RunLimits:
    from rnncore.training.limits import load_limits

    return load_limits().run_limits()


def _new_name() -> str:
    import secrets

    return f"sweep-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def check_plan(plan: Plan, limits: RunLimits, dataset=None):
    """Everything that can refuse a plan, checked before a study is made or joined: the fixed settings
    against the server's limits, each searched range against its limit, every corner of the space as a
    valid config, the data long enough for the longest lookback searched and leaving a validation part,
    the largest model within max_parameters. The data (loaded once for every trial): a Dataset, a Text or a
    LabelledSet, as the base config's task reads it."""
    from rnncore.tasks.build import task_data, task_run

    base, space = plan.base, plan.space
    limits.check(base)
    for d in space.dimensions:
        cap = limits.cap(d.name) if d.choices is None else None
        if cap is not None and d.high > cap:
            raise SweepError.keyed("over_limit", name=d.name, high=f"{d.high:g}", limit_name=SETTINGS[d.name].limit,
                                   limit=f"{cap:g}")
    corners = []
    for values in space.corners():
        try:
            corners.append(space.configure(base, values))
        except ConfigError as exc:
            raise SweepError.keyed("bad_combination", problem=exc) from None
    data = dataset if dataset is not None else task_data(base)
    longest = dataclasses.replace(max(corners, key=lambda c: c.window.lookback), model=base.model)
    try:
        built = task_run(longest, data)  # the parts every trial makes (and a text's vocabulary), at the longest
    except KeyedError as exc:
        if "lookback" in space and exc.key in ("window_rows", "text_too_short"):
            raise SweepError.keyed("lookback_too_long", lookback=longest.window.lookback, problem=exc) from None
        raise
    if len(built.parts.val) == 0:
        raise SweepError.keyed("no_validation", val_fraction=f"{base.window.val_fraction:g}")
    _check_largest(corners, limits, built.model.input_size, built.model.output_size)
    return data


def _check_largest(corners: list, limits: RunLimits, inputs: int, outputs: int) -> None:
    """The largest model of the space's corners within max_parameters (SweepError too_many_parameters)."""
    from rnncore.nn.models import parameter_count

    if limits.max_parameters is None:
        return
    largest = max(corners, key=lambda c: parameter_count(c.model, inputs, outputs))
    count = parameter_count(largest.model, inputs, outputs)
    if count > limits.max_parameters:
        model = largest.model
        raise SweepError.keyed("too_many_parameters", cell=model.cell, hidden_size=model.hidden_size,
                               num_layers=model.num_layers, count=f"{count:,}", limit=f"{limits.max_parameters:g}")


@contextlib.contextmanager
def _opening(storage: str | SweepStorage | None) -> Iterator[tuple[SweepStorage, bool]]:
    """(the storage, whether this sweep opened it); one it opened is closed again when what follows fails."""
    if isinstance(storage, SweepStorage):
        yield storage, False
        return
    opened = SweepStorage(storage)
    try:
        yield opened, True
    except BaseException:
        opened.close()
        raise


def _load(storage: SweepStorage, name: str):
    """(the Optuna study ``name``, its Plan); SweepError when there is none of that name, or not ours."""
    import optuna

    names = storage.studies()
    if name not in names:
        listed = ", ".join(names[:10]) + (", …" if len(names) > 10 else "") if names else "none"
        raise SweepError.keyed("no_study", study=name, where=storage.where, studies=listed)
    found = optuna.load_study(study_name=name, storage=storage.optuna)
    return found, _stored_plan(found, name, storage)


def _stored_plan(study, name: str, storage: SweepStorage) -> Plan:
    data = study.user_attrs.get(ATTR)
    if not isinstance(data, Mapping) or "space" not in data:
        raise SweepError.keyed("not_ours", study=name, where=storage.where)
    try:
        return Plan.from_dict(data)
    except (KeyError, TypeError, ValueError):
        raise SweepError.keyed("not_ours", study=name, where=storage.where) from None


def _next_worker(study) -> int:
    """This worker's number in the study (the caller holds the study's lock)."""
    worker = int(study.user_attrs.get(WORKERS, 0))
    study.set_user_attr(WORKERS, worker + 1)
    return worker
