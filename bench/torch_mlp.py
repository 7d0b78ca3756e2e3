"""What a PyTorch user writes instead of gtrack, timed for bench/run.sh.

    torch_mlp.py DEPTH WIDTH BATCH ACTIVATION STEPS LR THREADS DATABASE [BLOCK]

Trains gtrack's MLP for the same spec, float32, plain SGD and cross-entropy: DEPTH hidden
layers of WIDTH units (the first from FEATURES inputs) and an output layer of CLASSES,
so DEPTH + 1 linear layers. With BLOCK, as gtrack's model.residual.block = BLOCK and
model.norm.kind = layernorm (the branch form, alpha 1): every hidden linear map is
followed by a LayerNorm and the activation, and after the first hidden layer every BLOCK
of them adds its input back. It trains on SAMPLES random examples, batches drawn from a new
permutation every epoch as gtrack does. Every step it logs what a user tracking
vanishing gradients logs: the loss into `steps` and each layer's weight-gradient norm
into `layer_stats`, one executemany per step in a transaction of its own, with the
journal settings gtrack uses (WAL, synchronous=NORMAL). Only the training loop is timed
(imports, data and database set-up excluded). Prints one line:
"steps_per_second SECONDS_OF_THE_LOOP".
"""
import sqlite3
import sys
import time

import torch

# gtrack's defaults for data.features, data.classes and data.samples
FEATURES, CLASSES, SAMPLES = 16, 4, 2048

ACTIVATIONS = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}


def network(depth, width, activation):
    layers, fan_in = [], FEATURES
    for _ in range(depth):
        layers += [torch.nn.Linear(fan_in, width), ACTIVATIONS[activation]()]
        fan_in = width
    layers.append(torch.nn.Linear(fan_in, CLASSES))
    return torch.nn.Sequential(*layers)


def hidden(fan_in, width, activation):
    """A hidden layer of the residual network: linear map, LayerNorm, activation."""
    return [torch.nn.Linear(fan_in, width), torch.nn.LayerNorm(width), ACTIVATIONS[activation]()]


class Block(torch.nn.Module):
    """BLOCK hidden layers whose output is added to their input."""

    def __init__(self, width, block, activation):
        super().__init__()
        self.body = torch.nn.Sequential(
            *[m for _ in range(block) for m in hidden(width, width, activation)])

    def forward(self, x):
        return x + self.body(x)


def residual_network(depth, width, activation, block):
    layers = hidden(FEATURES, width, activation)
    blocks, rest = divmod(depth - 1, block)
    layers += [Block(width, block, activation) for _ in range(blocks)]
    for _ in range(rest):
        layers += hidden(width, width, activation)
    layers.append(torch.nn.Linear(width, CLASSES))
    return torch.nn.Sequential(*layers)


def open_database(path):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE steps (step INTEGER PRIMARY KEY, loss REAL)")
    db.execute("CREATE TABLE layer_stats (step INTEGER, layer INTEGER, weight_grad_norm REAL,"
               " PRIMARY KEY (step, layer))")
    db.commit()
    return db


def main():
    depth, width, batch = (int(a) for a in sys.argv[1:4])
    activation, steps, lr = sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
    torch.set_num_threads(int(sys.argv[7]))
    db = open_database(sys.argv[8])
    block = int(sys.argv[9]) if len(sys.argv) > 9 else 0
    torch.manual_seed(1)
    model = residual_network(depth, width, activation, block) if block else \
        network(depth, width, activation)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    inputs = torch.randn(SAMPLES, FEATURES)
    labels = torch.randint(0, CLASSES, (SAMPLES,))
    order, position = torch.randperm(SAMPLES), 0

    start = time.perf_counter()
    for step in range(steps):
        if position + batch > SAMPLES:
            order, position = torch.randperm(SAMPLES), 0
        index = order[position:position + batch]
        position += batch
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(inputs[index]), labels[index])
        loss.backward()
        norms = torch.stack([torch.linalg.vector_norm(m.weight.grad) for m in linears])
        with db:
            db.execute("INSERT INTO steps VALUES (?, ?)", (step, loss.item()))
            db.executemany("INSERT INTO layer_stats VALUES (?, ?, ?)",
                           [(step, layer, norm) for layer, norm in enumerate(norms.tolist())])
        optimizer.step()
    elapsed = time.perf_counter() - start
    db.close()
    print(f"{steps / elapsed:.3f} {elapsed:.6f}")


if __name__ == "__main__":
    main()
