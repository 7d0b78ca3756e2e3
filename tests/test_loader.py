#!/usr/bin/env python3
"""scripts/load_safetensors.py against gtrack export: every tensor's name and shape, its
values against the weight_norm gtrack recorded at the same step, refusal of a damaged
file, and, when python3-torch is installed, torch.nn.Linear layers loading the weights.

    test_loader.py GTRACK_BINARY SCRIPTS_DIR
"""
import math
import os
import sqlite3
import subprocess
import sys
import tempfile

gtrack, scripts = sys.argv[1], sys.argv[2]
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, scripts)
from load_safetensors import load, read_raw  # noqa: E402

SPEC = """name: tiny
data: {samples: 64, features: 5, classes: 3}
model: {depth: 2, width: 4}
train: {steps: 2, batch_size: 8, dtype: %s}
log: {checkpoints: [0]}
"""
failures = 0


def check(condition, message):
    global failures
    if not condition:
        failures += 1
        print("FAIL:", message)


def export(work, dtype):
    spec = os.path.join(work, dtype + ".yaml")
    db = os.path.join(work, dtype + ".db")
    out = os.path.join(work, dtype + ".safetensors")
    with open(spec, "w") as f:
        f.write(SPEC % dtype)
    subprocess.run([gtrack, "run", spec, "--db", db, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([gtrack, "export", "tiny", "--db", db, "--step", "0", "-o", out],
                   check=True, stdout=subprocess.DEVNULL)
    return db, out


with tempfile.TemporaryDirectory() as work:
    for dtype, tolerance in (("float64", 1e-12), ("float32", 1e-6)):
        db, path = export(work, dtype)
        tensors = load(path, "array")
        shapes = {name: shape for name, (shape, _) in tensors.items()}
        check(shapes == {"layers.0.weight": [4, 5], "layers.0.bias": [4],
                         "layers.1.weight": [4, 4], "layers.1.bias": [4],
                         "layers.2.weight": [3, 4], "layers.2.bias": [3]},
              f"{dtype}: names and shapes {shapes}")
        with sqlite3.connect(db) as connection:
            norms = dict(connection.execute(
                "SELECT layer, weight_norm FROM layer_stats WHERE step = 0"))
        for layer in range(3):
            shape, values = tensors[f"layers.{layer}.weight"]
            norm = math.sqrt(sum(v * v for v in values))
            difference = abs(norm - norms[layer]) / norms[layer]
            check(difference < tolerance,
                  f"{dtype}: layer {layer} norm {norm} against weight_norm {norms[layer]}")
            print(f"{dtype} layer {layer}: ||W|| relative difference {difference:.1e}")

        damaged = os.path.join(work, "damaged.safetensors")
        with open(path, "rb") as f:
            raw = f.read()
        with open(damaged, "wb") as f:
            f.write(raw[:-4])
        try:
            read_raw(damaged)
            check(False, "a truncated file was read")
        except ValueError as e:
            check("layers.2.bias: data_offsets" in str(e), f"truncated file: {e}")

        try:
            import torch
        except ImportError:
            print("python3-torch is not installed: the torch path is not tested")
            continue
        weights = load(path, "torch")
        model = torch.nn.Module()
        count = sum(name.endswith(".weight") for name in weights)
        model.layers = torch.nn.ModuleList(
            torch.nn.Linear(*weights[f"layers.{i}.weight"].shape[::-1], dtype=weights[
                f"layers.{i}.weight"].dtype) for i in range(count))
        model.load_state_dict(weights)
        check(torch.equal(model.layers[2].weight, weights["layers.2.weight"]),
              f"{dtype}: torch.nn.Linear did not load the weights")

sys.exit(1 if failures else 0)
