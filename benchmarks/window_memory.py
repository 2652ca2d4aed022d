"""Peak memory and time of make_windows on a 1,000,000-row, 4-column float32 series.

Windows are views of one scaled copy of the series, so building them must not need more
than twice the memory of the series itself. Run: ``python benchmarks/window_memory.py``.
"""

import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from rnncore.config import WindowConfig  # noqa: E402
from rnncore.data import Dataset  # noqa: E402
from rnncore.data.windows import make_windows  # noqa: E402

ROWS, COLUMNS, LOOKBACK, LIMIT = 1_000_000, 4, 100, 2.0


def rss_mib() -> float:
    """Resident set size of this process now (Linux /proc), in MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> int:
    rng = np.random.default_rng(0)
    columns = [f"c{i}" for i in range(COLUMNS)]
    frame = pd.DataFrame({name: rng.standard_normal(ROWS, dtype=np.float32) for name in columns})
    dataset = Dataset(frame=frame, name="benchmark")
    series_bytes = int(frame.memory_usage(index=False).sum())
    make_windows(dataset.__class__(frame=frame.iloc[:1000], name="warm-up"), WindowConfig(lookback=10))

    print(f"series: {ROWS:,} rows x {COLUMNS} float32 columns = {series_bytes / 2**20:.1f} MiB; "
          f"lookback {LOOKBACK}, all 4 columns as features")
    worst = 0.0
    for scaler in ("standard", "minmax", "none"):
        window = WindowConfig(lookback=LOOKBACK, scaler=scaler)
        rss_before = rss_mib()
        tracemalloc.start()
        start = time.perf_counter()
        windows = make_windows(dataset, window, target="c0", features=columns)
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        ratio = peak / series_bytes
        worst = max(worst, ratio)
        views = all(np.shares_memory(part.x, windows.series) for part in (windows.train, windows.val))
        windows_gib = sum(part.x.size for part in (windows.train, windows.val, windows.test)) * 4 / 2**30
        print(f"scaler {scaler:8s}: {seconds:5.2f} s, peak traced {peak / 2**20:5.1f} MiB "
              f"= {ratio:.2f} x series, RSS held {rss_mib() - rss_before:5.1f} MiB; "
              f"{len(windows.train):,} train windows "
              f"(would be {windows_gib:.1f} GiB as copies), views: {views}")
        del windows
    verdict = "PASS" if worst <= LIMIT else "FAIL"
    print(f"{verdict}: worst peak {worst:.2f} x the series (limit {LIMIT:.1f})")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
