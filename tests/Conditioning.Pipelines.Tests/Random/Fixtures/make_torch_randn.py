#!/usr/bin/env python3
"""Writes torch_randn.json: reference draws of PyTorch's CPU generator for TorchCpuRandom's golden test.

    OMP_NUM_THREADS=1 /usr/bin/python3 tests/Conditioning.Pipelines.Tests/Random/Fixtures/make_torch_randn.py

Each case: torch.manual_seed(seed), then torch.randn(n) for each n in `calls` (float32, CPU), in order, so the
test checks both the values and how the generator state carries from one call to the next.
"""
import json
import os

import torch

CASES = [
    (0, [64]), (42, [16]), (42, [20]), (42, [5]), (7, [4 * 8 * 8]), (7, [1, 15, 17, 3]),
    (1234567890123, [256]), (2**32 + 5, [33]), (99, [16, 16, 16]),
]

out = {"torch_version": torch.__version__, "cases": []}
for seed, calls in CASES:
    torch.manual_seed(seed)
    draws = [torch.randn(n).tolist() for n in calls]
    out["cases"].append({"seed": seed, "calls": calls, "values": draws})
    torch.manual_seed(seed)
out["doubles"] = []
for seed, n in [(3, 6), (3, 40)]:
    torch.manual_seed(seed)
    out["doubles"].append({"seed": seed, "n": n, "values": torch.randn(n, dtype=torch.float64).tolist()})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_randn.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path)
