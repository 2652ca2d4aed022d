"""rnncore: recurrent networks you can train live and look inside. No Streamlit here.

Names are imported on first use, so ``import rnncore`` stays quick (torch loads only
when a model or trainer is asked for).
"""

from importlib import import_module

_EXPORTS = {
    "DataError": "rnncore.data",
    "Dataset": "rnncore.data",
    "load_csv": "rnncore.data",
    "load_sample": "rnncore.data",
    "list_samples": "rnncore.data",
    "load_source": "rnncore.data",
    "generate": "rnncore.generators",
    "list_generators": "rnncore.generators",
    "ConfigError": "rnncore.config",
    "ExperimentConfig": "rnncore.config",
    "DataConfig": "rnncore.config",
    "WindowConfig": "rnncore.config",
    "ModelConfig": "rnncore.config",
    "TrainConfig": "rnncore.config",
    "make_windows": "rnncore.windows",
    "Windows": "rnncore.windows",
    "SequenceModel": "rnncore.models",
    "Trace": "rnncore.models",
    "Trainer": "rnncore.training",
    "Progress": "rnncore.training",
    "RunResult": "rnncore.training",
    "run_experiment": "rnncore.training",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'rnncore' has no attribute {name!r}")


def __dir__():
    return __all__
