"""Evaluate a checkpoint on one split of a skeleton file: ``python -m training.evaluate --help``."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from training.checkpoint import find_latest_checkpoint, load_checkpoint
from training.dataset import load_skeleton_file
from training.errors import UserError, run_cli
from training.inference import predict_features
from training.loop import encode_clips
from training.metrics import classification_metrics
from training.selection import label_map_for

EXAMPLES = """examples:
  python -m training.evaluate --data ucf101_2d.pkl --split test1
  python -m training.evaluate --checkpoint runs/latest/model.pt --data ucf101_2d.pkl --json test1.json --split test1
"""


def evaluate_checkpoint(checkpoint: str | None, data: str, split: str | None = None,
                        label_map: str | None = None, batch_size: int = 64) -> dict:
    """Accuracy, weighted P/R/F1 and confusion matrix of the model's classes on a split (or the whole file)."""
    ckpt = load_checkpoint(checkpoint or find_latest_checkpoint())
    skeletons = load_skeleton_file(data)
    names = label_map_for(label_map)
    clips = skeletons.clips
    if split is not None:
        if split not in skeletons.split:
            raise UserError(f"No split '{split}' in '{data}'; it has {', '.join(skeletons.split) or 'none'}.")
        wanted = set(skeletons.split[split])
        clips = [c for c in clips if c.frame_dir in wanted]
    index_of_class = {name: i for i, name in enumerate(ckpt.classes)}
    clips = [c for c in clips if 0 <= c.label < len(names) and names[c.label] in index_of_class]
    if not clips:
        raise UserError(f"'{data}'{f' split {split}' if split else ''} has no clip of the model's classes "
                        f"({', '.join(ckpt.classes)}). Wrong --label-map?")
    labels = np.array([index_of_class[names[c.label]] for c in clips])
    features, lengths = encode_clips([c.keypoints for c in clips], ckpt.spec)
    probabilities = np.concatenate([predict_features(ckpt, features[i:i + batch_size, :lengths[i:i + batch_size].max()],
                                                     lengths[i:i + batch_size])
                                    for i in range(0, len(clips), batch_size)])
    metrics = classification_metrics(labels, probabilities.argmax(axis=1), len(ckpt.classes))
    return {**metrics, "classes": ckpt.classes, "n": len(clips)}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", help="model.pt (default: the newest run under runs/)")
    p.add_argument("--data", required=True, help="skeleton pickle (MMAction2/PYSKL format)")
    p.add_argument("--split", help="split name, e.g. test1 (default: every annotation in the file)")
    p.add_argument("--label-map", help="label map of the file (default: UCF101)")
    p.add_argument("--json", help="write the metrics to this JSON file (refuses to overwrite)")
    p.add_argument("--overwrite", action="store_true", help="allow --json to replace an existing file")
    a = p.parse_args(argv)
    if a.json and Path(a.json).exists() and not a.overwrite:
        raise UserError(f"--json '{a.json}' exists; choose another name or add --overwrite.")
    r = evaluate_checkpoint(a.checkpoint, a.data, a.split, a.label_map)
    print(f"{r['n']} clips  accuracy {r['accuracy']:.3f}  precision {r['precision']:.3f}  "
          f"recall {r['recall']:.3f}  F1 {r['f1']:.3f}  (weighted)")
    width = max(len(c) for c in r["classes"])
    corner = "true \\ predicted"
    print(f"{corner:>{width}}  " + " ".join(f"{i:>5}" for i in range(len(r["classes"]))))
    for i, (name, row) in enumerate(zip(r["classes"], r["confusion_matrix"])):
        print(f"{name:>{width}}  " + " ".join(f"{v:>5}" for v in row) + f"   ({i})")
    if a.json:
        out = {k: r[k] for k in ("accuracy", "precision", "recall", "f1", "classes", "confusion_matrix", "n")}
        Path(a.json).write_text(json.dumps(out, indent=2))
        print(f"wrote {a.json}")
    return r


if __name__ == "__main__":
    run_cli(main)
