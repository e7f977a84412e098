"""Synthetic skeleton clips in exactly the ``ucf101_2d.pkl`` format, for tests and benchmarks.

Five classes share one body and differ only in how it moves; their labels are the UCF101 ids of
the default classes (46, 14, 51, 47, 16), so the default ``--classes`` works on the file.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from mapping.layouts import COCO17

# Motion name -> UCF101 label id of the class it stands in for.
SYNTHETIC_CLASSES: dict[str, int] = {
    "JumpingJack": 46, "BodyWeightSquats": 14, "Lunges": 51, "JumpRope": 47, "BoxingPunchingBag": 16,
}
_J = {name: i for i, name in enumerate(COCO17)}


def _body(arm_angle: tuple[float, float], elbow_bend: tuple[float, float], leg_spread: float,
          crouch: float, knee_forward: tuple[float, float], hop: float) -> np.ndarray:
    """One pose in body units (height ~1.6, y down, origin between the hips): (17, 2)."""
    p = np.zeros((17, 2))
    drop = 0.35 * crouch - hop
    head = np.array([0.0, -0.95 + drop])
    p[_J["nose"]] = head
    for side, sx in (("left", 1.0), ("right", -1.0)):  # the person's left is image right
        p[_J[f"{side}_eye"]] = head + [0.04 * sx, -0.04]
        p[_J[f"{side}_ear"]] = head + [0.08 * sx, -0.02]
        i = 0 if side == "left" else 1
        shoulder = np.array([0.2 * sx, -0.7 + drop])
        upper = arm_angle[i]
        elbow = shoulder + 0.26 * np.array([np.sin(upper) * sx, np.cos(upper)])
        fore = upper + elbow_bend[i]
        wrist = elbow + 0.24 * np.array([np.sin(fore) * sx, np.cos(fore)])
        hip = np.array([0.12 * sx, drop])
        knee = hip + [(0.02 + leg_spread) * sx + 0.2 * knee_forward[i], 0.42 - 0.25 * crouch - 0.1 * knee_forward[i]]
        ankle = np.array([(0.14 + 1.6 * leg_spread) * sx, 0.82 - hop])
        for joint, xy in (("shoulder", shoulder), ("elbow", elbow), ("wrist", wrist), ("hip", hip),
                          ("knee", knee), ("ankle", ankle)):
            p[_J[f"{side}_{joint}"]] = xy
    return p


def _motion(name: str, phase: np.ndarray) -> np.ndarray:
    """(T,) phase in radians -> (T, 17, 2) body-unit poses of one motion class."""
    s = np.sin(phase)
    up = (1 - np.cos(phase)) / 2  # 0..1
    frames = []
    for t in range(len(phase)):
        if name == "JumpingJack":
            a = 0.2 + 2.6 * up[t]
            frames.append(_body((a, a), (0.1, 0.1), 0.12 * up[t], 0.0, (0, 0), 0.05 * up[t]))
        elif name == "BodyWeightSquats":
            frames.append(_body((1.4 * up[t], 1.4 * up[t]), (0.0, 0.0), 0.05, up[t], (0.3 * up[t], 0.3 * up[t]), 0.0))
        elif name == "Lunges":
            left = max(s[t], 0.0)
            right = max(-s[t], 0.0)
            frames.append(_body((0.15, 0.15), (0.2, 0.2), 0.02, 0.5 * (left + right), (left, right), 0.0))
        elif name == "JumpRope":
            frames.append(_body((0.5, 0.5), (0.8 + 0.3 * s[t], 0.8 + 0.3 * s[t]), 0.0, 0.05, (0, 0),
                                0.06 * abs(np.sin(2 * phase[t]))))
        elif name == "BoxingPunchingBag":
            left = max(s[t], 0.0)
            right = max(-s[t], 0.0)
            frames.append(_body((1.2 + 0.3 * left, 1.2 + 0.3 * right), (1.8 - 1.6 * left, 1.8 - 1.6 * right),
                                0.05, 0.1, (0, 0), 0.0))
        else:
            raise ValueError(f"unknown synthetic motion {name!r}")
    return np.stack(frames)


def synthetic_record(name: str, length: int, rng: np.random.Generator, fps: float = 25.0,
                     img_shape: tuple[int, int] | None = None, second_person: bool = True) -> dict:
    """One annotation dict in the ucf101_2d.pkl format; ``keypoint`` is (2, T, 17, 2) float16."""
    h, w = img_shape or (int(rng.choice([240, 256, 360, 480])), int(rng.choice([320, 340, 480, 640])))
    freq = rng.uniform(0.6, 1.4)
    phase = 2 * np.pi * freq * np.arange(length) / fps + rng.uniform(0, 2 * np.pi)
    body = _motion(name, phase) + rng.normal(0, 0.012, size=(length, 17, 2))
    height = rng.uniform(0.35, 0.8) * h
    centre = np.array([rng.uniform(0.35, 0.65) * w, rng.uniform(0.45, 0.6) * h])
    person = body / 1.8 * height + centre                                   # (T, 17, 2) pixels
    keypoint = np.zeros((2, length, 17, 2), dtype=np.float16)
    score = np.zeros((2, length, 17), dtype=np.float16)
    keypoint[0] = np.clip(person, 0, [w - 1, h - 1])
    score[0] = rng.uniform(0.3, 1.0, size=(length, 17))
    if second_person and length > 2:
        seen = slice(length // 3, length // 3 + max(1, length // 5))    # a passer-by, briefly
        keypoint[1, seen] = rng.uniform(0, [w, h], size=(17, 2))
        score[1, seen] = rng.uniform(0.1, 0.5, size=17)
    return {"frame_dir": "", "label": SYNTHETIC_CLASSES[name], "img_shape": (h, w), "original_shape": (h, w),
            "total_frames": length, "keypoint": keypoint, "keypoint_score": score}


def make_synthetic_dataset(clips_per_class: int = 12, lengths: tuple[int, int] = (1, 400), seed: int = 0,
                           extra_records: list[dict] | None = None, mean_length: float | None = None) -> dict:
    """A whole file's dict: ``{"split": {...}, "annotations": [...]}``.

    Args:
        lengths: (min, max) frames; uniform unless ``mean_length`` asks for a log-normal spread.
        extra_records: real annotations to include as they are (e.g. the shared UCF101 record).
    """
    rng = np.random.default_rng(seed)
    annotations = []
    for name in SYNTHETIC_CLASSES:
        for k in range(clips_per_class):
            if mean_length:
                length = int(np.clip(rng.lognormal(np.log(mean_length), 0.45), *lengths))
            else:
                length = int(rng.integers(lengths[0], lengths[1] + 1))
            rec = synthetic_record(name, length, rng)
            rec["frame_dir"] = f"v_{name}_g{k // 4 + 1:02d}_c{k % 4 + 1:02d}"
            annotations.append(rec)
    annotations.extend(extra_records or [])
    names = [a["frame_dir"] for a in annotations]
    groups = {n: int(n.split("_g")[1][:2]) if "_g" in n else 1 for n in names}
    split = {f"{part}{i}": [n for n in names if (groups[n] % 3 == i % 3) == (part == "test")]
             for i in (1, 2, 3) for part in ("train", "test")}
    return {"split": split, "annotations": annotations}


def write_synthetic_file(path: str | Path, **kwargs) -> Path:
    """Write :func:`make_synthetic_dataset` to ``path`` as a pickle; returns the path."""
    path = Path(path)
    with path.open("wb") as f:
        pickle.dump(make_synthetic_dataset(**kwargs), f, protocol=4)
    return path
