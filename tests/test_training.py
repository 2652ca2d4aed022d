"""The Trainer: controls, snapshot, stopping rules, reproducibility, results."""

import threading
import time

import numpy as np
import pytest
import torch

from rnncore.config import ConfigError, ExperimentConfig
from rnncore.data.generators import generate
from rnncore.training import RunLimits, Trainer, forecast, run_experiment

torch.set_num_threads(1)


def tiny(**train):
    cfg = ExperimentConfig().replace(
        data={"source": "synthetic:sine", "params": {"length": 300}},
        window={"lookback": 8}, model={"hidden_size": 4}, train={"epochs": 3, "batch_size": 16, **train})
    return cfg


@pytest.fixture(scope="module")
def sine():
    return generate("sine", length=300)


def wait_for(condition, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.005)
    raise AssertionError("condition not reached in time")


def losses(history):
    return [(r.train_loss, r.val_loss, r.grad_norm, tuple(r.layer_grad_norms.values())) for r in history]


def test_run_records_every_epoch_and_probes_gradients_through_time(sine):
    trainer = Trainer(tiny(epochs=7, probe_every=3), sine)
    seen = []
    trainer._callbacks = (lambda p: seen.append(p.grad_through_time_epoch),)
    result = trainer.run()
    assert result.status == "finished" and len(result.history) == 7
    assert [r.epoch for r in result.history] == list(range(1, 8))
    assert seen == [1, 1, 3, 3, 3, 6, 7]  # epoch 1, every 3rd, and the last
    record = result.history[0]
    assert set(record.layer_grad_norms) == {"layer 0", "head"} and record.grad_norm > 0
    assert record.lr == pytest.approx(1e-3) and record.seconds > 0
    progress = trainer.snapshot()
    assert progress.grad_through_time.shape == (8,) and progress.grad_through_time.dtype == np.float32
    assert np.all(progress.grad_through_time >= 0)
    assert progress.best_epoch is not None and progress.eta is None


def test_start_pause_step_resume_stop(sine):
    trainer = Trainer(tiny(epochs=100_000), sine)
    trainer.start()
    wait_for(lambda: trainer.snapshot().epoch >= 2)
    trainer.pause()
    wait_for(lambda: trainer.snapshot().status == "paused")
    paused_at = trainer.snapshot().epoch
    time.sleep(0.1)
    assert trainer.snapshot().epoch == paused_at
    trainer.step()
    wait_for(lambda: trainer.snapshot().epoch == paused_at + 1)
    wait_for(lambda: trainer.snapshot().status == "paused")
    time.sleep(0.1)
    assert trainer.snapshot().epoch == paused_at + 1  # exactly one epoch
    trainer.resume()
    wait_for(lambda: trainer.snapshot().epoch >= paused_at + 3)
    trainer.stop()
    assert trainer.join(timeout=5)
    progress = trainer.snapshot()
    assert progress.status == "stopped" and "stopped" in progress.message
    trainer.stop()  # stopping twice is harmless
    assert trainer.snapshot().status == "stopped"
    assert len(trainer.result().history) == progress.epoch


def test_step_from_idle_then_stop_while_paused(sine):
    trainer = Trainer(tiny(epochs=50), sine)
    trainer.step()
    wait_for(lambda: trainer.snapshot().status == "paused")
    assert trainer.snapshot().epoch == 1
    started = time.monotonic()
    trainer.stop()
    assert trainer.join(timeout=2) and time.monotonic() - started < 1
    assert trainer.snapshot().status == "stopped"


def test_stop_before_start(sine):
    trainer = Trainer(tiny(), sine)
    trainer.stop()
    trainer.stop()
    assert trainer.snapshot().status == "stopped" and trainer.join(0.1)


def test_snapshot_from_another_thread_is_consistent(sine):
    trainer = Trainer(tiny(epochs=12), sine)
    problems, versions = [], []

    def read():
        while not problems and trainer.snapshot().status not in ("finished", "failed"):
            p = trainer.snapshot()
            versions.append(p.version)
            if len(p.history) != p.epoch or [r.epoch for r in p.history] != list(range(1, p.epoch + 1)):
                problems.append(p)
            time.sleep(0.001)  # poll hard, but let the GIL go: a spinning reader starves any thread

    reader = threading.Thread(target=read)
    trainer.start()
    reader.start()
    assert trainer.join(timeout=30)
    reader.join()
    assert not problems
    assert versions == sorted(versions) and versions[-1] > versions[0]
    assert trainer.snapshot().version >= versions[-1]


def test_early_stopping_restores_the_best_weights(sine):
    states = {}
    cfg = tiny(epochs=200, patience=3, lr=0.05).replace(data={"params": {"length": 300, "noise": 2.0}})
    trainer = Trainer(cfg, generate("sine", length=300, noise=2.0))
    trainer._callbacks = (lambda p: states.update({p.epoch: {k: v.clone() for k, v in
                                                             trainer.model.state_dict().items()}}),)
    result = trainer.run()
    best = trainer.snapshot().best_epoch
    assert "early stopping" in result.message and len(result.history) == best + 3
    for name, value in trainer.model.state_dict().items():
        torch.testing.assert_close(value, states[best][name], rtol=0, atol=0)
    vals = [r.val_loss for r in result.history]
    assert min(vals) == vals[best - 1]


def test_divergence_keeps_history_and_weights(sine):
    trainer = Trainer(tiny(epochs=10), sine)

    def poison(progress):
        if progress.epoch == 2:
            with torch.no_grad():
                trainer.model.head.bias.fill_(float("inf"))

    trainer._callbacks = (poison,)
    result = trainer.run()
    assert result.status == "diverged"
    assert "epoch 3" in result.message and "learning rate" in result.message
    assert "the loss became inf, not a finite number" in result.message
    assert trainer.snapshot().details["value"] == "inf"  # text: JSON and the store keep it (a float inf became None)
    assert len(result.history) == 2
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())


def test_huge_learning_rate_diverges(sine):
    result = Trainer(tiny(epochs=20, lr=10.0, optimizer="sgd"), sine).run()
    assert result.status == "diverged" and "clip" in result.message


def test_an_exception_in_the_loop_fails_the_run(sine):
    def boom(progress):
        raise RuntimeError("boom in a callback")

    trainer = Trainer(tiny(), sine, callbacks=[boom])
    trainer.start()
    assert trainer.join(timeout=10)
    progress = trainer.snapshot()
    assert progress.status == "failed" and "boom in a callback" in progress.message
    assert "Traceback" not in progress.message and "Traceback" in progress.error


def test_slots_queue_runs_and_are_released(sine):
    slots = threading.Semaphore(1)
    slots.acquire()
    trainer = Trainer(tiny(), sine, slots=slots)
    trainer.start()
    assert wait_for(lambda: trainer.snapshot().reason == "queued")  # said once it has to wait, not before
    assert trainer.snapshot().status == "queued" and "slot" in trainer.snapshot().message
    slots.release()
    assert trainer.join(timeout=10) and trainer.snapshot().status == "finished"
    assert slots.acquire(blocking=False)  # released at the end
    queued = Trainer(tiny(), sine, slots=slots)  # the test holds the only slot
    queued.start()
    wait_for(lambda: queued.snapshot().status == "queued")
    queued.stop()
    assert queued.join(timeout=2) and queued.snapshot().status == "stopped"


def test_limits_are_checked_at_construction(sine):
    with pytest.raises(ConfigError, match="max_epochs=5"):
        Trainer(tiny(epochs=10), sine, limits=RunLimits(max_epochs=5))
    with pytest.raises(ConfigError, match="max_lookback"):
        Trainer(tiny(), sine, limits=RunLimits(max_lookback=4))
    with pytest.raises(ConfigError, match="max_parameters"):
        Trainer(tiny(), sine, limits=RunLimits(max_parameters=10))
    with pytest.raises(ConfigError, match="max_seconds"):
        Trainer(tiny(max_seconds=60), sine, limits=RunLimits(max_seconds=5))
    Trainer(tiny(), sine, limits=RunLimits(max_epochs=5, max_parameters=10_000, max_lookback=8))


def test_time_limit_ends_the_run(sine):
    result = Trainer(tiny(epochs=100_000), sine, limits=RunLimits(max_seconds=0.3)).run()
    assert result.status == "finished" and "time limit" in result.message


def test_same_seed_same_history_with_concurrent_trainers(sine):
    cfg = tiny(epochs=4).replace(model={"num_layers": 2, "dropout": 0.3})
    solo = losses(Trainer(cfg, sine).run().history)
    trainers = [Trainer(cfg, sine), Trainer(cfg, sine), Trainer(cfg.replace(train={"seed": 1}), sine)]
    for t in trainers:
        t.start()
    assert all(t.join(timeout=60) for t in trainers)
    assert losses(trainers[0].result().history) == solo
    assert losses(trainers[1].result().history) == solo
    assert losses(trainers[2].result().history) != solo


@pytest.mark.parametrize("train", [{"optimizer": "adamw", "loss": "huber"}, {"optimizer": "sgd", "loss": "mae"},
                                   {"optimizer": "rmsprop", "scheduler": "plateau", "clip_norm": 0.5}])
def test_optimizers_losses_and_schedules_train(sine, train):
    result = Trainer(tiny(**train), sine).run()
    assert result.status == "finished"
    assert all(np.isfinite(r.train_loss) for r in result.history)


def test_cuda_requested_without_a_gpu_is_a_config_error(sine):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ConfigError, match="cuda"):
        Trainer(tiny(device="cuda"), sine)


def test_result_metrics_baselines_predictions_and_forecast():
    cfg = tiny(epochs=2).replace(data={"source": "sample:airline_passengers", "params": {}},
                                 window={"lookback": 12, "horizon": 2})
    result = run_experiment(cfg)
    assert set(result.metrics) == {"val", "test", "per_step"}
    assert set(result.metrics["test"]) == {"rmse", "mae", "mape", "r2", "mase"}
    assert len(result.metrics["per_step"]["test"]) == 2
    assert set(result.baselines) == {"mean", "persistence", "seasonal_naive", "linear"}
    test = result.predictions["test"]
    assert test.index.name == "time"
    assert {"truth_1", "truth_2", "model_1", "persistence_2", "seasonal_naive_1", "linear_2"} <= set(test.columns)
    assert result.parameters == result.model.num_parameters()
    assert forecast(result, 5).shape == (5,)
    np.testing.assert_allclose(forecast(result, 2, "direct"), forecast(result, 2), rtol=1e-6)
    with pytest.raises(ConfigError, match="horizon"):
        forecast(result, 3, method="direct")


def test_recursive_forecast_needs_the_target_alone():
    cfg = tiny(epochs=1).replace(data={"source": "synthetic:lorenz", "params": {"length": 300},
                                       "target": "x", "features": ("x", "y")})
    result = run_experiment(cfg)
    assert forecast(result, 1, method="direct").shape == (1,)
    with pytest.raises(ConfigError, match="only feature"):
        forecast(result, 4)


def test_memory_task_result_uses_mean_baseline():
    cfg = tiny(epochs=1).replace(data={"source": "synthetic:adding", "params": {"steps": 10, "samples": 200}},
                                 window={"lookback": 10})
    result = run_experiment(cfg)
    assert set(result.baselines) == {"mean", "linear"} and not result.baseline_notes
    assert result.predictions["val"].index.name == "position"


def test_resume_and_step_read_running_at_once(sine):
    """A page redrawn right after Resume must see "running", or it stops polling (a real bug)."""
    trainer = Trainer(tiny(epochs=500), sine)
    trainer.start()
    trainer.pause()
    deadline = time.monotonic() + 30
    while trainer.snapshot().status != "paused" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert trainer.snapshot().status == "paused"
    trainer.resume()
    assert trainer.snapshot().status == "running"
    trainer.pause()
    while trainer.snapshot().status != "paused" and time.monotonic() < deadline:
        time.sleep(0.01)
    done = len(trainer.snapshot().history)
    trainer.step()
    assert trainer.snapshot().status == "running"
    while trainer.snapshot().status != "paused" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(trainer.snapshot().history) == done + 1
    trainer.stop()
    assert trainer.join(timeout=10)


def test_a_run_that_gets_a_slot_at_once_never_says_it_waits(sine):
    """Found by the cluster benchmark: every Start showed "All training slots are in use" for a moment."""
    trainer = Trainer(tiny(), sine, slots=threading.Semaphore(1))
    seen = []
    trainer.start()
    while not trainer.join(timeout=0.001):
        seen.append(trainer.snapshot().reason)
    assert "queued" not in seen and trainer.snapshot().status == "finished"


@pytest.mark.parametrize("window", [{}, {"horizon": 3, "difference": "first"}])
def test_a_run_without_a_validation_part_watches_its_training_loss_and_is_scored_on_test(sine, window):
    from rnncore.io.bundle import export_run, import_run

    trainer = Trainer(tiny().replace(window={"val_fraction": 0.0, **window}), sine)
    trainer.start()
    trainer.join()
    progress = trainer.snapshot()
    assert progress.error is None, progress.error
    assert progress.reason == "finished_no_val" and "there is no validation part" in progress.message
    assert all(record.val_loss is None for record in progress.history)
    result = trainer.result()
    assert set(result.metrics["val"].values()) == {None}  # nothing to score, not an error
    assert result.metrics["test"]["rmse"] > 0 and len(result.predictions["test"]) > 0
    assert len(result.predictions["val"]) == 0
    if "horizon" in window:
        assert all(set(step.values()) == {None} for step in result.metrics["per_step"]["val"])
    back = import_run(export_run(result, progress.history))  # and its zip comes back
    assert back.metrics["val"]["rmse"] is None and back.metrics["test"]["rmse"] == pytest.approx(
        result.metrics["test"]["rmse"])


def test_a_run_that_cannot_be_evaluated_logs_why(sine, monkeypatch, caplog):
    from rnncore.training.forecast import ForecastRun

    def broken(self, **_):
        raise ValueError("no windows to score")

    monkeypatch.setattr(ForecastRun, "result", broken)
    trainer = Trainer(tiny(epochs=1), sine)
    trainer.start()
    trainer.join()
    assert "ValueError: no windows to score" in trainer.snapshot().error
    assert any("no windows to score" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    with pytest.raises(RuntimeError, match="nothing to evaluate"):
        trainer.result()


def test_a_failing_end_callback_is_logged_and_the_run_still_ends(sine, caplog):
    def broken(trainer, final):
        raise OSError("the disk is full")

    trainer = Trainer(tiny(epochs=1), sine, on_end=[broken])
    trainer.start()
    trainer.join()
    assert trainer.snapshot().status == "finished"
    assert any("the disk is full" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


def test_layer_grad_norms_are_each_layers_gradient_norm_and_zero_without_one():
    from torch import nn

    from rnncore.training.update import layer_grad_norms

    torch.manual_seed(7)
    rnn, head, idle = nn.LSTM(2, 4), nn.Linear(4, 1), nn.Linear(3, 3)
    out, _ = rnn(torch.randn(5, 3, 2))
    head(out[-1]).pow(2).sum().backward()
    layers = {"layer 0": list(rnn.parameters()), "idle": list(idle.parameters()), "head": list(head.parameters())}
    expected = [float(nn.utils.get_total_norm([p.grad for p in params])) if params[0].grad is not None else 0.0
                for params in layers.values()]
    norms = layer_grad_norms(layers)
    assert norms.device.type == "cpu" and expected[1] == 0.0
    np.testing.assert_allclose(norms.numpy(), expected, rtol=1e-6)
