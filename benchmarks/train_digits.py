"""Train an MLP on the 8x8 handwritten digits through nn.fit, with a progress bar.

    .venv/bin/python benchmarks/train_digits.py [--epochs 3] [--hidden 16] [--no-replay]

The README reports what it prints: the test accuracy and the training time.
"""

from __future__ import annotations

import argparse
import platform
import time

import nn
from nn import data, optim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--no-replay", action="store_true",
                        help="build one graph per sample instead of replaying one over a batch")
    args = parser.parse_args()

    X, y = data.digits()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.3, seed=0,
                                                             stratify=True)
    X_train, (mean, std) = data.standardize(X_train)
    X_test, _ = data.standardize(X_test, mean, std)
    model = nn.MLP(64, [args.hidden, 10], activation="relu", init="he", seed=0)
    adam = optim.Adam(model.parameters(), lr=0.01)
    start = time.perf_counter()
    history = nn.fit(model, (X_train, y_train), "cross_entropy", adam, epochs=args.epochs,
                     batch_size=args.batch_size, seed=0, replay=not args.no_replay)
    seconds = time.perf_counter() - start
    test = nn.accuracy(model, X_test, y_test)
    print(f"digits: MLP 64-{args.hidden}-10 (relu), Adam, {args.epochs} epochs of "
          f"{len(X_train)} images in batches of {args.batch_size}: training accuracy "
          f"{history['accuracy'][-1]:.1%}, test accuracy {test:.1%} on {len(X_test)} images, "
          f"{seconds:.1f} s, {'replayed' if history.replayed else 'a graph per sample'} "
          f"({platform.python_implementation()} {platform.python_version()})")


if __name__ == "__main__":
    main()
