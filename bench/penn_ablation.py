"""Ablation of the training recipe on Penn Action: ``python -m bench.penn_ablation --help``.

Each row adds one change to the row above up to the row marked (= strong), which is
``--recipe strong``; the rows after it each add one change to the strong recipe that was tried
and left out. Every row is trained with several seeds (the seed also
draws the 80/20 split) and reports mean +- std of the kept epoch's validation accuracy and F1,
plus transfer to real video: the mean probability of the right class for real clips of Penn
classes (poses extracted once with the live pose model, then streamed through the live window).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.result_files import add_result_file_argument, check_result_file, write_result_file
from realtime.extract import extract_video
from realtime.recognizer import Recognizer
from training.checkpoint import LoadedCheckpoint, load_checkpoint
from training.cli_types import ArgumentParser, non_negative, positive
from training.config import RECIPES, TrainConfig
from training.errors import run_cli
from training.train import train

SHARED = Path(__file__).resolve().parents[1].parent / "shared/data"
TRANSFER_CLIPS = {"pose_squats.mp4": "squat", "clean_and_jerk.mp4": "clean_and_jerk"}
PENN_FPS = 30.0

# Cumulative: each step keeps everything above it.
STEPS: list[tuple[str, dict]] = [
    ("spec recipe (5 epochs)", {}),
    ("+ 60 epochs, keep best val loss", {"epochs": 60, "keep_best": True}),
    ("+ cosine learning-rate schedule", {"lr_schedule": "cosine"}),
    ("+ skeleton augmentation", {"augment": True}),
    ("+ velocity features", {"velocity": True}),
    ("+ dropout 0.3 (= strong)", {"dropout": 0.3}),
]
# Each: the strong recipe plus one change.
LEFT_OUT: list[tuple[str, dict]] = [
    ("strong + live window p75 of clip lengths", {"window_frames": "auto"}),
    ("strong + bidirectional LSTM", {"bidirectional": True}),
]


def transfer_probability(ckpt: LoadedCheckpoint, poses: dict[str, np.ndarray]) -> dict[str, float]:
    """Per clip, the mean probability of its true class over the live predictions (as realtime.video)."""
    out = {}
    for clip, keypoints in poses.items():
        recognizer = Recognizer(ckpt, every=max(1, round(ckpt.spec.fps / 5)))
        probs = []
        for i, kp in enumerate(keypoints):
            p = recognizer.update(i / ckpt.spec.fps, kp if kp.any() else None)
            if p is not None:
                probs.append(p.probabilities)
        final = recognizer.flush(len(keypoints) / ckpt.spec.fps)
        if final is not None:
            probs.append(final.probabilities)
        mean = np.mean(probs, axis=0)
        want = TRANSFER_CLIPS[clip]
        out[want] = float(mean[ckpt.classes.index(want)]) if want in ckpt.classes else float("nan")
        out[want + "_top1"] = bool(ckpt.classes[int(np.argmax(mean))] == want)
    return out


def plan() -> list[tuple[str, dict]]:
    """(row name, full overrides of the defaults) for every row, in order."""
    rows, overrides = [], {}
    for name, change in STEPS:
        overrides = {**overrides, **change}
        rows.append((name, dict(overrides)))
    assert overrides == RECIPES["strong"], f"the '(= strong)' row drifted from RECIPES['strong']: {overrides}"
    rows += [(name, {**RECIPES["strong"], **change}) for name, change in LEFT_OUT]
    return rows


def run(data: Path, label_map: Path, seeds: list[int], classes: str, threads: int, poses: dict,
        first_row: int = 1) -> list[dict]:
    rows = []
    for name, overrides in plan()[first_row - 1:]:
        accs, f1s, secs, transfers = [], [], [], []
        for seed in seeds:
            with tempfile.TemporaryDirectory() as tmp:
                cfg = TrainConfig(data=str(data), label_map=str(label_map), classes=classes, fps=PENN_FPS, seed=seed,
                                  threads=threads, out=str(Path(tmp) / "run"), **overrides)
                result = train(cfg, echo=lambda *a: None, progress=False)
                ckpt = load_checkpoint(result.run_dir / "model.pt")
            kept = result.epochs[result.best_epoch - 1]
            accs.append(kept["val_accuracy"])
            f1s.append(kept["val_f1"])
            secs.append(result.seconds)
            transfers.append(transfer_probability(ckpt, poses))
        t_keys = [k for k in transfers[0] if not k.endswith("_top1")]
        row = {"step": name, "overrides": dict(overrides), "acc_mean": float(np.mean(accs)),
               "acc_std": float(np.std(accs)), "f1_mean": float(np.mean(f1s)), "seconds_mean": float(np.mean(secs)),
               "accs": accs, "transfer_prob_mean": {k: float(np.mean([t[k] for t in transfers])) for k in t_keys},
               "transfer_top1": {k: int(sum(t[k + "_top1"] for t in transfers)) for k in t_keys}}
        rows.append(row)
        transfer = "  ".join(f"{k} p={row['transfer_prob_mean'][k]:.2f} top1 {row['transfer_top1'][k]}/{len(seeds)}"
                             for k in t_keys)
        print(f"{name:<44} acc {row['acc_mean']:.3f} +- {row['acc_std']:.3f}  F1 {row['f1_mean']:.3f}  "
              f"{row['seconds_mean']:.0f} s/run  {transfer}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    p = ArgumentParser(prog="python -m bench.penn_ablation", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="example:\n  python -m bench.penn_ablation --seeds 0 1 2 --out penn_ablation.json\n")
    p.add_argument("--data", type=Path, default=SHARED / "skeletons/penn_action_train_2d.pkl")
    p.add_argument("--label-map", type=Path, default=SHARED / "skeletons/penn_action_label_map.txt")
    p.add_argument("--videos", type=Path, default=SHARED / "videos")
    p.add_argument("--classes", default="all")
    p.add_argument("--seeds", type=non_negative(int), nargs="+", default=[0, 1, 2])
    p.add_argument("--threads", type=positive(int), default=2)
    p.add_argument("--from-row", type=positive(int), default=1, help="start at this row (1-based); earlier rows are skipped")
    add_result_file_argument(p, "--out", "write the rows as JSON")
    a = p.parse_args(argv)
    check_result_file(a.out, "--out", a.overwrite)
    started = time.time()
    poses = {clip: extract_video(str(a.videos / clip), None, PENN_FPS)[0][0].astype(np.float32)
             for clip in TRANSFER_CLIPS}
    rows = run(a.data, a.label_map, a.seeds, a.classes, a.threads, poses, a.from_row)
    print(f"total {time.time() - started:.0f} s")
    write_result_file(a.out, {"seeds": a.seeds, "classes": a.classes, "rows": rows}, a.overwrite)


if __name__ == "__main__":
    run_cli(main)
