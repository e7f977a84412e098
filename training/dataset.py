"""Read and validate an MMAction2/PYSKL skeleton file (``ucf101_2d.pkl`` format).

The file is a dict ``{"split": {name: [frame_dir, ...]}, "annotations": [record, ...]}``; each
record has ``frame_dir``, ``label``, ``img_shape`` (h, w), ``original_shape``, ``total_frames``,
``keypoint`` (M, T, 17, 2) in pixels and ``keypoint_score`` (M, T, 17). Extra keys are ignored.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.errors import UserError
from training.features import ORIGIN_EPS_PX, person_present
from training.safe_pickle import safe_load_pickle

REQUIRED_KEYS = ("frame_dir", "label", "keypoint")
NUM_JOINTS = 17


@dataclass
class Clip:
    """One person's skeleton sequence.

    Attributes:
        keypoints: (T, 17, 2) float32 pixel coordinates of the first person.
        scores: (T, 17) float32 keypoint confidences.
        label: original label id from the file.
        frame_dir: the clip's name.
        img_shape: (height, width) of the frames the pixels refer to.
    """

    keypoints: np.ndarray
    scores: np.ndarray
    label: int
    frame_dir: str
    img_shape: tuple[int, int]


@dataclass
class SkeletonFile:
    """A validated skeleton file: clips of the first person, plus the file's split dict."""

    clips: list[Clip]
    split: dict[str, list[str]]
    path: Path
    size_bytes: int
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> frame_dirs

    def labels_present(self) -> set[int]:
        return {c.label for c in self.clips}


def _check_record(i: int, rec: object, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Validate one annotation; return its keypoint (M, T, 17, 2) and score (M, T, 17) arrays (nested
    lists of numbers, as a file converted from JSON holds them, are read as arrays)."""
    where = f"annotation {i} of '{path}'"
    if not isinstance(rec, dict):
        raise UserError(f"{where} is a {type(rec).__name__}, expected a dict with keys {', '.join(REQUIRED_KEYS)}.")
    missing = [k for k in REQUIRED_KEYS if k not in rec]
    if missing:
        raise UserError(f"{where} ({rec.get('frame_dir', '?')}) lacks key(s) {', '.join(missing)}; "
                        f"it has {', '.join(map(str, rec))}. Is this an MMAction2/PYSKL skeleton file?")
    where = f"annotation {i} ('{rec['frame_dir']}') of '{path}'"
    kp = _as_array(rec["keypoint"], "keypoint", where)
    if not isinstance(kp, np.ndarray) or kp.ndim != 4 or kp.shape[2:] != (NUM_JOINTS, 2):
        shape = getattr(kp, "shape", type(kp).__name__)
        third = (" A third value per joint is either a confidence (move it to 'keypoint_score', shape (M, T, 17)) "
                 "or a depth (3D skeletons are not read: this recogniser learns from 2D image coordinates)."
                 if isinstance(kp, np.ndarray) and kp.ndim == 4 and kp.shape[2:] == (NUM_JOINTS, 3) else "")
        raise UserError(f"{where}: 'keypoint' has shape {shape}, expected (M, T, 17, 2) "
                        f"(persons, frames, COCO-17 joints, x/y).{third}")
    kp = _real_numbers(kp, "keypoint", where)
    score = _as_array(rec.get("keypoint_score"), "keypoint_score", where)
    if score is None:
        score = np.ones(kp.shape[:3], dtype=np.float32)
    if not isinstance(score, np.ndarray) or score.shape != kp.shape[:3]:
        raise UserError(f"{where}: 'keypoint_score' has shape {getattr(score, 'shape', None)}, "
                        f"expected {kp.shape[:3]} to match 'keypoint'.")
    score = _real_numbers(score, "keypoint_score", where)
    if not isinstance(rec["label"], (int, np.integer)) or isinstance(rec["label"], bool):
        raise UserError(f"{where}: 'label' is {rec['label']!r}, expected an integer class id.")
    return kp, score


def _as_array(value: object, key: str, where: str) -> object:
    """Nested lists of numbers (a file converted from JSON) as a float32 array; anything else as it is."""
    if not isinstance(value, (list, tuple)):
        return value
    try:
        return np.asarray(value, dtype=np.float32)
    except (ValueError, TypeError):
        raise UserError(f"{where}: '{key}' is a list that is not a table of numbers (rows of different "
                        "lengths, or text); expected an array of shape (M, T, 17, 2).") from None


def _real_numbers(array: np.ndarray, key: str, where: str) -> np.ndarray:
    """``array`` (any shape) if it holds integers or floats; an object array of numbers as float32.

    Raises:
        UserError: text, booleans, complex numbers or other objects in it.
    """
    if array.dtype.kind in "iuf":
        return array
    if array.dtype.kind == "O":
        try:
            return array.astype(np.float32)
        except (TypeError, ValueError):
            pass
    kinds = {"U": "text", "S": "text", "b": "true/false", "c": "complex", "O": "non-number"}
    raise UserError(f"{where}: '{key}' holds {kinds.get(array.dtype.kind, str(array.dtype))} values, expected numbers "
                    f"({'pixel coordinates' if key == 'keypoint' else 'confidences from 0 to 1'}).")


def keypoint_digest(keypoints: np.ndarray) -> bytes:
    """A fingerprint of a clip's coordinates, any shape ((M, T, V, 2) as stored, (T, V, 2) as
    loaded) and float precision: the same clip in two files, or twice in one, has the same one."""
    return hashlib.sha1(np.ascontiguousarray(keypoints, dtype=np.float32).tobytes()).digest()


def _img_shape(rec: dict) -> tuple[int, int]:
    """(height, width) from ``img_shape``, else ``original_shape``; (0, 0) when neither starts with
    two numbers of at least 1 (a tuple, list or array). Training does not use it, so an odd value is
    read as "unknown" instead of stopping a run."""
    for key in ("img_shape", "original_shape"):
        try:
            height, width = (float(v) for v in np.asarray(rec.get(key), dtype=object).ravel()[:2])
        except (TypeError, ValueError):      # None, a number, text, fewer than two values
            continue
        if np.isfinite([height, width]).all() and height >= 1 and width >= 1:
            return int(height), int(width)
    return (0, 0)


def load_skeleton_file(path: str | Path) -> SkeletonFile:
    """Load and validate a skeleton pickle; keep the first person of every usable clip.

    Clips with zero frames or whose first person has no joint placed (every joint within
    ``ORIGIN_EPS_PX`` of the image origin, the format's "nobody") are skipped and counted in
    ``SkeletonFile.skipped``, as are later annotations repeating an earlier one's ``frame_dir``
    and keypoints (a file joined from two: one clip twice). Malformed records are errors, and so
    is a file whose coordinates are all that small (normalised to 0..1 instead of pixels).

    Raises:
        UserError: with what was wrong and how to fix it.
    """
    path = Path(path)
    data = safe_load_pickle(path)
    if not isinstance(data, dict):
        raise UserError(f"'{path}' holds a {type(data).__name__}, expected a dict with 'split' and 'annotations'.")
    missing = [k for k in ("split", "annotations") if k not in data]
    if missing:
        raise UserError(f"'{path}' lacks {', '.join(repr(k) for k in missing)}; it has "
                        f"{', '.join(map(repr, data))}. Expected the MMAction2/PYSKL format (see README).")
    split, annotations = data["split"], data["annotations"]
    if isinstance(annotations, tuple):
        annotations = list(annotations)
    if not isinstance(split, dict) or not isinstance(annotations, list):
        raise UserError(f"'{path}': 'split' must be a dict and 'annotations' a list.")
    clips: list[Clip] = []
    skipped: dict[str, list[str]] = {}
    largest = 0.0    # largest coordinate of any skipped first person, to recognise normalised files
    seen: set[tuple[str, bytes]] = set()     # (frame_dir, digest of its keypoints)
    for i, rec in enumerate(annotations):
        kp, score = _check_record(i, rec, path)
        name = str(rec["frame_dir"])
        key = (name, keypoint_digest(kp))
        if key in seen:             # the same clip twice: a copy could land in training and validation alike
            skipped.setdefault("the name and keypoints of an earlier annotation", []).append(name)
            continue
        seen.add(key)
        if kp.shape[0] == 0 or kp.shape[1] == 0:
            skipped.setdefault("no frames", []).append(name)
            continue
        first = kp[0].astype(np.float32)
        if not np.isfinite(first).all() or not np.isfinite(score[0].astype(np.float32)).all():
            raise UserError(f"annotation {i} ('{name}') of '{path}' has NaN or infinite keypoints or scores. "
                            "Re-extract that clip or remove it from the file.")
        if not person_present(first).any():
            skipped.setdefault("no joint placed", []).append(name)
            largest = max(largest, float(np.abs(first).max()))
            continue
        clips.append(Clip(first, score[0].astype(np.float32), int(rec["label"]), name, _img_shape(rec)))
    if not clips and 0 < largest < ORIGIN_EPS_PX:
        raise UserError(f"'{path}': every keypoint lies within {ORIGIN_EPS_PX:g} of (0, 0) (largest "
                        f"{largest:.3g}): the coordinates look normalised to the image size, but the format "
                        "holds pixels, and a joint at the origin means 'not placed'. Multiply x by the image "
                        "width and y by its height (img_shape is (height, width)) and save the file again.")
    if not clips:
        raise UserError(f"'{path}' has no usable clip ({len(annotations)} annotations; "
                        f"skipped: {', '.join(f'{len(v)} {k}' for k, v in skipped.items()) or 'none'}).")
    for name, members in split.items():
        if not isinstance(members, (list, tuple)):
            raise UserError(f"'{path}': split '{name}' must be a list of frame_dir names, got "
                            f"{type(members).__name__}. Fix the file's 'split' dict (or give it an empty one).")
        odd = next((i for i, m in enumerate(members) if not isinstance(m, str)), None)
        if odd is not None:
            raise UserError(f"'{path}': split '{name}' must list frame_dir names (text), but its entry {odd} is "
                            f"{members[odd]!r}. Fix the file's 'split' dict (or give it an empty one).")
    return SkeletonFile(clips, {str(k): list(v) for k, v in split.items()}, path, path.stat().st_size, skipped)
