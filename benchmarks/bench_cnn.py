"""A small CNN on the 8x8 digits, trained by `nn.fit` with batched replay, next to the same
network in PyTorch and to an MLP of about as many parameters.

    .venv/bin/python benchmarks/bench_cnn.py            # 15 epochs each (under a minute)
    .venv/bin/python benchmarks/bench_cnn.py --quick    # 2 epochs: a smoke run
    .venv/bin/python benchmarks/bench_cnn.py --json out.json

The data: scikit-learn's 8x8 digits (shipped in nn/datasets), pixels / 16, a stratified 70/30
split (seed 0). The networks:

- CNN (810 parameters): Unflatten(1, 8, 8), Conv2d(1, 8, 3), ReLU, MaxPool2d(2), Flatten,
  Linear(72, 10);
- MLP (910 parameters): 64 -> 12 relu -> 10.

Each is trained with cross-entropy, Adam (lr 0.01), batches of 32 for `--epochs` epochs; ours
through `nn.fit` (which replays one recorded graph per batch with numpy), PyTorch's with the
same network in float64 and a plain loop. Reported: seconds per epoch, PyTorch's time over
ours, and test accuracy.

Target (the convolution issue): our CNN's epoch within 3x of PyTorch's batched time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nn
from nn import optim

sys.path.insert(0, str(Path(__file__).parent))
from bench_engine import machine

LIMIT = 3.0


def data() -> tuple[list[list[float]], list[list[float]], list[int], list[int]]:
    X, y = nn.data.digits()
    X = [[v / 16 for v in x] for x in X]
    return nn.data.train_test_split(X, y, test_size=0.3, seed=0, stratify=True)  # type: ignore[return-value]


def cnn() -> nn.Module:
    return nn.Sequential(nn.Unflatten((1, 8, 8)), nn.Conv2d(1, 8, 3, seed=0),
                         nn.Activation("relu"), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Layer(72, 10, activation="linear", seed=1))


def ours(model: nn.Module, epochs: int) -> dict[str, Any]:
    X_train, X_test, y_train, y_test = data()
    start = time.perf_counter()
    history = nn.fit(model, (X_train, y_train), "cross_entropy",
                     optim.Adam(model.parameters(), lr=0.01), epochs=epochs, batch_size=32,
                     progress=False, seed=0)
    seconds = time.perf_counter() - start
    return {"parameters": len(model.parameters()), "epoch_s": seconds / epochs,
            "replayed": history.replayed, "accuracy": nn.accuracy(model, X_test, y_test)}


def theirs(epochs: int) -> dict[str, Any] | None:
    try:
        import torch
    except ImportError:
        return None
    X_train, X_test, y_train, y_test = data()
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Unflatten(1, (1, 8, 8)), torch.nn.Conv2d(1, 8, 3),
                              torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                              torch.nn.Linear(72, 10)).double()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    inputs = torch.tensor(X_train, dtype=torch.float64)
    targets = torch.tensor(y_train)
    order = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for _ in range(epochs):
        permutation = torch.randperm(len(inputs), generator=order)
        for i in range(0, len(inputs), 32):
            chosen = permutation[i:i + 32]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(inputs[chosen]), targets[chosen]).backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        right = (net(torch.tensor(X_test, dtype=torch.float64)).argmax(1)
                 == torch.tensor(y_test)).double().mean().item()
    return {"parameters": sum(p.numel() for p in net.parameters()), "epoch_s": seconds / epochs,
            "accuracy": right}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 15)
    rows = {"CNN, ours (nn.fit, replay)": ours(cnn(), epochs),
            "CNN, PyTorch": theirs(epochs),
            "MLP 64-12-10, ours (nn.fit, replay)": ours(nn.MLP(64, [12, 10], seed=0), epochs)}
    info = machine()
    print(f"Machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}\n")
    print(f"The 8x8 digits, {epochs} epochs, batches of 32, Adam\n")
    print("| network | parameters | s per epoch | test accuracy |")
    print("|---|---|---|---|")
    for name, row in rows.items():
        if row is not None:
            print(f"| {name} | {row['parameters']} | {row['epoch_s']:.4f} | "
                  f"{row['accuracy']:.3f} |")
    torch_row = rows["CNN, PyTorch"]
    ratio = (None if torch_row is None
             else rows["CNN, ours (nn.fit, replay)"]["epoch_s"] / torch_row["epoch_s"])
    print("\n| target | measured | met |")
    print("|---|---|---|")
    print(f"| our CNN's epoch within {LIMIT:g}x of PyTorch's | "
          + ("not measured | - |" if ratio is None
             else f"{ratio:.2f}x | {'yes' if ratio <= LIMIT else 'NO'} |"))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "epochs": epochs, "rows": rows,
                                         "ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()
