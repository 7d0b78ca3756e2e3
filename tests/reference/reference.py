#!/usr/bin/python3
"""PyTorch's view of a gtrack run: the same network, weights and batches, trained with
torch's own layers, autograd and optimizer, and the per-layer numbers gtrack records.

    reference.py RESOLVED_SPEC.yaml INIT.safetensors BATCHES.safetensors OUT.csv

INIT and BATCHES come from `gtrack export` (step-0 checkpoint, and the batches the run
trained on); RESOLVED_SPEC is the run's resolved_spec. Writes, for each step and layer,
weight_grad_norm, bias_grad_norm, delta_norm (the gradient at the pre-activation) and
weight_norm, and the step's loss. tests/reference/regenerate.sh runs it for every spec
in tests/reference/specs; the CSV files it writes are committed, and test_reference
compares gtrack against them. Needs Debian's python3-torch and python3-yaml only.
"""
import json
import math
import struct
import sys

import torch
import torch.nn.functional as F
import yaml

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}


def load_safetensors(path):
    raw = open(path, "rb").read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        data = bytearray(raw[8 + length + begin : 8 + length + end])
        tensors[name] = torch.frombuffer(data, dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return tensors


def activation(kind, slope):
    return {
        "linear": lambda z: z,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": F.relu,
        "leaky_relu": lambda z: F.leaky_relu(z, slope),
        "elu": F.elu,
        "gelu": F.gelu,  # the exact (erf) form
        "softplus": F.softplus,  # beta 1, linear above 20, as gtrack
        "silu": F.silu,
    }[kind]


def rate(step, train):
    """The learning rate at a step, as gtrack's train.schedule defines it."""
    lr, schedule = train["optimizer"]["lr"], train["schedule"]
    if schedule["kind"] == "step":
        lr = lr * schedule["gamma"] ** (step // schedule["step_size"])
    elif schedule["kind"] == "cosine":
        lr = schedule["min_lr"] + (lr - schedule["min_lr"]) * 0.5 * (
            1 + math.cos(math.pi * step / train["steps"]))
    if step < schedule["warmup_steps"]:
        lr *= (step + 1) / schedule["warmup_steps"]
    return lr


def forward_hidden(residual, blocks, depth, linear, norms, act, alphas, x):
    """The hidden layers as the papers write each form; returns the output layer's input.
    The stem (layer 0) and the output layer are outside the blocks; block b holds layers
    1 + b k .. (b + 1) k, and its skip path starts from what the layer before it carried."""
    form, k = residual["form"], residual["block"]

    def activated(index, z):  # the norm before each activation
        return act(norms[index](z))

    z = linear(0, x)
    if blocks == 0:
        out = activated(0, z)
        for index in range(1, depth):
            out = activated(index, linear(index, out))
        return out
    if form == "pre":  # the stem is neither normalised nor activated on the skip path
        carry, out = z, activated(0, z)
    else:
        carry = out = activated(0, z)
    for b in range(blocks):
        h, x = carry, out
        for j in range(k):
            index = 1 + b * k + j
            z = linear(index, x)
            if j < k - 1:
                x = activated(index, z)
            elif form == "branch":  # h + alpha f(N(W x))
                carry = out = h + alphas[b] * activated(index, z)
            elif form == "post":  # f(h + alpha N(W x)) (He et al. 2016a)
                carry = out = act(h + alphas[b] * norms[index](z))
            else:  # h + alpha W x, then f(N(.)) before the next map (He et al. 2016b)
                carry = h + alphas[b] * z
                out = activated(index, carry)
    return out


def check_residual_init(residual, layers, blocks):
    """The exported step-0 weights carry the residual init: zero_last and fixup zero each
    block's last map, fixup also the output layer."""
    if residual["init"] == "default" or blocks == 0:
        return
    zeroed = [1 + (b + 1) * residual["block"] - 1 for b in range(blocks)]
    if residual["init"] == "fixup":
        zeroed.append(len(layers) - 1)
    for index in zeroed:
        assert not layers[index].weight.any() and not layers[index].bias.any(), index


def main(spec_path, init_path, batches_path, out_path):
    spec = yaml.safe_load(open(spec_path))
    model, train = spec["model"], spec["train"]
    dtype = torch.float64 if train["dtype"] == "float64" else torch.float32
    weights = load_safetensors(init_path)
    batches = load_safetensors(batches_path)
    depth = model["depth"]
    layers = torch.nn.ModuleList()
    for index in range(depth + 1):
        weight = weights[f"layers.{index}.weight"]
        layer = torch.nn.Linear(weight.shape[1], weight.shape[0]).to(dtype)
        layer.load_state_dict({"weight": weight, "bias": weights[f"layers.{index}.bias"]})
        layers.append(layer)
    # normalisation between each hidden layer's linear map and its activation
    norms = torch.nn.ModuleList()
    for index in range(depth):
        width = layers[index].out_features
        if model["norm"]["kind"] == "layernorm":
            norm = torch.nn.LayerNorm(width, eps=model["norm"]["eps"])
        elif model["norm"]["kind"] == "batchnorm":
            norm = torch.nn.BatchNorm1d(width, eps=model["norm"]["eps"],
                                        momentum=model["norm"]["momentum"])
        else:
            norm = torch.nn.Identity()
        if f"norms.{index}.weight" in weights:
            norm.load_state_dict({"weight": weights[f"norms.{index}.weight"],
                                  "bias": weights[f"norms.{index}.bias"]}, strict=False)
        norms.append(norm.to(dtype))
    act = activation(model["activation"]["kind"], model["activation"]["slope"])
    residual = model["residual"]
    blocks = (depth - 1) // residual["block"] if residual["enabled"] else 0
    check_residual_init(residual, layers, blocks)
    alphas = torch.full((blocks,), residual["alpha"], dtype=dtype)
    if residual["learn_alpha"]:
        alphas = torch.nn.Parameter(alphas)  # ReZero: trained with the weights
    settings = train["optimizer"]
    parameters = list(layers.parameters()) + list(norms.parameters())
    if residual["learn_alpha"]:
        parameters.append(alphas)
    if settings["kind"] == "sgd":
        optimizer = torch.optim.SGD(parameters, lr=settings["lr"],
                                    momentum=settings["momentum"],
                                    nesterov=settings["nesterov"],
                                    weight_decay=settings["weight_decay"])
    else:
        adam = torch.optim.Adam if settings["kind"] == "adam" else torch.optim.AdamW
        optimizer = adam(parameters, lr=settings["lr"],
                         betas=(settings["beta1"], settings["beta2"]), eps=settings["eps"],
                         weight_decay=settings["weight_decay"])
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: rate(step, train) / settings["lr"])
    steps = len([name for name in batches if name.endswith(".inputs")])
    rows = []
    for step in range(steps):
        optimizer.zero_grad()
        pre = []

        def linear(index, x):
            z = layers[index](x)
            z.retain_grad()
            pre.append(z)
            return z

        out = forward_hidden(residual, blocks, depth, linear, norms, act, alphas,
                             batches[f"batch.{step}.inputs"])
        z = linear(depth, out)
        if train["loss"] == "cross_entropy":
            loss = F.cross_entropy(z, batches[f"batch.{step}.labels"])
        else:
            loss = F.mse_loss(z, batches[f"batch.{step}.targets"])
        loss.backward()
        for index, layer in enumerate(layers):
            norm = lambda t: torch.linalg.vector_norm(t.detach().double()).item()
            rows.append((step, index, norm(layer.weight.grad), norm(layer.bias.grad),
                         norm(pre[index].grad), norm(layer.weight), loss.item()))
        # gtrack records the gradients before clipping, then clips as torch does
        if train["clip_norm"] > 0:
            torch.nn.utils.clip_grad_norm_(parameters, train["clip_norm"])
        if train["clip_value"] > 0:
            torch.nn.utils.clip_grad_value_(parameters, train["clip_value"])
        optimizer.step()
        scheduler.step()
    with open(out_path, "w") as out:
        out.write(f"# PyTorch {torch.__version__} on {spec_path.split('/')[-1]}\n")
        out.write("step,layer,weight_grad_norm,bias_grad_norm,delta_norm,weight_norm,loss\n")
        for row in rows:
            out.write(",".join([str(row[0]), str(row[1])] + [repr(v) for v in row[2:]]) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
