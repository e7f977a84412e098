"""Ablation of the training recipe on Penn Action: ``python -m bench.penn_ablation --help``.

Each row adds one change to the row above (the last row is ``--recipe strong``); every row is
trained with several seeds (the seed also draws the 80/20 split) and reports mean +- std of the
kept epoch's validation accuracy and F1.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from training.config import RECIPES, TrainConfig
from training.errors import run_cli
from training.train import train

PENN = Path(__file__).resolve().parents[1].parent / "shared/data/skeletons"

# Cumulative: each step keeps everything above it.
STEPS: list[tuple[str, dict]] = [
    ("spec recipe (5 epochs)", {}),
    ("+ 60 epochs, keep best val loss", {"epochs": 60, "keep_best": True}),
    ("+ cosine learning-rate schedule", {"lr_schedule": "cosine"}),
    ("+ skeleton augmentation", {"augment": True}),
    ("+ velocity features", {"velocity": True}),
    ("+ dropout 0.3", {"dropout": 0.3}),
    ("+ bidirectional (= --recipe strong)", {"bidirectional": True}),
]


def run(data: Path, label_map: Path, seeds: list[int], classes: str, threads: int, epochs: int | None) -> list[dict]:
    rows, overrides = [], {}
    for name, change in STEPS:
        overrides = {**overrides, **change}
        if epochs and "epochs" in overrides:
            overrides["epochs"] = epochs
        accs, f1s, secs = [], [], []
        for seed in seeds:
            with tempfile.TemporaryDirectory() as tmp:
                cfg = TrainConfig(data=str(data), label_map=str(label_map), classes=classes, fps=30.0, seed=seed,
                                  threads=threads, out=str(Path(tmp) / "run"), **overrides)
                result = train(cfg, echo=lambda *a: None, progress=False)
            kept = result.epochs[result.best_epoch - 1]
            accs.append(kept["val_accuracy"])
            f1s.append(kept["val_f1"])
            secs.append(result.seconds)
        row = {"step": name, "overrides": dict(overrides), "acc_mean": float(np.mean(accs)),
               "acc_std": float(np.std(accs)), "f1_mean": float(np.mean(f1s)), "seconds_mean": float(np.mean(secs)),
               "accs": accs}
        rows.append(row)
        print(f"{name:<38} acc {row['acc_mean']:.3f} +- {row['acc_std']:.3f}  F1 {row['f1_mean']:.3f}  "
              f"{row['seconds_mean']:.0f} s/run  {[round(a, 3) for a in accs]}", flush=True)
    assert rows[-1]["overrides"] == {**RECIPES["strong"], **({"epochs": epochs} if epochs else {})}, "strong drifted"
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.penn_ablation", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="example:\n  python -m bench.penn_ablation --seeds 0 1 2 --out penn_ablation.json\n")
    p.add_argument("--data", type=Path, default=PENN / "penn_action_train_2d.pkl")
    p.add_argument("--label-map", type=Path, default=PENN / "penn_action_label_map.txt")
    p.add_argument("--classes", default="all")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=None, help="override the 60 epochs (quick look)")
    p.add_argument("--out", type=Path, default=None, help="write the rows as JSON")
    a = p.parse_args(argv)
    started = time.time()
    rows = run(a.data, a.label_map, a.seeds, a.classes, a.threads, a.epochs)
    print(f"total {time.time() - started:.0f} s")
    if a.out:
        a.out.write_text(json.dumps({"seeds": a.seeds, "classes": a.classes, "rows": rows}, indent=2))


if __name__ == "__main__":
    run_cli(main)
