"""Evaluate a checkpoint on one split of a skeleton file: ``python -m training.evaluate --help``.

Each clip is read whole (as training validates) and decided by the checkpoint's decision layer,
so a clip can come out as "no action": accuracy counts that as a miss, and the report says how
often it happened (``rejected``) and how accurate the named clips were (``accuracy_named``).
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np

from training.checkpoint import LoadedCheckpoint, add_checkpoint_argument, load_checkpoint, resolve_checkpoint
from training.cli_types import ArgumentParser, output_file, path_text
from training.dataset import load_skeleton_file
from training.decision import NO_ACTION, DecisionSpec, SteadyDecider, add_decision_arguments
from training.device import add_device_argument, resolve_device
from training.errors import UserError, run_cli
from training.features import motion_amount, travel_amount, visible_share
from training.inference import predict_features
from training.loop import encode_clips
from training.metrics import classification_metrics
from training.outputs import check_output_file, check_outputs_apart, write_text_atomic
from training.selection import label_map_of_data, model_classes_by_label

EXAMPLES = """examples:
  python -m training.evaluate --checkpoint runs/train1 --data ucf101_2d.pkl --split test1   # trained with --split train1
  python -m training.evaluate --checkpoint runs/latest/model.pt --data ucf101_2d.pkl --json test1.json --split test1
  python -m training.evaluate --data penn_action_test_2d.pkl --no-reject      # the classifier alone
"""


class DecidedClips(NamedTuple):
    """What the decision layer said about whole clips.

    Attributes:
        predicted: (N,) class index, -1 for NO_ACTION.
        probabilities: (N, C) the model's class probabilities.
        reasons: per clip, why it is NO_ACTION ("" when a class was named).
    """

    predicted: np.ndarray
    probabilities: np.ndarray
    reasons: list[str]


def decide_clips(ckpt, clips: list[np.ndarray], scores: list[np.ndarray], decision: DecisionSpec,
                 batch_size: int = 64) -> DecidedClips:
    """Whole clips ((T, V, 2) pixels, (T, V) joint scores) -> what the decision layer says of each.

    One model run per clip, decided by a fresh :class:`SteadyDecider` (no history to smooth).
    """
    features, lengths = encode_clips(clips, ckpt.spec)
    probabilities, background, members, second = [], [], [], []
    for i in range(0, len(clips), batch_size):
        batch = predict_features(ckpt, features[i:i + batch_size, :max(1, lengths[i:i + batch_size].max())],
                                 np.maximum(lengths[i:i + batch_size], 1))
        probabilities.append(batch.probabilities)
        background.append(batch.background)
        members.append(batch.members)
        second.append(batch.second_opinion)
    probabilities, background = np.concatenate(probabilities), np.concatenate(background)
    member_probabilities = None if members[0] is None else np.concatenate(members, axis=1)   # (M, N, C)
    second_opinion = None if second[0] is None else np.concatenate(second)                    # (N, C)
    predicted = np.empty(len(clips), dtype=np.int64)
    reasons = []
    for i, clip in enumerate(clips):
        decider = SteadyDecider(ckpt.classes, decision, ckpt.member_known)
        d = decider.update(0.0, probabilities[i], float(background[i]),
                           motion_amount(clip, ckpt.spec, decision.still_s), visible_share(scores[i], ckpt.spec),
                           None if member_probabilities is None else member_probabilities[:, i],
                           None if second_opinion is None else second_opinion[i],
                           travel=travel_amount(clip, ckpt.spec, decision.travel_s) if decision.max_travel > 0 else None)
        predicted[i] = -1 if d.label == NO_ACTION else ckpt.classes.index(d.label)
        reasons.append(d.reason)
    return DecidedClips(predicted, probabilities, reasons)


def evaluate_checkpoint(ckpt: LoadedCheckpoint, data: str, split: str | None = None, label_map: str | None = None,
                        decision: DecisionSpec | None = None) -> dict:
    """Accuracy, weighted P/R/F1, rejection and the confusion matrix on a split (or the whole file)."""
    decision = decision or ckpt.decision
    skeletons = load_skeleton_file(data)
    clips = skeletons.clips
    if split is not None:
        if split not in skeletons.split:
            raise UserError(f"No split '{split}' in '{data}'; it has {', '.join(skeletons.split) or 'none'}.")
        wanted = set(skeletons.split[split])
        clips = [c for c in clips if c.frame_dir in wanted]
    model_class = model_classes_by_label(ckpt.classes, ckpt.class_ids, label_map)
    other_labels = sorted({c.label for c in clips if c.label not in model_class})
    n_other = sum(c.label not in model_class for c in clips)
    clips = [c for c in clips if c.label in model_class]
    if not clips:
        raise UserError(f"'{data}'{f' split {split}' if split else ''} has no clip of the model's classes "
                        f"({', '.join(ckpt.classes)})." + (" Wrong --label-map?" if label_map else
                                                           " Pass the file's label map with --label-map FILE."))
    labels = np.array([model_class[c.label] for c in clips])
    decided = decide_clips(ckpt, [c.keypoints for c in clips], [c.scores for c in clips], decision)
    predicted = decided.predicted
    rejected = predicted < 0
    n = len(ckpt.classes)
    metrics = classification_metrics(labels, np.where(rejected, n, predicted), n)   # NO_ACTION counts as a miss
    matrix = np.zeros((n, n + 1), dtype=int)                                          # last column: NO_ACTION
    np.add.at(matrix, (labels, np.where(rejected, n, predicted)), 1)
    named = ~rejected
    return {**metrics, "confusion_matrix": matrix.tolist(), "classes": ckpt.classes, "n": len(clips),
            "n_other_classes": n_other, "other_labels": other_labels,
            "skipped": {reason: len(names) for reason, names in skeletons.skipped.items()},
            "rejected": float(rejected.mean()),
            "rejected_by_reason": dict(Counter(r for r in decided.reasons if r).most_common()),
            "accuracy_named": float((predicted[named] == labels[named]).mean()) if named.any() else 0.0,
            "rejected_per_class": {c: float(rejected[labels == i].mean()) for i, c in enumerate(ckpt.classes)
                                   if (labels == i).any()}}


def seen_in_training(ckpt: LoadedCheckpoint, data: str, split: str | None) -> str | None:
    """Why the clips evaluated were (mostly) training clips of the checkpoint, or None.

    The file is the training file when its name and size are the ones recorded at training time.
    A model trained on every annotation of a file (the default 80/20 split) has seen most clips of
    every split of it, ``test1`` too; one trained on an official split has seen that split only.
    """
    try:
        size = Path(data).stat().st_size
    except OSError:
        return None
    if ckpt.data.get("file") != Path(data).name or ckpt.data.get("size_bytes") != size:
        return None
    trained_split = ckpt.train_config.get("split")
    if trained_split is None:
        return (f"'{Path(data).name}' is the file this model was trained on (an 80/20 split of all its "
                f"annotations): {'its split ' + repr(split) if split else 'it'} holds mostly training clips; "
                "evaluate another file, or train with --split train1 and evaluate --split test1")
    if split is None or split == trained_split:
        return (f"'{Path(data).name}' is the file this model was trained on (--split {trained_split}): "
                f"{'that split' if split else 'it'} holds its training clips; evaluate another split "
                f"(e.g. --split {trained_split.replace('train', 'test')})")
    return None


def main(argv: list[str] | None = None) -> dict:
    p = ArgumentParser(prog="python -m training.evaluate", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_checkpoint_argument(p)
    add_device_argument(p)
    p.add_argument("--data", type=path_text, required=True, help="skeleton pickle (MMAction2/PYSKL format)")
    p.add_argument("--split", help="split name, e.g. test1 (default: every annotation in the file)")
    p.add_argument("--label-map", type=path_text,
                   help="label map of the file (default: <data>.labels.txt beside it, as realtime.extract writes "
                        "it, else the label ids the checkpoint was trained on)")
    p.add_argument("--json", type=output_file, help="write the metrics to this JSON file (refuses to overwrite)")
    p.add_argument("--overwrite", action="store_true", help="allow --json to replace an existing file")
    add_decision_arguments(p)
    a = p.parse_args(argv)
    check_output_file(Path(a.json) if a.json else None, "--json", a.overwrite)
    path, why = resolve_checkpoint(a.checkpoint)
    check_outputs_apart([("--json", a.json)], [a.data, a.label_map, path])
    print(f"model {path} ({why})")
    ckpt = load_checkpoint(path, device=resolve_device(a.device))
    label_map = label_map_of_data(a.data, a.label_map)
    decision = ckpt.decision_from(a)
    r = evaluate_checkpoint(ckpt, a.data, a.split, label_map, decision)
    seen = seen_in_training(ckpt, a.data, a.split)
    if seen:
        print(f"note: {seen}, so the figures below overstate what it does on clips it has not seen")
    print(f"{r['n']} clips  accuracy {r['accuracy']:.3f}  precision {r['precision']:.3f}  "
          f"recall {r['recall']:.3f}  F1 {r['f1']:.3f}  (weighted; '{NO_ACTION}' counts as a miss)")
    why = ", ".join(f"{reason} {count}" for reason, count in r["rejected_by_reason"].items())
    print(f"said '{NO_ACTION}' for {r['rejected']:.1%} of the clips" + (f" ({why})" if why else "")
          + f"; accuracy on the others {r['accuracy_named']:.3f}")
    if r["n_other_classes"]:
        shown = ", ".join(map(str, r["other_labels"][:10])) + (", ..." if len(r["other_labels"]) > 10 else "")
        print(f"left out: {r['n_other_classes']} clip(s) with labels the model was not trained on ({shown})")
        if label_map is None and r["n_other_classes"] > r["n"]:
            print(f"note: most of the file's clips have labels the model was not trained on, and the {r['n']} "
                  "others were scored by label id as the model's classes (no label map given): if the file "
                  "numbers its classes in another way (UCF101's ids, your own), pass its --label-map so that "
                  "classes are matched by name")
    for reason, count in r["skipped"].items():
        print(f"left out: {count} annotation(s) of the file with {reason}")
    width = max(len(c) for c in r["classes"] + [NO_ACTION])
    corner = "true \\ predicted"
    print(f"{corner:>{width}}  " + " ".join(f"{i:>5}" for i in range(len(r["classes"]))) + "  no-act")
    for i, (name, row) in enumerate(zip(r["classes"], r["confusion_matrix"])):
        print(f"{name:>{width}}  " + " ".join(f"{v:>5}" for v in row[:-1]) + f"  {row[-1]:>6}   ({i})")
    if a.json:
        out = {k: r[k] for k in ("accuracy", "precision", "recall", "f1", "rejected", "rejected_by_reason",
                                 "accuracy_named", "classes",
                                 "confusion_matrix", "rejected_per_class", "n", "n_other_classes", "skipped")}
        written = write_text_atomic(Path(a.json), json.dumps(out, indent=2, allow_nan=False), replace=a.overwrite)
        print(f"wrote {written}")
    return r


if __name__ == "__main__":
    run_cli(main)
