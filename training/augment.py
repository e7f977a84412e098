"""Skeleton-space augmentation for training; never used at inference.

Every transform maps (T, V, 2) pixel keypoints to (T', V, 2) keypoints. Translation and global
scale are left out on purpose: the clip normalisation removes them anyway.

Two groups, each switched on by the recipe:
  * :func:`augment_clip` (``--augment``): time crop and speed, mirror, rotation, viewpoint squeeze;
  * :func:`perturb_pose` (``--pose-noise``): what a live pose model does differently from the
    annotators of the training set: other body proportions (MediaPipe's hips sit about 30%
    closer together than annotated ones; its "nose" is not the head centre Penn Action marks),
    per-frame jitter, and joints lost for a while.
"""
from __future__ import annotations

import numpy as np

from mapping.layouts import COCO17_PARENTS, flip_permutation, index_of
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


def _filled(keypoints: np.ndarray, layout: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Missing joints filled as the feature function would; (T, V, 2) and the (V,) never-seen mask."""
    kp = fill_missing(keypoints, layout)
    never_seen = np.isnan(kp[0]).any(axis=1)
    return np.nan_to_num(kp, nan=0.0), never_seen


def augment_clip(keypoints: np.ndarray, layout: tuple[str, ...], rng: np.random.Generator,
                 min_crop_frames: int | None = None, temporal: bool = True) -> np.ndarray:
    """One random variant of a clip.

    Applies, in order: temporal crop (70-100% of the frames; with ``min_crop_frames``, half the
    time a crop of any length from that many frames up, as a live window that is still filling
    holds), speed change (x0.75-1.33), left-right mirror with joint swap (p=0.5), rotation
    (+-12 degrees) and a horizontal squeeze (x0.5-1.15; a body turned by an angle a about the
    vertical axis is about cos(a) as wide, so this stands in for other camera viewpoints) with a
    mild vertical scale (x0.85-1.15), about the skeleton's centre.

    ``temporal=False`` skips crop and speed (for sequences whose end must stay, e.g. background).

    Missing joints are filled first (as the feature function would); joints never seen stay at
    the origin, so the feature function still treats them as missing.

    Args:
        keypoints: (T, V, 2) pixels of valid frames (nobody-frames already removed).

    Returns:
        (T', V, 2) float32.
    """
    kp, never_seen = _filled(keypoints, layout)
    length = len(kp)
    if temporal and length >= 8:
        if min_crop_frames and rng.random() < 0.5:
            keep = int(rng.integers(min(min_crop_frames, length), length + 1))
        else:
            keep = max(4, int(round(length * rng.uniform(0.7, 1.0))))
        start = int(rng.integers(0, length - keep + 1))
        kp = kp[start:start + keep]
        kp = resample_time(kp, max(2, int(round(len(kp) * rng.uniform(0.75, 1.33)))))
    centre = kp[:, ~never_seen].reshape(-1, 2).mean(axis=0)
    kp = kp - centre
    if rng.random() < 0.5:
        kp = kp[:, flip_permutation(layout), :] * np.array([-1.0, 1.0], dtype=np.float32)
        never_seen = never_seen[flip_permutation(layout)]
    angle = np.deg2rad(rng.uniform(-12, 12))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], dtype=np.float32)
    scale = np.array([rng.uniform(0.5, 1.15), rng.uniform(0.85, 1.15)], dtype=np.float32)
    kp = (kp @ rotation.T) * scale + centre
    return np.where(never_seen[None, :, None], 0.0, kp).astype(np.float32)  # never-seen joints stay "not placed"


def body_size(keypoints: np.ndarray, seen: np.ndarray) -> float:
    """Pooled std of the seen joints' coordinates about their mean (the normalisation's scale), pixels."""
    pts = keypoints[:, seen].reshape(-1, 2)
    return float(max(np.std(pts - pts.mean(axis=0)), 1e-3))


def _move_subtree(kp: np.ndarray, joint: int, delta: np.ndarray, children: dict[int, list[int]]) -> None:
    """Shift ``joint`` and every joint hanging from it by ``delta`` ((T, 2) or (2,)), in place."""
    stack = [joint]
    while stack:
        j = stack.pop()
        kp[:, j] += delta
        stack.extend(children.get(j, []))


def perturb_pose(keypoints: np.ndarray, layout: tuple[str, ...], rng: np.random.Generator,
                 jitter: bool = True) -> np.ndarray:
    """Pose-estimator-like differences (see module docstring), about the body's own size.

    Per clip: hip width x0.65-1.1 and shoulder width x0.85-1.1 about their midpoints (limbs
    follow), the head's offset from the shoulders x0.75-1.25, every limb bone x0.9-1.1. Per
    frame (``jitter``): Gaussian jitter with a std of 0-1% of the body size. With p=0.25, one or two joints
    are lost (set to the origin, the format's "not placed") over a random stretch of frames.

    Args:
        keypoints: (T, V, 2) pixels of valid frames.

    Returns:
        (T, V, 2) float32; joints never seen stay at the origin.
    """
    kp, never_seen = _filled(keypoints, layout)
    seen = ~never_seen
    if not seen.any():
        return keypoints.astype(np.float32)
    size = body_size(kp, seen)
    parent_pairs = [(c, p) for c, p in COCO17_PARENTS if c in layout and p in layout]
    children: dict[int, list[int]] = {}
    for child, parent in parent_pairs:
        children.setdefault(index_of(layout, [parent])[0], []).append(index_of(layout, [child])[0])

    for pair, low, high in ((("left_hip", "right_hip"), 0.65, 1.1), (("left_shoulder", "right_shoulder"), 0.85, 1.1)):
        if all(n in layout for n in pair):
            a, b = index_of(layout, list(pair))
            mid = (kp[:, a] + kp[:, b]) / 2
            factor = rng.uniform(low, high)
            for j in (a, b):
                _move_subtree(kp, j, (factor - 1.0) * (kp[:, j] - mid), children)
    head = [n for n in ("nose", "left_eye", "right_eye", "left_ear", "right_ear") if n in layout]
    if head and "left_shoulder" in layout and "right_shoulder" in layout:
        ls, rs = index_of(layout, ["left_shoulder", "right_shoulder"])
        neck = (kp[:, ls] + kp[:, rs]) / 2
        nose = index_of(layout, [head[0]])[0]
        offset = (rng.uniform(0.75, 1.25) - 1.0) * (kp[:, nose] - neck)
        for j in index_of(layout, head):
            kp[:, j] += offset
    for child, parent in parent_pairs:   # ordered root-outwards: elbows before wrists
        c, p = index_of(layout, [child, parent])
        _move_subtree(kp, c, (rng.uniform(0.9, 1.1) - 1.0) * (kp[:, c] - kp[:, p]), children)

    if jitter:
        kp += rng.normal(0.0, rng.uniform(0.0, 0.01) * size, size=kp.shape)
    if rng.random() < 0.25 and len(kp) >= 2:
        for j in rng.choice(np.flatnonzero(seen), size=min(int(rng.integers(1, 3)), int(seen.sum())), replace=False):
            span = int(rng.integers(1, len(kp) + 1))
            start = int(rng.integers(0, len(kp) - span + 1))
            kp[start:start + span, j] = 0.0
    kp[:, never_seen] = 0.0
    return kp.astype(np.float32)
