"""Sequences in which no known action happens, made from the training clips themselves.

They train the model's extra *background* output (``--background``), so that "nothing I know"
is something the model can say instead of forcing one of its classes. Three kinds, each a
(T, V, 2) pixel sequence built from one training clip (never from validation clips):

* **still**: one frame of a clip held for a while, with the jitter and slow sway a live pose
  model reports for a person standing still;
* **after**: a clip followed by its last frame held still for 1.5-4 s (the action is over,
  the person stands: the live window still holds the action, its newest part does not);
* **mixed**: the upper body of one clip over the lower body of a clip of another class, so
  that body parts move in ways no single class does (an unknown action made of known parts).
"""
from __future__ import annotations

import numpy as np

from mapping.layouts import index_of
from training.augment import _filled, body_size, resample_time

KINDS = ("still", "after", "mixed")
LOWER_BODY = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")


def _held(frame: np.ndarray, length: int, size: float, rng: np.random.Generator) -> np.ndarray:
    """(V, 2) frame -> (length, V, 2): held, with slow sway (<= 2% of size) and jitter (0.2-1.5%)."""
    steps = rng.normal(0.0, 1.0, size=(length, 1, 2))
    sway = np.cumsum(steps, axis=0)
    sway -= sway.mean(axis=0)
    sway *= rng.uniform(0.0, 0.02) * size / max(float(np.abs(sway).max()), 1e-6)
    jitter = rng.normal(0.0, rng.uniform(0.002, 0.015) * size, size=(length,) + frame.shape)
    return (frame[None] + sway + jitter).astype(np.float32)


def still_sequence(keypoints: np.ndarray, layout: tuple[str, ...], rng: np.random.Generator,
                   length: int) -> np.ndarray:
    """One random frame of a clip, held ``length`` frames (see module docstring)."""
    kp, never_seen = _filled(keypoints, layout)
    out = _held(kp[int(rng.integers(len(kp)))], length, body_size(kp, ~never_seen), rng)
    out[:, never_seen] = 0.0
    return out


def after_sequence(keypoints: np.ndarray, layout: tuple[str, ...], rng: np.random.Generator,
                   fps: float) -> np.ndarray:
    """The clip, then its last frame held 1.5-4 s."""
    kp, never_seen = _filled(keypoints, layout)
    hold = _held(kp[-1], max(1, int(round(rng.uniform(1.5, 4.0) * fps))), body_size(kp, ~never_seen), rng)
    out = np.concatenate([kp, hold]).astype(np.float32)
    out[:, never_seen] = 0.0
    return out


def mixed_sequence(upper: np.ndarray, lower: np.ndarray, layout: tuple[str, ...]) -> np.ndarray:
    """Upper body of one clip over the lower body of another, hips aligned, on the first clip's length."""
    up, up_never = _filled(upper, layout)
    low, low_never = _filled(lower, layout)
    low = resample_time(low, len(up))
    legs = np.zeros(len(layout), dtype=bool)
    legs[index_of(layout, [n for n in LOWER_BODY if n in layout])] = True
    hips = index_of(layout, [n for n in ("left_hip", "right_hip") if n in layout])
    scale = body_size(up, ~up_never) / body_size(low, ~low_never)
    low_hips, up_hips = low[:, hips].mean(axis=1, keepdims=True), up[:, hips].mean(axis=1, keepdims=True)
    out = up.copy()
    out[:, legs] = (low[:, legs] - low_hips) * scale + up_hips
    out[:, (up_never & ~legs) | (low_never & legs)] = 0.0
    return out.astype(np.float32)


def background_sequences(clips: list[np.ndarray], labels: np.ndarray, count: int, layout: tuple[str, ...],
                         fps: float, max_frames: int, rng: np.random.Generator,
                         kinds: tuple[str, ...] = KINDS) -> list[np.ndarray]:
    """``count`` background sequences, kinds in turn, from random training clips.

    Args:
        clips: training clips, (T, V, 2) pixels of valid frames each.
        labels: (N,) their classes (a mixed sequence takes two clips of different classes).

    Returns:
        (T', V, 2) float32 sequences, each at most ``max_frames`` long (the newest frames kept).
    """
    lengths = np.array([len(c) for c in clips])
    out = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        a = int(rng.integers(len(clips)))
        if kind == "still":
            seq = still_sequence(clips[a], layout, rng, int(lengths[rng.integers(len(clips))]))
        elif kind == "after":
            seq = after_sequence(clips[a], layout, rng, fps)
        elif kind == "mixed":
            others = np.flatnonzero(labels != labels[a])
            b = int(rng.choice(others)) if len(others) else a
            seq = mixed_sequence(clips[a], clips[b], layout)
        else:
            raise ValueError(f"unknown background kind {kind!r}; choose from {', '.join(KINDS)}")
        out.append(seq[-max_frames:])
    return out
