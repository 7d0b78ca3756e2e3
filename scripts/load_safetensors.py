#!/usr/bin/env python3
"""Reads the safetensors files `gtrack export` writes, without the safetensors package.

Debian 12's python3-torch (1.13) cannot read safetensors and Debian packages no
safetensors module, so this reads the format itself: an 8-byte little-endian header
length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw tensors.

    import sys; sys.path.insert(0, "scripts")
    from load_safetensors import load
    weights = load("init.safetensors")      # {name: torch.Tensor} when torch is installed

load(path, backend) returns torch tensors ("torch"), numpy arrays ("numpy"), or
(shape, array.array) pairs ("array", plain Python); "auto" picks the first available.
From the shell, `python3 scripts/load_safetensors.py FILE` lists the tensors.
"""
import array
import json
import struct
import sys

# safetensors dtype -> (array typecode, bytes per element)
DTYPES = {"F32": ("f", 4), "F64": ("d", 8), "I64": ("q", 8), "I32": ("i", 4)}
# a gtrack header is a few KiB; anything larger is not a file we wrote
MAX_HEADER_BYTES = 100 << 20


def _fail(path, message):
    raise ValueError(f"{path}: {message}")


def read_raw(path):
    """Returns {name: (dtype, shape, bytes)} after checking every offset and size."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        _fail(path, "not a safetensors file: shorter than its 8-byte header length")
    (length,) = struct.unpack("<Q", raw[:8])
    if length > MAX_HEADER_BYTES or 8 + length > len(raw):
        _fail(path, f"header length {length} does not fit in a {len(raw)}-byte file")
    try:
        header = json.loads(raw[8 : 8 + length])
    except ValueError as e:
        _fail(path, f"header is not JSON: {e}")
    data = memoryview(raw)[8 + length :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, shape = info.get("dtype"), info.get("shape")
        begin, end = info.get("data_offsets", (0, -1))
        if dtype not in DTYPES:
            _fail(path, f"{name}: dtype {dtype!r} is not one of {', '.join(DTYPES)}")
        count = 1
        for size in shape:
            count *= size
        if not 0 <= begin <= end <= len(data) or end - begin != count * DTYPES[dtype][1]:
            _fail(path, f"{name}: data_offsets [{begin}, {end}] do not hold {shape} {dtype}")
        tensors[name] = (dtype, list(shape), data[begin:end])
    return tensors


def _as_array(dtype, data):
    values = array.array(DTYPES[dtype][0])
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values


def load(path, backend="auto"):
    """{name: tensor} from a safetensors file, as torch, numpy or array.array values."""
    if backend == "auto":
        for backend in ("torch", "numpy", "array"):
            try:
                if backend != "array":
                    __import__(backend)
                break
            except ImportError:
                continue
    tensors = {}
    for name, (dtype, shape, data) in read_raw(path).items():
        values = _as_array(dtype, data)
        if backend == "torch":
            import torch

            torch_dtype = {"F32": torch.float32, "F64": torch.float64,
                           "I64": torch.int64, "I32": torch.int32}[dtype]
            tensors[name] = torch.frombuffer(bytearray(values.tobytes()),
                                             dtype=torch_dtype).reshape(shape)
        elif backend == "numpy":
            import numpy

            tensors[name] = numpy.array(values).reshape(shape)
        else:
            tensors[name] = (shape, values)
    return tensors


def main(arguments):
    if len(arguments) != 1:
        print("usage: load_safetensors.py FILE.safetensors", file=sys.stderr)
        return 2
    try:
        for name, (dtype, shape, _) in read_raw(arguments[0]).items():
            print(f"{name:24} {dtype} {shape}")
    except (OSError, ValueError) as e:
        print(f"load_safetensors.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
