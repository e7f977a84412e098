"""Where the multi-person backend looks: detector views of a frame and rotated crops around people.

Pure geometry (numpy and cv2), no models: unit-tested on its own.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from realtime.ssd_decode import box_iou

ROI_ENLARGE = 1.25   # MediaPipe's RectTransformation for the pose ROI: the crop is 1.25 x the body circle


@dataclass(frozen=True)
class Roi:
    """A rotated square around a person, in frame pixels.

    Attributes:
        centre: (2,) x, y.
        size: side length.
        rotation: radians; 0 is an upright person, positive turns the crop's "up" clockwise.
    """

    centre: np.ndarray
    size: float
    rotation: float

    def to_crop(self, side: int) -> np.ndarray:
        """(2, 3) affine matrix: frame pixels -> the crop's pixels (side x side)."""
        cos, sin = math.cos(self.rotation), math.sin(self.rotation)
        axes = np.array([[cos, -sin], [sin, cos]], dtype=np.float64) * self.size   # columns: crop x, y axes
        corners_crop = np.array([[0, 0], [1, 0], [0, 1]], dtype=np.float64)
        corners_frame = self.centre + (corners_crop - 0.5) @ axes.T
        return cv2.getAffineTransform(corners_frame.astype(np.float32), (corners_crop * side).astype(np.float32))


def roi_from_points(centre: np.ndarray, body_point: np.ndarray) -> Roi:
    """The crop MediaPipe would use: centred on ``centre`` (mid-hip), side 2 x 1.25 x
    |body_point - centre|, turned so that the body point is straight up. Both (2,) pixels."""
    dx, dy = float(body_point[0] - centre[0]), float(body_point[1] - centre[1])
    size = 2.0 * math.hypot(dx, dy) * ROI_ENLARGE
    rotation = math.pi / 2 - math.atan2(-dy, dx)
    rotation = (rotation + math.pi) % (2 * math.pi) - math.pi
    return Roi(np.array(centre, dtype=np.float64), size, rotation)


@dataclass(frozen=True)
class View:
    """A square part of the frame the detector looks at: top-left ``x``, ``y`` and ``side`` in pixels.

    The whole-frame view may stick out of the frame (it is letterboxed with zeros)."""

    x: int
    y: int
    side: int


def detection_views(width: int, height: int, tile_fractions: tuple[float, ...] = (0.7, 0.45)) -> list[View]:
    """The whole frame, then for each of ``tile_fractions`` overlapping square tiles of that share of
    the short side (half a tile apart), which show smaller people at a size the detector finds.

    The BlazePose detector was trained on one prominent person per image: on the whole frame it
    finds the biggest one or two people; the tiles find the rest.
    """
    long_side = max(width, height)
    views = [View((width - long_side) // 2, (height - long_side) // 2, long_side)]
    for fraction in tile_fractions:
        side = int(round(min(width, height) * fraction))
        if side < 32 or fraction >= 1.0:
            continue
        step = side / 2
        xs = np.linspace(0, width - side, int(math.ceil((width - side) / step)) + 1).round().astype(int)
        ys = np.linspace(0, height - side, int(math.ceil((height - side) / step)) + 1).round().astype(int)
        views += [View(int(x), int(y), side) for y in ys for x in xs]
    return views


def view_pixels(rgb: np.ndarray, view: View) -> np.ndarray:
    """(H, W, 3) frame -> (side, side, 3) the view's pixels, zeros outside the frame."""
    height, width = rgb.shape[:2]
    out = np.zeros((view.side, view.side, 3), dtype=rgb.dtype)
    x0, y0 = max(view.x, 0), max(view.y, 0)
    x1, y1 = min(view.x + view.side, width), min(view.y + view.side, height)
    out[y0 - view.y:y1 - view.y, x0 - view.x:x1 - view.x] = rgb[y0:y1, x0:x1]
    return out


def body_size(points: np.ndarray) -> float:
    """(K, 2) pixels -> the longer side of their bounding box (at least 1 px)."""
    return max(float(np.ptp(points, axis=0).max()), 1.0)


def same_person(a: np.ndarray, b: np.ndarray, tolerance: float = 0.15, box_overlap: float = 0.6) -> bool:
    """Whether two landmark sets ((K, 2) pixels) are the same body.

    Same when the median joint distance is below ``tolerance`` x the larger body's size, or when
    their bounding boxes overlap by more than ``box_overlap`` (IoU): a second crop of one person
    can come out with some joints swapped or bent otherwise (a person lying down), while two
    people rarely fill the same box. Two people who merely overlap stay two.
    """
    size = max(body_size(a), body_size(b))
    if float(np.median(np.linalg.norm(a - b, axis=1))) < tolerance * size:
        return True
    return box_iou(np.concatenate([a.min(0), a.max(0)]), np.concatenate([b.min(0), b.max(0)])) > box_overlap
