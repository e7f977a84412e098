"""Skeleton-space augmentation for training (the ``strong`` recipe); never used at inference.

Every transform maps (T, V, 2) pixel keypoints to (T', V, 2) keypoints. Translation and global
scale are left out on purpose: the clip normalisation removes them anyway.
"""
from __future__ import annotations

import numpy as np

from mapping.layouts import flip_permutation
from training.features import fill_missing


def resample_time(keypoints: np.ndarray, new_length: int) -> np.ndarray:
    """Linear interpolation of a (T, V, 2) sequence to (new_length, V, 2)."""
    length = len(keypoints)
    if length == 1 or new_length == length:
        return np.repeat(keypoints, new_length, axis=0) if length == 1 else keypoints.copy()
    src = np.linspace(0.0, length - 1, new_length)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, length - 1)
    w = (src - lo)[:, None, None]
    return (1 - w) * keypoints[lo] + w * keypoints[hi]


def augment_clip(keypoints: np.ndarray, layout: tuple[str, ...], rng: np.random.Generator) -> np.ndarray:
    """One random variant of a clip.

    Applies, in order: temporal crop (70-100% of the frames), speed change (x0.75-1.33),
    left-right mirror with joint swap (p=0.5), rotation (+-12 degrees) and a horizontal
    squeeze (x0.5-1.15; a body turned by an angle a about the vertical axis is about cos(a)
    as wide, so this stands in for other camera viewpoints) with a mild vertical scale
    (x0.85-1.15), about the skeleton's centre.

    Missing joints are filled first (as the feature function would); joints never seen stay at
    the origin, so the feature function still treats them as missing.

    Args:
        keypoints: (T, V, 2) pixels of valid frames (nobody-frames already removed).

    Returns:
        (T', V, 2) float32.
    """
    kp = fill_missing(keypoints, layout)
    never_seen = np.isnan(kp).any(axis=2, keepdims=True)[:1]   # (1, V, 1)
    kp = np.nan_to_num(kp, nan=0.0)
    length = len(kp)
    if length >= 8:
        keep = max(4, int(round(length * rng.uniform(0.7, 1.0))))
        start = int(rng.integers(0, length - keep + 1))
        kp = kp[start:start + keep]
        kp = resample_time(kp, max(2, int(round(len(kp) * rng.uniform(0.75, 1.33)))))
    centre = kp[:, ~never_seen[0, :, 0]].reshape(-1, 2).mean(axis=0)
    kp = kp - centre
    if rng.random() < 0.5:
        kp = kp[:, flip_permutation(layout), :] * np.array([-1.0, 1.0], dtype=np.float32)
        never_seen = never_seen[:, flip_permutation(layout), :]
    angle = np.deg2rad(rng.uniform(-12, 12))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], dtype=np.float32)
    scale = np.array([rng.uniform(0.5, 1.15), rng.uniform(0.85, 1.15)], dtype=np.float32)
    kp = (kp @ rotation.T) * scale + centre
    return np.where(never_seen, 0.0, kp).astype(np.float32)  # never-seen joints stay "not placed"
