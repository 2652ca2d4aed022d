"""Training: the epoch loop (``loop``), the Trainer thread (``trainer``), what a run reports
(``progress``, ``status``), the server's limits (``limits``), metrics and results."""

from rnncore.training.trainer import EpochRecord, Progress, RunLimits, RunResult, Trainer, forecast, run_experiment

__all__ = ["EpochRecord", "Progress", "RunLimits", "RunResult", "Trainer", "forecast", "run_experiment"]
