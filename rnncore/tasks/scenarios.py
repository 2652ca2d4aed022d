"""Ready-made experiments for the tasks beside forecasting: one click sets the data and the settings.

The words (title, what to watch) live with the app's translations under ``tasks.scenario.<key>.*``. The memory
scenarios contrast cells on ``sign_memory`` at 30 steps: the LSTM and the GRU as they start stay near the majority
class, the LSTM with forget-gate bias 1.0 (Jozefowicz et al. 2015) learns it (docs/PERFORMANCE.md, "Home
scenarios"; tests/test_app_tasks.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

from rnncore.config import ExperimentConfig


@dataclass(frozen=True)
class TaskScenario:
    key: str  # its words: tasks.scenario.KEY.title, tasks.scenario.KEY.watch
    task: str  # "charlm" or "classify"
    config: ExperimentConfig  # its data.source names the text or the labelled set


def _cfg(source: str, model: dict, train: dict, window: dict | None = None) -> ExperimentConfig:
    return ExperimentConfig().replace(data={"source": source}, model=model, train=train, window=window or {})


_MEMORY = {"epochs": 10, "batch_size": 32, "lr": 0.01, "seed": 0}
TASK_SCENARIOS = (
    TaskScenario("text_lstm", "charlm", _cfg("sample:genesis", {"cell": "lstm", "hidden_size": 64},
                                             {"epochs": 20, "batch_size": 64, "lr": 0.005}, {"lookback": 48})),
    TaskScenario("memory_rnn", "classify", _cfg("synthetic:sign_memory", {"cell": "rnn", "hidden_size": 16},
                                                _MEMORY)),
    TaskScenario("memory_lstm", "classify", _cfg("synthetic:sign_memory", {"cell": "lstm", "hidden_size": 16},
                                                 _MEMORY)),
    TaskScenario("memory_forget_bias", "classify", _cfg("synthetic:sign_memory", {
        "cell": "lstm", "hidden_size": 16, "forget_bias": 1.0}, _MEMORY)),
    TaskScenario("memory_gru", "classify", _cfg("synthetic:sign_memory", {"cell": "gru", "hidden_size": 16},
                                                _MEMORY)),
)
