"""Train the action LSTM on a MMAction2/PYSKL skeleton file: ``python -m training.train --help``."""
from __future__ import annotations

import argparse
import copy
import json
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from training.augment import augment_clip
from training.checkpoint import save_checkpoint
from training.config import RECIPES, TrainConfig, resolve_config
from training.dataset import load_skeleton_file
from training.errors import UserError, run_cli
from training.features import FeatureSpec, joints_seen, person_present
from training.loop import encode_clips, evaluate, make_batches, train_epoch
from training.metrics import classification_metrics
from training.model import ActionLSTM, ModelConfig
from training.plots import plot_confusion, plot_loss, plot_metrics
from training.run_dir import point_latest, prepare_run_dir
from training.selection import label_map_for, official_split, select, stratified_split

EXAMPLES = """examples:
  python -m training.train --data ucf101_2d.pkl
  python -m training.train --data ucf101_2d.pkl --classes JumpingJack,PushUps,PullUps --epochs 10
  python -m training.train --data ucf101_2d.pkl --split train1          # official train1/test1 split
  python -m training.train --data ../shared/data/skeletons/penn_action_train_2d.pkl \\
      --label-map ../shared/data/skeletons/penn_action_label_map.txt --classes all --fps 30 --recipe strong
  python -m training.train --download --data ucf101_2d.pkl              # fetch the published file first
"""

TABLE_HEADER = f"{'epoch':>5} {'train_loss':>10} {'val_loss':>9} {'val_acc':>8} {'val_prec':>8} {'val_rec':>8} {'val_f1':>8}"


@dataclass
class TrainResult:
    run_dir: Path
    epochs: list[dict]
    best_epoch: int
    seconds: float


def _format_row(row: dict) -> str:
    return (f"{row['epoch']:>5} {row['train_loss']:>10.4f} {row['val_loss']:>9.4f} {row['val_accuracy']:>8.3f} "
            f"{row['val_precision']:>8.3f} {row['val_recall']:>8.3f} {row['val_f1']:>8.3f}")


def resolve_window(option: str, max_frames: int, clips: list[np.ndarray]) -> int:
    """``--window-frames``: "max", "auto" (75th percentile of the training clips' valid lengths) or N."""
    text = str(option).strip().lower()
    if text == "max":
        return max_frames
    if text == "auto":
        lengths = [int(person_present(kp).sum()) for kp in clips]
        return int(min(max_frames, max(1, round(float(np.percentile(lengths, 75))))))
    if text.isdigit() and 1 <= int(text) <= max_frames:
        return int(text)
    raise UserError(f"--window-frames must be 'max', 'auto' or a number in 1..{max_frames}, got {option!r}.")


def train(config: TrainConfig, echo=print, progress: bool = True) -> TrainResult:
    """Run the whole recipe and write every output into a new run directory."""
    started = time.perf_counter()
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)

    data = load_skeleton_file(config.data)
    for reason, names in data.skipped.items():
        echo(f"skipped {len(names)} clip(s) with {reason} (e.g. {names[0]})")
    selected = select(data, config.classes, label_map_for(config.label_map))
    if config.split:
        train_idx, val_idx = official_split(selected, data.split, config.split)
    else:
        train_idx, val_idx = stratified_split(selected.labels, config.val_fraction, config.seed)
    train_clips = [selected.clips[i].keypoints for i in train_idx]
    val_clips = [selected.clips[i].keypoints for i in val_idx]
    y_train, y_val = selected.labels[train_idx], selected.labels[val_idx]
    run_dir = prepare_run_dir(config.out, config.overwrite)   # after the data checks: no empty run left behind

    spec = FeatureSpec(max_frames=config.max_frames, fps=config.fps, velocity=config.velocity,
                       window_frames=resolve_window(config.window_frames, config.max_frames, train_clips),
                       joints_used=joints_seen([selected.clips[i].scores for i in train_idx]))
    dropped = [j for j in spec.layout if j not in spec.joints_used]
    echo(f"{len(selected.classes)} classes, {len(train_idx)} training / {len(val_idx)} validation clips; "
         f"features {spec.feature_size} per frame, sequences up to {spec.max_frames} frames, live window "
         f"{spec.window_frames} frames at {spec.fps:g} fps"
         + (f"; joints never seen in training, fed as 0: {', '.join(dropped)}" if dropped else ""))

    model = ActionLSTM(ModelConfig(input_size=spec.feature_size, hidden_size=config.hidden_size,
                                   num_layers=config.num_layers, num_classes=len(selected.classes),
                                   cell=config.cell, bidirectional=config.bidirectional, dropout=config.dropout))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
                 if config.lr_schedule == "cosine" else None)
    x_val, len_val = encode_clips(val_clips, spec)
    x_train, len_train = encode_clips(train_clips, spec)
    augment = partial(augment_clip, layout=spec.layout, rng=rng) if config.augment else None

    epochs: list[dict] = []
    best = (float("inf"), 0, None, None)  # (val_loss, epoch, state_dict, confusion matrix)
    echo(TABLE_HEADER)
    for epoch in range(1, config.epochs + 1):
        if augment is not None:
            x_train, len_train = encode_clips(train_clips, spec, transform=augment)
        batches = make_batches(len_train, config.batch_size, rng, bucket=config.bucket)
        with tqdm(total=len(train_idx), desc=f"epoch {epoch}/{config.epochs}", unit="clip", leave=False,
                  disable=not progress) as bar:
            train_loss = train_epoch(model, optimizer, x_train, len_train, y_train, batches, bar.update)
        if scheduler is not None:
            scheduler.step()
        val_loss, predicted = evaluate(model, x_val, len_val, y_val)
        m = classification_metrics(y_val, predicted, len(selected.classes))
        row = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "val_accuracy": m["accuracy"],
               "val_precision": m["precision"], "val_recall": m["recall"], "val_f1": m["f1"]}
        epochs.append(row)
        echo(_format_row(row))
        if not config.keep_best or val_loss < best[0]:
            best = (val_loss, epoch, copy.deepcopy(model.state_dict()), m["confusion_matrix"])
    _, best_epoch, state, confusion = best
    model.load_state_dict(state)
    seconds = time.perf_counter() - started

    data_info = {"file": Path(config.data).name, "size_bytes": data.size_bytes, "n_train": len(train_idx),
                 "n_val": len(val_idx), "split": config.split or f"stratified {1 - config.val_fraction:.0%}/"
                 f"{config.val_fraction:.0%} seed {config.seed}"}
    save_checkpoint(run_dir / "model.pt", model, spec, selected.classes, data_info, config.to_dict())
    write_outputs(run_dir, config, selected.classes, epochs, confusion, best_epoch,
                  {"data": data_info, "features": spec.to_dict(), "kept_epoch": best_epoch, "train_seconds": seconds,
                   "skipped_clips": {k: len(v) for k, v in data.skipped.items()}})
    kept = epochs[best_epoch - 1]
    echo(f"kept epoch {best_epoch}: val accuracy {kept['val_accuracy']:.3f}, F1 {kept['val_f1']:.3f}; "
         f"{seconds:.1f} s; outputs in {run_dir}/")
    return TrainResult(run_dir, epochs, best_epoch, seconds)


def write_outputs(run_dir: Path, config: TrainConfig, classes: list[str], epochs: list[dict],
                  confusion: list[list[int]], best_epoch: int, run_info: dict) -> None:
    """The metrics JSON and CSV, run.json, the three plots, and the ``latest`` pointer."""
    metrics = {"config": config.to_dict(), "classes": classes, "epochs": epochs, "confusion_matrix": confusion}
    (run_dir / "metricas_entrenamiento.json").write_text(json.dumps(metrics, indent=2))
    pd.DataFrame(epochs).to_csv(run_dir / "metrics.csv", index=False)
    (run_dir / "run.json").write_text(json.dumps(run_info, indent=2))
    plot_loss(epochs, run_dir / "loss.png", best_epoch if config.keep_best else None)
    plot_metrics(epochs, run_dir / "metrics.png")
    kept = epochs[best_epoch - 1]
    plot_confusion(confusion, classes, run_dir / "confusion_matrix.png",
                   f"Validation confusion matrix (epoch {best_epoch}, accuracy {kept['val_accuracy']:.1%})")
    point_latest(run_dir)


def build_parser() -> argparse.ArgumentParser:
    d = TrainConfig()
    p = argparse.ArgumentParser(prog="python -m training.train", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    flag = partial(p.add_argument, default=None)
    flag("--data", help=f"skeleton pickle in the MMAction2/PYSKL format (default {d.data})")
    flag("--download", action="store_true", help="download the published ucf101_2d.pkl to --data first if missing")
    flag("--label-map", help="text file, one class name per line (default: UCF101's 101 classes)")
    flag("--classes", help=f"names or ids, comma-separated, or 'all' (default {d.classes})")
    flag("--split", help="train on this official split (e.g. train1) and validate on its test twin")
    flag("--val-fraction", type=float, help=f"validation share of the stratified split (default {d.val_fraction})")
    flag("--seed", type=int, help=f"seed for the split, init and batches (default {d.seed})")
    flag("--recipe", choices=list(RECIPES), help="named set of defaults: spec (default) or strong")
    flag("--max-frames", type=int, help=f"training sequences are cut/padded to this (default {d.max_frames})")
    flag("--window-frames", help="live window: 'max' (= --max-frames, default), 'auto' (the 75th percentile of "
                                 "training clip lengths) or a number of frames")
    flag("--fps", type=float, help=f"frame rate of the training clips, used to resample live video (default {d.fps:g})")
    flag("--velocity", action=argparse.BooleanOptionalAction, help="add frame-difference features")
    flag("--hidden-size", type=int, help=f"LSTM units (default {d.hidden_size})")
    flag("--num-layers", type=int, help=f"LSTM layers (default {d.num_layers})")
    flag("--cell", choices=["lstm", "gru"], help="recurrent cell (default lstm)")
    flag("--bidirectional", action=argparse.BooleanOptionalAction, help="read the window both ways")
    flag("--dropout", type=float, help=f"dropout before the head (default {d.dropout})")
    flag("--batch-size", type=int, help=f"(default {d.batch_size})")
    flag("--epochs", type=int, help=f"(default {d.epochs})")
    flag("--lr", type=float, help=f"Adam learning rate (default {d.lr})")
    flag("--weight-decay", type=float, help=f"(default {d.weight_decay})")
    flag("--lr-schedule", choices=["none", "cosine"], help="learning-rate schedule (default none)")
    flag("--augment", action=argparse.BooleanOptionalAction, help="skeleton-space augmentation")
    flag("--keep-best", action=argparse.BooleanOptionalAction, help="keep the epoch with the lowest val loss")
    flag("--bucket", action=argparse.BooleanOptionalAction, help="batch clips of similar length (default on)")
    flag("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    flag("--out", help="run directory (default runs/<timestamp>); must be new or empty")
    flag("--overwrite", action="store_true", help="allow writing into a non-empty --out")
    return p


def main(argv: list[str] | None = None) -> TrainResult:
    args = vars(build_parser().parse_args(argv))
    download = args.pop("download")
    config = resolve_config(args)
    if download and not Path(config.data).exists():
        from training.download import UCF101_URL, download_file
        download_file(UCF101_URL, Path(config.data))
    return train(config)


if __name__ == "__main__":
    run_cli(main)
