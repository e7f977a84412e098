"""MediaPipe 33 landmarks -> COCO-17 pixel keypoints (the layout of ucf101_2d.pkl), and rescaling.

The index map is derived from joint names. The score of a COCO joint is MediaPipe's
``visibility`` (the model's probability that the landmark is visible in the frame): it plays
the role of HRNet's confidence in the training file. No mirroring happens here: a selfie flip
would swap left and right joints, and UCF101 is not mirrored.
"""
from __future__ import annotations

import numpy as np

from mapping.layouts import COCO17, MEDIAPIPE33, index_of

MEDIAPIPE_TO_COCO17: tuple[int, ...] = tuple(index_of(MEDIAPIPE33, COCO17))


def mediapipe_to_coco17(landmarks: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """One frame's MediaPipe result -> COCO-17 pixels.

    Args:
        landmarks: (33, 3) normalised x in [0, 1] of width, y in [0, 1] of height, visibility.
        width, height: frame size in pixels.

    Returns:
        keypoints (17, 2) float32 pixels, scores (17,) float32.
    """
    if landmarks.shape != (len(MEDIAPIPE33), 3):
        raise ValueError(f"expected (33, 3) landmarks (x, y, visibility), got {landmarks.shape}")
    picked = landmarks[list(MEDIAPIPE_TO_COCO17)].astype(np.float32)          # (17, 3)
    keypoints = picked[:, :2] * np.array([width, height], dtype=np.float32)   # (17, 2) pixels
    return keypoints, picked[:, 2].copy()


def rescale_keypoints(keypoints: np.ndarray, from_shape: tuple[int, int], to_shape: tuple[int, int]) -> np.ndarray:
    """Express pixel keypoints of an image of ``from_shape`` (h, w) in one of ``to_shape`` (h, w).

    Example: the reference UCF101 skeleton is in 340x256 pixels, its avi is 320x240.
    Zeros (no person) stay zeros.
    """
    scale = np.array([to_shape[1] / from_shape[1], to_shape[0] / from_shape[0]], dtype=np.float32)
    return (keypoints * scale).astype(np.float32)
