"""Ready-made experiments for a class, of every task: one click loads the data and the settings.

A scenario with several configs trains them one after another on the same data, seed and
budget, so the Compare page can show them together. The words (title, what to watch) live
with the app's translations under ``scenario.<key>.*``.

The memory scenarios of labelled sequences contrast cells on ``sign_memory`` at 30 steps: the LSTM and the GRU as
they start stay near the majority class, the LSTM with forget-gate bias 1.0 (Jozefowicz et al. 2015) learns it
(docs/PERFORMANCE.md, "The memory scenarios"; tests/test_app_tasks.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

from rnncore.config import DataConfig, ExperimentConfig, ModelConfig, TrainConfig, WindowConfig


@dataclass(frozen=True)
class Scenario:
    key: str  # its words are the app's: scenario.KEY.title, scenario.KEY.watch
    configs: tuple[ExperimentConfig, ...]  # one run, or a comparison trained side by side

    @property
    def source(self) -> DataConfig:
        return self.configs[0].data


def _cfg(source: str, params: dict | None = None, *, window: dict | None = None,
         model: dict | None = None, train: dict | None = None, task: str = "forecast") -> ExperimentConfig:
    return ExperimentConfig(DataConfig(source=source, params=params or {}, task=task), WindowConfig(**(window or {})),
                            ModelConfig(**(model or {})), TrainConfig(**(train or {})))


def _variants(base: ExperimentConfig, section: str, values: list[dict]) -> tuple[ExperimentConfig, ...]:
    return tuple(base.replace(**{section: v}) for v in values)


_SINE = {"length": 1000, "noise": 0.1}
_ADDING = {"steps": 50, "samples": 3000}
_ARTICLE = _cfg("synthetic:sine", _SINE, window={"lookback": 30},
                model={"cell": "lstm", "hidden_size": 50, "activation": "relu"},
                train={"epochs": 30, "batch_size": 32, "lr": 1e-3})
_MEMORY = _cfg("synthetic:adding", _ADDING, window={"scaler": "none"},
               model={"cell": "lstm", "hidden_size": 32},
               train={"epochs": 25, "batch_size": 32, "lr": 3e-3, "clip_norm": 1.0, "probe_every": 1})
# min-max scaling and a longer training part: the test years lie above every level the training part saw
_AIRLINE = _cfg("sample:airline_passengers", window={"lookback": 24, "train_fraction": 0.8, "val_fraction": 0.1,
                                                     "scaler": "minmax"},
                model={"cell": "lstm", "hidden_size": 32},
                train={"epochs": 150, "lr": 1e-2, "batch_size": 16, "patience": 30})
_EXPLODE = _cfg("synthetic:random_walk", {"length": 2000}, window={"lookback": 50},
                model={"cell": "rnn", "hidden_size": 64},
                train={"epochs": 20, "optimizer": "sgd", "lr": 0.3, "batch_size": 32})
_OVERFIT = _cfg("sample:sunspots", window={"lookback": 22},
                model={"cell": "lstm", "hidden_size": 128, "num_layers": 2},
                train={"epochs": 100, "lr": 2e-3, "batch_size": 16})
_TEXT = _cfg("sample:genesis", window={"lookback": 48}, model={"cell": "lstm", "hidden_size": 64},
             train={"epochs": 20, "batch_size": 64, "lr": 0.005}, task="charlm")
_SIGN = _cfg("synthetic:sign_memory", model={"hidden_size": 16}, train={"epochs": 10, "batch_size": 32, "lr": 0.01},
             task="classify")

SCENARIOS = (
    Scenario("airline", (_AIRLINE,)),
    Scenario("memory", _variants(_MEMORY, "model", [{"cell": "rnn", "hidden_size": 32},
                                                    {"cell": "lstm", "hidden_size": 32},
                                                    {"cell": "gru", "hidden_size": 32}])),
    Scenario("article", _variants(_ARTICLE, "model", [{"cell": "lstm", "activation": "relu"},
                                                      {"cell": "article_lstm", "activation": "tanh"}])),
    Scenario("exploding", _variants(_EXPLODE, "train", [{"clip_norm": 0.0}, {"clip_norm": 1.0}])),
    Scenario("forget_bias", _variants(_MEMORY, "model", [{"cell": "lstm", "forget_bias": 0.0},
                                                         {"cell": "lstm", "forget_bias": 1.0}])),
    Scenario("scaling", _variants(_AIRLINE, "window", [{"scaler": "none"}, {"scaler": "minmax"}])),
    Scenario("overfitting", _variants(_OVERFIT, "train", [{"patience": 0}, {"patience": 15}])),
    Scenario("text_lstm", (_TEXT,)),  # a text, and labelled sequences: which cell remembers
    Scenario("memory_rnn", (_SIGN.replace(model={"cell": "rnn"}),)),
    Scenario("memory_lstm", (_SIGN.replace(model={"cell": "lstm"}),)),
    Scenario("memory_forget_bias", (_SIGN.replace(model={"cell": "lstm", "forget_bias": 1.0}),)),
    Scenario("memory_gru", (_SIGN.replace(model={"cell": "gru"}),)),
)


def scenario(key: str) -> Scenario:
    for s in SCENARIOS:
        if s.key == key:
            return s
    raise KeyError(f"no scenario {key!r}; there are: {', '.join(s.key for s in SCENARIOS)}")
