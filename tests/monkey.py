"""A seeded, model-based random tester ("monkey") of the whole app, over AppTest.

It draws random user actions (clicks, double clicks, widget changes, page and language switches,
uploads, run zips in and out, waits, a closed tab) from a seeded generator, plays them on the
app, and after every step checks what must always hold:

- no exception on the page, and no shielded error ("Something went wrong") either;
- the Train and Evaluate pages draw the run they name from that run's own data;
- the run history only grows (up to its bound), and its run numbers only go up;
- a stopped run keeps its history, and (while it is among the latest) its weights;
- the Train page's buttons match the run's status;
- no training thread outlives Stop (or a closed tab) by more than a few seconds.

A failure prints its seed and the action list shrunk to the fewest actions that still fail, which
replays it. The suite runs a fixed budget (tests/test_monkey.py); a long soak runs from the shell::

    python -m tests.monkey --actions 10000 --seed 1
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.apptest import all_labs, follow_language, new_app, session_lab, stop_everything, texts

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "tests" / "corpus").glob("*.csv"))
PAGES = ["home", "data", "train", "inside", "evaluate", "compare", "learn", "tasks"]
SAMPLES = ["airline_passengers", "sunspots", "stocks", "co2"]
GENERATORS = {"sine": {"length": 300}, "adding": {"steps": 20, "samples": 300}, "ar2": {"length": 400},
              "lorenz": {"length": 500}}
TRAIN_BUTTONS = ["b.start", "b.pause", "b.step", "b.stop"]  # keys: the same in every language
CHOICES = {"evaluate.split": ["test", "val"], "inside.split": ["test", "val", "train"]}  # non-setting choices
STOP_SECONDS = 8.0  # how long a training thread may outlive Stop: the epoch in progress, then evaluating


@dataclass(frozen=True)
class Action:
    """One thing a person does; ``args`` fix every random choice, so a list of Actions replays."""

    name: str
    args: tuple = ()

    def __str__(self) -> str:
        return f"{self.name}{self.args}"


def draw(rng: random.Random, page: str) -> Action:
    """A random action; most happen on the page the person is on."""
    roll = rng.random()
    if roll < 0.15:
        return Action("page", (rng.choice(PAGES),))
    if roll < 0.20:
        return Action("language", (rng.choice(["en", "zh"]),))
    if roll < 0.27:
        return Action("wait", (rng.choice([0.1, 0.5, 1.5]),))
    if roll < 0.29:
        return Action("close_tab")
    if page == "data":
        return rng.choice([Action("sample", (rng.choice(SAMPLES),)),
                           Action("generate", (rng.choice(list(GENERATORS)),)),
                           Action("upload", (rng.choice(CORPUS).name,)),
                           Action("number", ("lookback", rng.choice([1, 6, 12, 24, 60, 400]))),
                           Action("number", ("horizon", rng.choice([1, 2, 5]))),
                           Action("choice", ("scaler", rng.randrange(3)))])
    if page == "train":
        if rng.random() < 0.6:
            key = rng.choice(TRAIN_BUTTONS)
            return Action("double_click" if rng.random() < 0.15 else "click", (key,))
        return rng.choice([Action("number", ("epochs", rng.choice([1, 3, 8, 30, 200]))),
                           Action("number", ("hidden_size", rng.choice([1, 4, 16]))),
                           Action("number", ("num_layers", rng.choice([1, 2]))),
                           Action("choice", ("cell", rng.randrange(4))),
                           Action("choice", ("optimizer", rng.randrange(4))),
                           Action("choice", ("activation", rng.randrange(2)))])
    if page == "home":
        return Action("scenario", (rng.randrange(7),))
    if page == "compare":
        return rng.choice([Action("click", ("b.sweep",)), Action("import", (rng.choice(["own", "junk"]),))])
    if page == "evaluate":
        return rng.choice([Action("click", ("b.continue",)),
                           Action("choice", ("evaluate.split", rng.randrange(2))),
                           Action("number", ("evaluate.steps", rng.choice([1, 12, 100])))])
    if page == "tasks":
        task = rng.choice(["charlm", "classify"])
        return rng.choice([Action("task", (task,)), Action("click", ("b.tasks.start",)),
                           Action("click", ("b.tasks.stop",)),
                           Action("number", (f"w.tasks.{task}.epochs", rng.choice([1, 2, 50]))),
                           Action("number", (f"w.tasks.{task}.hidden_size", rng.choice([1, 4, 16]))),
                           Action("number", ("w.tasks.temperature", rng.choice([0.1, 1.0, 2.0]))),
                           Action("number", ("w.tasks.position", rng.randrange(400)))])
    if page == "inside":
        return rng.choice([Action("choice", ("inside.split", rng.randrange(3))),
                           Action("number", ("inside.window", rng.randrange(50)))])
    return Action("wait", (0.1,))


class Monkey:
    """Plays Actions on one app session and checks the invariants after each."""

    def __init__(self):
        old = all_labs()  # a closed tab's Lab, still stopping its run
        self.at = new_app()
        self.lab = session_lab(old)
        self.page = "home"
        self.seen_ids: list[int] = []
        self.stopped_at: float | None = None

    # playing -------------------------------------------------------------------------------
    def play(self, action: Action) -> None:
        getattr(self, f"_{action.name}")(*action.args)
        self.check()

    def _run(self) -> None:
        self.at.run()

    def _page(self, name: str) -> None:
        self.page = name
        self.at.switch_page(f"views/{name}.py")
        self._run()

    def _language(self, lang: str) -> None:
        box = [b for b in self.at.sidebar.selectbox if b.key == "w.lang"]
        if box:
            box[0].set_value(lang)
            self._run()

    def _wait(self, seconds: float) -> None:
        time.sleep(seconds)
        self._run()

    def _close_tab(self) -> None:
        """What closing every tab of the workspace does once its grace period is over (rnncore.lab.shared: the
        Lab's training is told to stop), then a new tab on the same server."""
        self.lab.stop()
        self.stopped_at = time.monotonic()
        stop_everything()
        self.__init__()  # a new session: a new Lab with no runs

    def _widget(self, kind: str, name: str):
        key = name if "." in name else f"w.{name}"
        found = [w for w in getattr(self.at, kind) if w.key == key]
        return found[0] if found else None

    def _number(self, name: str, value) -> None:
        box = self._widget("number_input", name) or self._widget("slider", name)
        if box is None or box.disabled:
            return
        if box.min is not None:  # a slider; a number box takes what is typed, and refuses what it cannot use
            value = min(max(value, box.min), box.max)
        box.set_value(type(box.value)(value))
        self._run()

    def _choice(self, name: str, index: int) -> None:
        """Pick option ``index`` of a selectbox or radio (by value: AppTest's ``options`` are the labels)."""
        from rnncore.config import SETTINGS

        box = self._widget("selectbox", name) or self._widget("radio", name)
        if box is None or box.disabled or not box.options:
            return
        values = list(SETTINGS[name].choices) if name in SETTINGS else CHOICES[name]
        labels = [box.format_func(v) for v in values]
        offered = [v for v, label in zip(values, labels, strict=True) if label in box.options]
        box.set_value(offered[index % len(offered)])
        self._run()

    def _click(self, key: str) -> None:
        buttons = [b for b in self.at.button if b.key == key and not b.disabled]
        if buttons:
            if key == "b.stop":
                self.stopped_at = time.monotonic()
            buttons[0].click()
            self._run()

    def _task(self, name: str) -> None:
        found = [w for w in self.at.segmented_control if w.key == "w.tasks.task"]
        if found:
            found[0].set_value(name)
            self._run()

    def _double_click(self, key: str) -> None:
        self._click(key)
        self._click(key)

    def _scenario(self, index: int) -> None:
        buttons = [b for b in self.at.button if str(b.key).startswith("scenario.")]
        if buttons:
            buttons[index % len(buttons)].click()
            self._run()
            self.page = "train" if any(b.key == "b.start" for b in self.at.button) else "compare"

    def _sample(self, name: str) -> None:
        box = self._widget("selectbox", "sample")
        if box is not None:
            box.set_value(name)
            buttons = [b for b in self.at.button if b.key == "b.use_sample"]
            if buttons:
                buttons[0].click()
            self._run()

    def _generate(self, name: str) -> None:
        box = self._widget("selectbox", "generator")
        if box is None:
            return
        box.set_value(name)
        self._run()
        for param, value in GENERATORS[name].items():
            field = self._widget("number_input", f"w.gen.{name}.{param}")
            if field is not None:
                field.set_value(value)
        buttons = [b for b in self.at.button if b.key == "b.generate"]
        if buttons:
            buttons[0].click()
        self._run()

    def _upload(self, file_name: str) -> None:
        uploader = [u for u in self.at.get("file_uploader") if u.key == "w.upload"]
        if uploader:
            uploader[0].set_value((file_name, (ROOT / "tests" / "corpus" / file_name).read_bytes(), "text/csv"))
            self._run()

    def _import(self, what: str) -> None:
        from rnncore.io.bundle import export_run

        uploader = [u for u in self.at.get("file_uploader") if u.key == "w.import"]
        kept = [r for r in self.lab.runs if r.result is not None]
        if not uploader:
            return
        data = export_run(kept[-1].result, kept[-1].history) if what == "own" and kept else b"PK\x03\x04junk"
        uploader[0].set_value(("run.zip", data, "application/zip"))
        self._run()

    # checking ------------------------------------------------------------------------------
    def check(self) -> None:
        at, lab = self.at, self.lab
        assert not at.exception, [e.message for e in at.exception]
        assert "Something went wrong" not in texts(at) and "此页面出错了" not in texts(at)
        ids = [r.id for r in lab.runs]
        most = lab.archive.store.settings.max_runs if lab.archive.stored else lab.max_runs
        assert ids == sorted(ids) and len(ids) <= most, ids
        kept = [i for i in self.seen_ids if i >= (ids[0] if ids else 0)]
        assert set(kept) <= set(ids), (self.seen_ids, ids)  # only the oldest leave, at the bound
        self.seen_ids = ids
        for record in lab.runs:
            if record.status == "stopped" and record.result is not None:
                assert record.metrics and len(record.history) == len(record.result.history)
        self._check_train_page()
        self._check_threads()

    def _check_train_page(self) -> None:
        lab = self.lab
        if self.page != "train" or lab.status().moving:
            return
        shown = {b.key: b.disabled for b in self.at.button}
        if shown.get("b.step"):
            # Step is greyed exactly when the page was drawn for a queued or running run, and such a page polls
            # (ui/training_panel.py): a run that moved on by itself since the script run (an epoch ended and it
            # paused, a stopped run published its end) is redrawn within a second in a browser. AppTest's timers
            # never fire, so poll once, as the browser would; a run not moving does not move without a click.
            self._run()
            if lab.status().moving:
                return
            shown = {b.key: b.disabled for b in self.at.button}
        can = lab.controls()
        if "b.start" in shown:
            assert shown["b.start"] == (not can.start), (shown, lab.status())
            assert shown["b.stop"] == (not can.stop), (shown, lab.status())
            assert shown["b.step"] == (not can.step), (shown, lab.status())
        chart = truth_drawn(self.at)
        run = lab.current
        if chart is not None and run is not None:
            from rnncore.viz.plots import downsample

            truth = run.windows.target_values
            assert len(chart) == len(downsample(len(truth))), "the Train page drew other data than its run's"
            np.testing.assert_allclose(chart, truth[downsample(len(truth))], rtol=1e-6)

    def _check_threads(self) -> None:
        if self.stopped_at is None or self.lab.busy:
            return
        left = [t for t in threading.enumerate() if t.name == "rnnlab-trainer" and t.is_alive()]
        if left and time.monotonic() - self.stopped_at > STOP_SECONDS:
            raise AssertionError(f"{len(left)} training thread(s) outlived Stop by {STOP_SECONDS} s")
        if not left:
            self.stopped_at = None

    def close(self) -> None:
        stop_everything()


def truth_drawn(at):
    """The truth line of the Train page's prediction chart, or None."""
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        data = spec.get("data") or []
        if data and data[0].get("name") in ("truth", "真实值") and str(chart.key) == "live.pred":
            y = data[0]["y"]
            if isinstance(y, dict):  # numpy arrays travel as base64
                return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
            return np.asarray(y, dtype=np.float32)
    return None


def play(seed: int, steps: int) -> list[Action]:
    """Play ``steps`` random actions from ``seed``; on a failure, raise with the seed and a shrunk replay."""
    rng = random.Random(seed)
    monkey, actions = Monkey(), []
    try:
        for _ in range(steps):
            actions.append(draw(rng, monkey.page))
            monkey.play(actions[-1])
    except Exception as failure:  # an invariant, or anything the app or the harness raised
        monkey.close()
        shrunk = shrink(actions)
        replay = "\n".join(f"  {a}" for a in shrunk)
        pytest.fail(f"monkey seed {seed} failed after {len(actions)} actions: {failure}\n"
                    f"shrunk to {len(shrunk)} actions that still fail (replay with tests.monkey.replay):\n{replay}")
    monkey.close()
    return actions


def replay(actions: list[Action]) -> bool:
    """Play ``actions``; True when an invariant fails."""
    monkey = Monkey()
    try:
        for action in actions:
            monkey.play(action)
    except Exception:
        return True
    finally:
        monkey.close()
    return False


def shrink(actions: list[Action], budget: int = 40) -> list[Action]:
    """Delta debugging: drop chunks of actions while the rest still fails (at most ``budget`` replays)."""
    chunk = max(1, len(actions) // 2)
    while chunk >= 1 and budget > 0:
        start, dropped = 0, False
        while start < len(actions) and budget > 0:
            candidate = actions[:start] + actions[start + chunk:]
            budget -= 1
            if candidate and replay(candidate):
                actions, dropped = candidate, True
            else:
                start += chunk
        if not dropped:
            chunk //= 2
    return actions


def main() -> None:
    parser = argparse.ArgumentParser(description="A long monkey soak of the app over AppTest.")
    parser.add_argument("--actions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-session", type=int, default=200, help="actions before a fresh app")
    args = parser.parse_args()
    started, done, seed = time.monotonic(), 0, args.seed
    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryDirectory(prefix="rnnlab-soak-") as folder:
        follow_language(patch)  # as tests/test_monkey.py does: see tests/apptest.py
        patch.setenv("RNNLAB_STORE", f"sqlite:///{folder}/store.sqlite3")  # never the store beside the code
        while done < args.actions:
            steps = min(args.per_session, args.actions - done)
            try:
                play(seed, steps)
            except pytest.fail.Exception as failure:
                print(failure, flush=True)
                raise SystemExit(1) from None
            done += steps
            seed += 1
            print(f"{done} actions, {time.monotonic() - started:.0f} s, no failure", flush=True)


if __name__ == "__main__":
    main()
