"""Two sweep workers against one worker on a throwaway PostgreSQL: the same study, wall time, no trial lost.

A throwaway PostgreSQL server (tests/postgres.py) gets two databases; in each a study of ``--trials``
trials is made (the airline sample, a GRU or LSTM of 4 to 32 units, ``--epochs`` epochs, the median
pruner, seed 0), then worked by ``python -m rnncore sweep --join`` processes: one in the first database,
``--workers`` at once in the second. Each setup is timed from starting its processes to the last one's
exit (so each pays its processes' start, imports included). Then the study is read back: trial numbers
0..N-1 each exactly once, every trial ended (none left running), each printed by exactly one worker.

    python benchmarks/sweep_workers.py [--trials 20] [--epochs 30] [--workers 2] [--rounds 2]

One worker and several alternate, ``--rounds`` times each; the medians are compared. ``--wait S`` makes each
trial first wait S seconds without using the CPU (as a trial queued for a training slot does), which measures
the workers' coordination apart from how much CPU the machine has to give them.

Target: no trial duplicated or lost, and the workers together in less wall time than one. The last line
is a JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

import optuna

from rnncore.config import ExperimentConfig
from rnncore.sweeps import SearchSpace, Sweep
from tests.postgres import missing, start_postgres

ROOT = Path(__file__).resolve().parent.parent
SPACE = SearchSpace({"cell": ("lstm", "gru"), "hidden_size": (4, 32), "lr": (1e-3, 1e-1)})


WAITING = """
import sys, time
from rnncore.training import trainer
run = trainer.Trainer.run
def waiting(self):
    time.sleep({wait})  # as a trial queued for a training slot would wait, using no CPU
    return run(self)
trainer.Trainer.run = waiting
from rnncore.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def work(url: str, study: str, workers: int, wait: float = 0.0) -> tuple[float, float, list[list[int]]]:
    """Seconds until ``workers`` joined processes have spent the study's budget, the CPU seconds they took,
    and the trials each printed. ``wait``: each trial first waits that long without using the CPU."""
    cpu = _children_cpu()
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", WAITING.format(wait=wait)] if wait else [sys.executable, "-m", "rnncore"]
    running = [subprocess.Popen([*command, "sweep", "--join", "--study", study, "--storage", url], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(workers)]
    said = [p.communicate(timeout=1800) for p in running]
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
    for p, (_, err) in zip(running, said, strict=True):
        if p.returncode != 0:
            raise SystemExit(f"a worker failed ({p.returncode}): {err.strip()[-2000:]}")
    printed = [[int(line.split()[1]) for line in out.splitlines() if line.startswith("trial ")] for out, _ in said]
    return seconds, cpu, printed


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def check(url: str, study: str, trials: int, printed: list[list[int]]) -> dict:
    found = optuna.load_study(study_name=study, storage=url).get_trials(deepcopy=False)
    numbers = [t.number for t in found]
    every = sorted(n for mine in printed for n in mine)
    ended = sum(t.state.is_finished() for t in found)
    return {"trials_stored": len(found), "numbers_ok": numbers == list(range(trials)),
            "each_once": every == list(range(trials)), "ended": ended,
            "by_worker": [len(mine) for mine in printed], "epochs": sum(t.user_attrs.get("epochs", 0) for t in found),
            "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in found),
            "best": min((t.value for t in found if t.value is not None), default=None)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="one worker and several, alternating, each round")
    parser.add_argument("--wait", type=float, default=0.0,
                        help="seconds each trial first waits without the CPU (the coordination apart from the CPU)")
    args = parser.parse_args()
    why = missing()
    if why is not None:
        raise SystemExit(f"needs PostgreSQL: {why}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    base = ExperimentConfig().replace(model={"cell": "gru", "hidden_size": 8}, train={"epochs": args.epochs})
    figures: dict = {"trials": args.trials, "epochs": args.epochs, "workers": args.workers, "rounds": args.rounds,
                     "wait": args.wait,
                     "cpus": os.cpu_count(), "load_before": round(os.getloadavg()[0], 2)}
    runs: dict[str, list[dict]] = {"one": [], "several": []}
    with start_postgres() as server:
        for round_ in range(args.rounds):  # alternating, so that a change in the machine's load hits both alike
            setups = [("one", 1), ("several", args.workers)]
            for label, workers in setups if round_ % 2 == 0 else setups[::-1]:
                url = server.database(f"sweep_{label}")
                Sweep.create(base, SPACE, trials=args.trials, storage=url, study="bench").close()
                seconds, cpu, printed = work(url, "bench", workers, args.wait)
                result = check(url, "bench", args.trials, printed)
                runs[label].append({"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
                                    "epochs_per_second": round(result["epochs"] / seconds, 1), **result,
                                    "load": round(os.getloadavg()[0], 2)})
                print(f"round {round_ + 1}, {workers} worker(s): {seconds:.1f} s ({cpu:.1f} s of CPU), "
                      f"{result['trials_stored']} trials stored, numbers "
                      f"{'0..' + str(args.trials - 1) if result['numbers_ok'] else 'WRONG'}, each by one worker: "
                      f"{result['each_once']}, by worker {result['by_worker']}, {result['epochs']} epochs, "
                      f"{result['pruned']} pruned, load {os.getloadavg()[0]:.1f}", flush=True)
    for label, done in runs.items():
        figures[label] = {"seconds": statistics.median(r["seconds"] for r in done),
                          "epochs_per_second": statistics.median(r["epochs_per_second"] for r in done),
                          "runs": done}
    one, several = figures["one"], figures["several"]
    figures["speedup"] = round(one["seconds"] / several["seconds"], 2)
    figures["throughput_ratio"] = round(several["epochs_per_second"] / one["epochs_per_second"], 2)
    figures["no_trial_lost_or_twice"] = all(r["numbers_ok"] and r["each_once"] and r["ended"] == args.trials
                                            for done in runs.values() for r in done)
    figures["faster"] = several["seconds"] < one["seconds"]
    figures["load_after"] = round(os.getloadavg()[0], 2)
    print(f"{args.workers} workers: {figures['speedup']}x one worker's wall-time speed (medians), "
          f"{figures['throughput_ratio']}x its epochs per second; no trial lost or twice: "
          f"{figures['no_trial_lost_or_twice']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
