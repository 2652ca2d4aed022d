#!/usr/bin/env bash
# Issue 17's GPU checks in one go, for a machine with a CUDA GPU (the device tool runs it as it is), most
# important first: the cells on CUDA against the CPU and a run on CUDA reproducing itself (tests/test_cuda.py),
# the throughput table of one training step on the CPU and the GPU (fused LSTM, then the explicit relu LSTM),
# whole epochs as the app trains them, and the command line's --device cuda. Each part's output goes to a file
# in $OUT (the device tool's folder) or ./gpu-check as it runs, so a part that runs out of time keeps the rest.
#
#     bash benchmarks/gpu_check.sh [PART...]    (no PART: all of them; the machine's versions are always written)
#
# The machine needs torch (with CUDA), numpy, pandas, scikit-learn, scipy, safetensors and pytest; not the app's
# store, sweeps or UI packages (the tests run without tests/conftest.py, which sets up stores and browsers).
set -uo pipefail
out="${OUT:-gpu-check}"
python="$(command -v python3 || command -v python)"
export PYTHONUNBUFFERED=1
only=" $* "
mkdir -p "$out"

part() {  # part NAME COMMAND...: run a command, its output on the screen and in $out/NAME.txt, timed
  local name="$1" start=$SECONDS
  shift
  [[ "$only" == "  " || "$only" == *" $name "* ]] || return 0
  echo "== $name: $*"
  "$@" 2>&1 | tee "$out/$name.txt"
  echo "== $name: exit ${PIPESTATUS[0]}, $((SECONDS - start)) s"
}

{ nvidia-smi; lscpu | head -20; "$python" -c 'import torch; print("torch", torch.__version__, torch.version.cuda)
import pandas, pyarrow; print("pandas", pandas.__version__, "pyarrow", pyarrow.__version__)'
} > "$out/machine.txt" 2>&1
part native "$python" -c 'from rnncore.nn import native; print("missing:", native.missing()); print(native.module())'
part test_cuda "$python" -m pytest -p no:cacheprovider --noconftest -q -n 0 tests/test_cuda.py
part data "$python" -m pytest -p no:cacheprovider --noconftest -q -n 0 tests/test_csv_reading.py tests/test_data.py
part throughput_lstm "$python" benchmarks/device_throughput.py --seconds 0.5
part throughput_relu "$python" benchmarks/device_throughput.py --seconds 0.5 --activation relu
part epochs "$python" benchmarks/device_epochs.py --epochs 3
cli() {  # the command line's --device cuda, and its model file reopened on the CPU
  "$python" -m rnncore train --data sample:co2 --lookback 30 --scaler standard --hidden 50 --activation relu \
    --epochs 3 --device cuda --seed 0 --out /tmp/gpu-check-cli &&
  "$python" -c 'from rnncore.io.model_files import load_model
model, cfg = load_model("/tmp/gpu-check-cli")
print(f"trained on {cfg.train.device}, reopened on {next(model.parameters()).device}: {model.config.cell}")'
}
part cli cli
