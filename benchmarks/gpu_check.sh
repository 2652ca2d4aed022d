#!/usr/bin/env bash
# Issue 17's GPU checks in one go, for a machine with a CUDA GPU (the device tool runs it as it is):
# the cells on CUDA against the CPU and a run on CUDA reproducing itself (tests/test_cuda.py), then the
# throughput table on the CPU and the GPU. Output goes to $OUT (the device tool's folder) or ./gpu-check.
set -uo pipefail
out="${OUT:-gpu-check}"
mkdir -p "$out"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1
python -m pytest -p no:cacheprovider -q -n 0 tests/test_cuda.py 2>&1 | tee "$out/test_cuda.txt"
python benchmarks/device_throughput.py --seconds 0.5 2>&1 | tee "$out/throughput_lstm.txt"
python benchmarks/device_throughput.py --seconds 0.5 --activation relu 2>&1 | tee "$out/throughput_relu.txt"
