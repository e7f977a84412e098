"""From a loaded skeleton file to labelled train/val clips: class selection and the split."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.dataset import Clip, SkeletonFile
from training.decision import reserved_name, why_reserved
from training.errors import UserError
from training.labels import UCF101_CLASSES, read_label_map, select_classes


@dataclass
class LabelledClips:
    """Clips re-labelled 0..C-1 in the order the classes were selected."""

    clips: list[Clip]
    labels: np.ndarray          # (N,) int64, 0..C-1
    classes: list[str]
    label_ids: list[int]        # the file's label id of each class, in the same order


def label_map_for(label_map_path: str | None) -> tuple[str, ...]:
    return read_label_map(label_map_path) if label_map_path else UCF101_CLASSES


def label_map_beside(data: str | Path) -> Path:
    """Where a skeleton file's own label map goes: ``mine.pkl`` -> ``mine.labels.txt`` (the one
    naming rule of ``realtime.extract``, which writes it, and of the commands that look for it)."""
    return Path(data).with_suffix(".labels.txt")


def label_map_of_data(data: str, label_map: str | None, echo=print) -> str | None:
    """The data file's label map: ``label_map`` when given, else ``<data>.labels.txt`` when it lies
    beside the data (as ``realtime.extract`` writes it), else None (the checkpoint's label ids).

    Without it an extracted file's label 0 ("other") was read as the model's class 0.
    """
    if label_map is not None:
        return label_map
    beside = label_map_beside(data)
    if not beside.is_file():
        return None
    echo(f"label map {beside} (found beside the data; --label-map FILE to use another)")
    return str(beside)


def select(data: SkeletonFile, classes_spec: str, label_map: tuple[str, ...]) -> LabelledClips:
    """Keep the clips of the selected classes, re-indexed 0..C-1 in the order given."""
    out_of_map = sorted(label for label in data.labels_present() if not 0 <= label < len(label_map))
    if out_of_map:
        raise UserError(f"'{data.path}' has labels {out_of_map[:5]} outside the label map (ids 0.."
                        f"{len(label_map) - 1}). Pass the file's own label map with --label-map FILE.")
    wanted = select_classes(classes_spec, label_map, data.labels_present())
    if len(wanted) < 2:
        raise UserError(f"Training needs at least 2 classes; the selection gives {len(wanted)} "
                        f"({', '.join(label_map[i] for i in wanted) or 'none'}). Add classes with --classes.")
    reserved = reserved_name(label_map[i] for i in wanted)
    if reserved is not None:
        raise UserError(f"A class is named {why_reserved(reserved)}. Rename it in the label map.")
    new_label = {orig: i for i, orig in enumerate(wanted)}
    clips = [c for c in data.clips if c.label in new_label]
    labels = np.array([new_label[c.label] for c in clips], dtype=np.int64)
    counts = np.bincount(labels, minlength=len(wanted))
    too_few = [f"{label_map[orig]} ({counts[i]})" for i, orig in enumerate(wanted) if counts[i] < 2]
    if too_few:
        raise UserError(f"Every selected class needs at least 2 clips in '{data.path}' (one to train, one to "
                        f"validate); too few: {', '.join(too_few)}. Choose other --classes.")
    return LabelledClips(clips, labels, [label_map[orig] for orig in wanted], list(wanted))


def stratified_split(labels: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per class, ``round(val_fraction * n)`` clips (at least 1, at most n-1) go to validation."""
    if not 0.0 < val_fraction < 1.0:
        raise UserError(f"--val-fraction must be between 0 and 1, got {val_fraction}.")
    rng = np.random.default_rng(seed)
    train, val = [], []
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        n_val = min(len(idx) - 1, max(1, int(round(val_fraction * len(idx)))))
        val.extend(idx[:n_val])
        train.extend(idx[n_val:])
    return np.sort(np.array(train)), np.sort(np.array(val))


def official_split(selected: LabelledClips, split: dict[str, list[str]], train_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Train on split ``train_name`` (e.g. train1), validate on its test twin (test1)."""
    if "train" not in train_name:
        trains = [n for n in split if "train" in n]
        raise UserError(f"--split takes a training split (validation uses its test twin: train1 -> test1), got "
                        f"'{train_name}'; the file's training splits: {', '.join(map(repr, trains)) or 'none'}. "
                        "Omit --split for a stratified 80/20 split.")
    val_name = train_name.replace("train", "test", 1)
    missing = [n for n in (train_name, val_name) if n not in split]
    if missing:
        raise UserError(f"The data file has no split {', '.join(map(repr, missing))}; it has "
                        f"{', '.join(map(repr, split)) or 'none'}. Omit --split for a stratified 80/20 split.")
    in_train, in_val = set(split[train_name]), set(split[val_name])
    both = sorted(in_train & in_val)
    if both:
        raise UserError(f"{len(both)} clip(s) are in both {train_name!r} and {val_name!r} (e.g. {both[0]!r}): "
                        "validating on clips the model trained on would overstate its accuracy. Fix the file's "
                        "split, or omit --split for a stratified 80/20 split.")
    names = [c.frame_dir for c in selected.clips]
    train = np.array([i for i, n in enumerate(names) if n in in_train], dtype=np.int64)
    val = np.array([i for i, n in enumerate(names) if n in in_val], dtype=np.int64)
    if len(train) == 0 or len(val) == 0:
        raise UserError(f"Split {train_name}/{val_name} leaves {len(train)} training and {len(val)} validation "
                        "clips of the selected classes.")
    unlearnt = [selected.classes[k] for k in range(len(selected.classes)) if not (selected.labels[train] == k).any()]
    if unlearnt:
        raise UserError(f"Split {train_name!r} has no clip of {', '.join(unlearnt)}: the model could never learn "
                        f"{'it' if len(unlearnt) == 1 else 'them'}. Choose other --classes, another --split, or omit "
                        "--split for a stratified 80/20 split.")
    return train, val


def model_classes_by_label(classes: list[str], class_ids: list[int] | None,
                           label_map_path: str | None) -> dict[int, int]:
    """A skeleton file's label id -> index of the model class it is (labels of other classes absent).

    Without ``--label-map`` the checkpoint's own record of the label ids it was trained on is used
    (a model trained on Penn Action reads Penn's labels as Penn's classes); with one, labels are
    matched to the model's classes by name; a checkpoint that recorded no ids falls back to UCF101.
    """
    if label_map_path is None and class_ids is not None:
        return {label: i for i, label in enumerate(class_ids)}
    position = {name: i for i, name in enumerate(classes)}
    return {label: position[name] for label, name in enumerate(label_map_for(label_map_path)) if name in position}
