"""Decoding of MediaPipe's BlazePose person detector (``pose_detection.tflite``): anchors, boxes, NMS.

The detector regresses, for each of 2254 fixed SSD anchors on its 224x224 input, a face box
and four body keypoints, plus one score. What the numbers mean is fixed by the graph MediaPipe
ships with the model (``pose_detection_cpu.pbtxt``); :data:`BLAZEPOSE_DETECTOR` holds it. The
four keypoints of a detection are: mid-hip centre, a point on the full-body circle (size and
rotation), mid-shoulder centre, a point on the upper-body circle.

Pure numpy: no interpreter here, so every step is unit-tested on made-up tensors.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AnchorSpec:
    """SSD anchor grid of a MediaPipe detector (``SsdAnchorsCalculatorOptions`` with fixed-size anchors)."""

    input_size: int
    strides: tuple[int, ...]
    anchors_per_cell: int   # one aspect ratio plus the interpolated one: 2
    keypoints: int
    values_per_box: int     # 4 box values + 2 per keypoint


BLAZEPOSE_DETECTOR = AnchorSpec(input_size=224, strides=(8, 16, 32, 32, 32), anchors_per_cell=2,
                                keypoints=4, values_per_box=12)
HIP_CENTRE, FULL_BODY_POINT, SHOULDER_CENTRE, UPPER_BODY_POINT = range(4)  # detection keypoint roles


@dataclass
class Detection:
    """One detected person in normalised image coordinates ([0, 1] of width and height).

    Attributes:
        score: detector confidence in [0, 1].
        box: (4,) face box x_min, y_min, x_max, y_max.
        keypoints: (4, 2) x, y of the four body keypoints (roles above).
    """

    score: float
    box: np.ndarray
    keypoints: np.ndarray


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logits -> probabilities, clipped to +-100 first (no overflow), in float64."""
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, dtype=np.float64), -100.0, 100.0)))


def make_anchors(spec: AnchorSpec = BLAZEPOSE_DETECTOR) -> np.ndarray:
    """Anchor centres in the order the model emits its rows: (N, 2) x, y in [0, 1].

    Consecutive layers with the same stride share one feature map and stack their anchors per cell.
    """
    centres: list[np.ndarray] = []
    layer = 0
    while layer < len(spec.strides):
        stride = spec.strides[layer]
        same = 0
        while layer + same < len(spec.strides) and spec.strides[layer + same] == stride:
            same += 1
        cells = -(-spec.input_size // stride)   # ceil
        ys, xs = np.meshgrid((np.arange(cells) + 0.5) / cells, (np.arange(cells) + 0.5) / cells, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)                       # (cells*cells, 2)
        centres.append(np.repeat(grid, same * spec.anchors_per_cell, axis=0))
        layer += same
    return np.concatenate(centres).astype(np.float32)


def decode(raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray, min_score: float,
           spec: AnchorSpec = BLAZEPOSE_DETECTOR) -> list[Detection]:
    """Model outputs -> detections above ``min_score`` on the detector's input square.

    Args:
        raw_boxes: (N, values_per_box) x_centre, y_centre, w, h, then x, y per keypoint, in input pixels
            relative to the anchor centre.
        raw_scores: (N,) or (N, 1) logits.
        anchors: (N, 2) from :func:`make_anchors`.
    """
    raw_boxes = raw_boxes.reshape(len(anchors), spec.values_per_box)
    scores = sigmoid(raw_scores.reshape(-1))
    keep = np.flatnonzero(scores >= min_score)
    detections = []
    for i in keep:
        values = raw_boxes[i] / spec.input_size
        centre = anchors[i] + values[:2]
        half = values[2:4] / 2
        box = np.concatenate([centre - half, centre + half])
        keypoints = anchors[i] + values[4:4 + 2 * spec.keypoints].reshape(spec.keypoints, 2)
        detections.append(Detection(float(scores[i]), box.astype(np.float32), keypoints.astype(np.float32)))
    return detections


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (4,) x_min, y_min, x_max, y_max boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def weighted_nms(detections: list[Detection], iou_threshold: float = 0.3) -> list[Detection]:
    """MediaPipe's WEIGHTED non-max suppression: each kept detection is the score-weighted mean of the
    detections it overlaps (IoU above ``iou_threshold``), with the best one's score. Best first."""
    remaining = sorted(detections, key=lambda d: d.score, reverse=True)
    kept: list[Detection] = []
    while remaining:
        best = remaining[0]
        group = [d for d in remaining if box_iou(best.box, d.box) > iou_threshold] or [best]
        weights = np.array([d.score for d in group], dtype=np.float32)[:, None]
        box = (np.stack([d.box for d in group]) * weights).sum(0) / weights.sum()
        keypoints = (np.stack([d.keypoints for d in group]) * weights[:, :, None]).sum(0) / weights.sum()
        kept.append(Detection(best.score, box.astype(np.float32), keypoints.astype(np.float32)))
        grouped = {id(d) for d in group}
        remaining = [d for d in remaining[1:] if id(d) not in grouped]
    return kept
