"""Agreement between two keypoint tracks: PCK and pixel errors (pure numpy, no I/O)."""
from __future__ import annotations

import numpy as np


def bbox_size(keypoints: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """(N, K, 2) -> (N,) the longer side of each frame's keypoint bounding box (pixels)."""
    if valid is None:
        valid = np.ones(keypoints.shape[:2], dtype=bool)
    big = np.where(valid[..., None], keypoints, np.nan)
    span = np.nanmax(big, axis=1) - np.nanmin(big, axis=1)          # (N, 2)
    return np.nan_to_num(span.max(axis=1), nan=0.0)


def pck(predicted: np.ndarray, reference: np.ndarray, size: np.ndarray, alpha: float,
        valid: np.ndarray | None = None) -> np.ndarray:
    """Per keypoint, the share of frames where ``|predicted - reference| <= alpha * size``.

    Args:
        predicted, reference: (N, K, 2) pixels.
        size: (N,) the person's size per frame (e.g. :func:`bbox_size`).
        valid: (N, K) which reference keypoints count (default all).

    Returns:
        (K,) shares in [0, 1]; NaN for a keypoint never valid.
    """
    if valid is None:
        valid = np.ones(predicted.shape[:2], dtype=bool)
    distance = np.linalg.norm(predicted - reference, axis=2)          # (N, K)
    hit = (distance <= alpha * size[:, None]) & valid
    counts = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, hit.sum(axis=0) / counts, np.nan)


def mean_error(predicted: np.ndarray, reference: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """(N, K, 2) tracks -> (K,) mean Euclidean distance in pixels over valid frames."""
    if valid is None:
        valid = np.ones(predicted.shape[:2], dtype=bool)
    distance = np.where(valid, np.linalg.norm(predicted - reference, axis=2), np.nan)
    with np.errstate(invalid="ignore"):
        return np.nanmean(distance, axis=0)
