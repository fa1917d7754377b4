#!/usr/bin/env python3
"""Training throughput of LeNet-5 in PyTorch, to compare with onyx's.

The model is onyx's zoo model lenet5 layer for layer (the textbook's LeNet-5
for 28x28 images): Conv2d(1, 6, 5, padding=2), Sigmoid, AvgPool2d(2),
Conv2d(6, 16, 5), Sigmoid, AvgPool2d(2), Flatten, Linear(400, 120), Sigmoid,
Linear(120, 84), Sigmoid, Linear(84, 10), trained with the cross-entropy
loss. The data are random MNIST-shaped batches (uniform [0, 1) images
[batch, 1, 28, 28], random labels), as `onyx train lenet5 --benchmark-steps`
uses: one process, CPU only, --threads intra-op threads.

It runs --warmup untimed steps, then --steps timed ones (forward, backward
and the optimizer's update), and prints the median step time and the
throughput:

  throughput: 1234.5 images/s

Usage (Debian's python3-torch 1.13):

  /usr/bin/python3 tools/bench/torch_lenet.py [--steps 50] [--batch 64]
      [--optimizer adam] [--lr 0] [--threads N] [--warmup 3] [--seed 1]

--lr 0 takes the default onyx train uses for the optimizer.
"""

import argparse
import os
import statistics
import sys
import time

import torch
from torch import nn

# The learning rates onyx train uses when --lr is 0.
DEFAULT_LR = {
    "sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.01,
    "adadelta": 1.0, "rmsprop": 0.001, "adam": 0.001, "adamw": 0.001,
}


def lenet5(classes=10):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, classes),
    )


def optimizer(name, params, lr, momentum, weight_decay):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=momentum,
                               nesterov=name == "nesterov", weight_decay=weight_decay)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=weight_decay)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise SystemExit(f"torch_lenet.py: unknown --optimizer {name!r} (have {', '.join(DEFAULT_LR)})")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=50, help="timed training steps")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps before them")
    p.add_argument("--batch", type=int, default=64, help="batch size")
    p.add_argument("--optimizer", default="adam", choices=sorted(DEFAULT_LR))
    p.add_argument("--lr", type=float, default=0, help="learning rate (0: onyx train's default)")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=0)
    p.add_argument("--threads", type=int, default=0, help="intra-op threads (0: all cores)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.steps < 1 or a.batch < 1 or a.warmup < 0:
        raise SystemExit("torch_lenet.py: --steps and --batch must be positive, --warmup at least 0")

    threads = a.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    torch.manual_seed(a.seed)
    lr = a.lr or DEFAULT_LR[a.optimizer]

    model = lenet5()
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    opt = optimizer(a.optimizer, model.parameters(), lr, a.momentum, a.weight_decay)
    x = torch.rand(a.batch, 1, 28, 28)
    y = torch.randint(0, 10, (a.batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    params = sum(t.numel() for t in model.parameters())
    print(f"torch {torch.__version__} LeNet-5 ({params:,} parameters), batch {a.batch}, "
          f"{a.optimizer} lr {lr:g}, {torch.get_num_threads()} thread(s)")
    start = time.perf_counter()
    for _ in range(max(a.warmup, 1)):
        step()
    print(f"{max(a.warmup, 1)} warm-up step(s): {1000 * (time.perf_counter() - start):.0f}ms")

    times = []
    start = time.perf_counter()
    for _ in range(a.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    if not torch.isfinite(loss):
        print("torch_lenet.py: the loss is not finite", file=sys.stderr)
    print(f"{a.steps} steps in {total:.3f}s: median {1000 * statistics.median(times):.2f} ms/step")
    print(f"throughput: {a.steps * a.batch / total:.1f} images/s")


if __name__ == "__main__":
    main()
