"""The dashboard as a user sees it: a real streamlit server driven by Debian's chromium.

(a) Start to first point: on the airline data with the default LSTM (32 units), the time from
    clicking Start to the first loss point in the page's Plotly chart (polled at about 20 Hz);
    a fresh session (page reload) for each repeat. Target: median under 2 s.
(b) Throughput while watching: epochs per second of a run with the Train page open and
    refreshing, against the same config through ``python -m rnncore train --config``. The
    dashboard gets the config through a shared link, so both runs are exactly the same.
    Target: at least 0.8. Also the same dashboard run while the Home page is shown (no live
    charts), to tell the cost of watching from the cost of training inside the server.
    ``--workload airline`` is the default LSTM of 32 units on the airline data (about 5 ms an
    epoch, so any fixed cost per refresh weighs heavily); ``--workload article`` is the
    article's recipe (LSTM 50 units, relu, lookback 30, a noisy sine of 1,000 points).
    ``--pin`` runs the server and the command line on core 1 and chromium on core 0, as in a
    classroom where the browser runs on the student's machine, not on the server.

    python benchmarks/dashboard_latency.py [--repeats 5] [--rounds 3] [--epochs N] [--workload airline|article] [--pin]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnncore.config import ExperimentConfig  # noqa: E402
from tests.browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    go_to,
    open_app,
    plot_points,
    progress_text,
    start_server,
    wait_idle,
)

PROGRESS = re.compile(r"Epoch (\d+) of (\d+) · ([\d.]+) s")


def main_button(page, name: str):
    return page.get_by_test_id("stMain").get_by_role("button", name=name, exact=True)


def first_point_seconds(page, url: str, timeout: float = 30.0) -> float:
    """Fresh session, Train page, click Start; seconds until the loss chart has a point."""
    open_app(page, url)
    go_to(page, "Train")
    start = main_button(page, "Start")
    started = time.perf_counter()
    start.click()
    while plot_points(page) <= 0:
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"no loss point within {timeout:.0f} s")
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    stop = main_button(page, "Stop")
    if stop.is_enabled():  # a short run may have finished already
        stop.click()
        wait_idle(page)
    return seconds


WORKLOADS = {
    "airline": ExperimentConfig(),
    "article": ExperimentConfig().replace(data={"source": "synthetic:sine", "params": {"length": 1000, "noise": 0.1}},
                                          window={"lookback": 30}, model={"hidden_size": 50, "activation": "relu"}),
}


def dashboard_epochs_per_second(page, url: str, config: ExperimentConfig, watch: bool = True) -> float:
    """A whole run: epochs / the run's own elapsed time, from the progress text once it finished.

    The config arrives as a shared link. ``watch``: the Train page stays open and refreshing;
    otherwise the run goes on while the Home page (no live charts) is shown, and the Train
    page is opened again once it finished.
    """
    epochs = config.train.epochs
    open_app(page, f"{url}/train?{urlencode(config.to_query())}")
    main_button(page, "Start").click()
    wait_idle(page)
    if not watch:
        go_to(page, "Home")
        page.get_by_test_id("stSidebar").get_by_text("Training: finished").wait_for(timeout=600_000)
        go_to(page, "Train")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        match = PROGRESS.search(progress_text(page))
        if match and int(match[1]) == int(match[2]) == epochs and page.get_by_text("Finished ·").count():
            return epochs / float(match[3])
        time.sleep(0.5)
    raise TimeoutError("the dashboard run did not finish within 600 s")


def cli_epochs_per_second(config: ExperimentConfig, prefix: list[str]) -> float:
    """``python -m rnncore train --config``: epochs per second between its first and last epoch lines.

    The whole loop (best-weights copy, probes, callbacks) counts, as in the dashboard's elapsed
    time; history.csv's ``seconds`` covers only training and validation.
    """
    epochs = config.train.epochs
    with tempfile.TemporaryDirectory() as out:
        path = Path(out) / "config.json"
        path.write_text(config.to_json())
        command = [*prefix, sys.executable, "-m", "rnncore", "train", "--config", str(path), "--out", out]
        with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
            stamps = [time.perf_counter() for line in process.stdout if line.startswith("epoch ")]
        if process.returncode != 0 or len(stamps) != epochs:
            raise RuntimeError(f"the CLI run failed (exit {process.returncode}, {len(stamps)} epochs)")
    return (epochs - 1) / (stamps[-1] - stamps[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="Start-to-first-point measurements")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (CLI, watched, unwatched each)")
    parser.add_argument("--epochs", type=int, help="default: 1000 (airline) or 100 (article), about 6 to 10 s")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="airline")
    parser.add_argument("--pin", action="store_true", help="server and CLI on core 1, chromium on core 0")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the streamlit server (to try a fix)")
    args = parser.parse_args()
    epochs = args.epochs or {"airline": 1000, "article": 100}[args.workload]
    env = dict(item.split("=", 1) for item in args.server_env)
    env.setdefault("RNNLAB_MAX_EPOCHS", str(max(epochs, 1000)))  # a longer run than the server's default limit
    config = WORKLOADS[args.workload].replace(train={"epochs": epochs})
    prefix = ["taskset", "-c", "1"] if args.pin else []
    if args.pin:
        os.sched_setaffinity(0, {0})  # this process and the chromium it starts
    where = "server and CLI pinned to core 1, chromium to core 0" if args.pin else "all on both cores"
    server = start_server(env=env, prefix=prefix)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            times = [first_point_seconds(page, server.url) for _ in range(args.repeats)]
            print(f"(a) Start to first loss point, {args.repeats} runs: " + ", ".join(f"{t:.2f}" for t in times))
            median, worst = statistics.median(times), max(times)
            print(f"    median {median:.2f} s, worst {worst:.2f} s  "
                  f"{'PASS' if median < 2.0 else 'FAIL'} (target: median under 2 s)")
            print(f"(b) {epochs} epochs, {args.workload} ({where}), epochs/s; the CLI runs while the server idles")
            watched, unwatched = [], []
            for i in range(args.rounds):  # interleaved, so a change in the machine's load hits all three
                cli = cli_epochs_per_second(config, prefix)
                watched.append(dashboard_epochs_per_second(page, server.url, config) / cli)
                unwatched.append(dashboard_epochs_per_second(page, server.url, config, watch=False) / cli)
                print(f"    round {i + 1}: CLI {cli:.1f}; Train page watched {watched[-1] * cli:.1f} "
                      f"(ratio {watched[-1]:.2f}); Home page shown {unwatched[-1] * cli:.1f} "
                      f"(ratio {unwatched[-1]:.2f})")
            browser.close()
    finally:
        server.stop()
    ratio = statistics.median(watched)
    print(f"    median ratio watched {ratio:.2f}  {'PASS' if ratio >= 0.8 else 'FAIL'} (target: at least 0.8); "
          f"with the Home page shown {statistics.median(unwatched):.2f}")


if __name__ == "__main__":
    main()
