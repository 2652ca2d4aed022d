"""rnncore: recurrent networks you can train live and look inside. No Streamlit here.

Names are imported on first use, so ``import rnncore`` stays quick (torch loads only
when a model or trainer is asked for).
"""

from importlib import import_module

_EXPORTS = {
    "DataError": "rnncore.errors",
    "ConfigError": "rnncore.errors",
    "BundleError": "rnncore.errors",
    "Dataset": "rnncore.data.dataset",
    "load_csv": "rnncore.data.reading",
    "load_sample": "rnncore.data.samples",
    "list_samples": "rnncore.data.samples",
    "load_source": "rnncore.data.sources",
    "generate": "rnncore.data.generators",
    "list_generators": "rnncore.data.generators",
    "make_windows": "rnncore.data.windows",
    "Windows": "rnncore.data.windows",
    "ExperimentConfig": "rnncore.config",
    "DataConfig": "rnncore.config",
    "WindowConfig": "rnncore.config",
    "ModelConfig": "rnncore.config",
    "TrainConfig": "rnncore.config",
    "SequenceModel": "rnncore.nn.models",
    "Trace": "rnncore.nn.models",
    "Trainer": "rnncore.training.trainer",
    "Progress": "rnncore.training.progress",
    "RunResult": "rnncore.training.results",
    "run_experiment": "rnncore.training.trainer",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'rnncore' has no attribute {name!r}")


def __dir__():
    return __all__
