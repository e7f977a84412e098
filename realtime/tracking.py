"""Stable ids for the people in a stream: norfair's tracker over COCO-17 skeletons.

Each person's 17 keypoints are one norfair detection (a Kalman filter per joint predicts where
they go next); a detection joins the track whose predicted skeleton is nearest, measured in
body sizes so that near and far people are treated alike. A person who leaves keeps their id
for ``reid_s`` seconds: when someone new appears in that time and their clothes' colours (a
hue/saturation histogram of the torso) match a lost track, norfair's re-identification gives
them the old id back. Times are in seconds and turned into frames with the stream's rate.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from mapping.layouts import COCO17, index_of
from realtime.person_crop import body_size
from realtime.pose import Pose
from training.errors import UserError

DEFAULT_TRACK_FPS = 30.0      # the tracker's clock when a source does not say its frame rate
TORSO = tuple(index_of(COCO17, ("left_shoulder", "right_shoulder", "left_hip", "right_hip")))
MIN_JOINT_SCORE = 0.3
HIST_BINS = (12, 8)            # hue, saturation


@dataclass
class TrackedPerson:
    """A person in this frame with their tracker id (1, 2, ...)."""

    id: int
    pose: Pose


def skeleton_distance(detected: np.ndarray, scores: np.ndarray, predicted: np.ndarray) -> float:
    """Mean distance of the confidently seen joints, in body sizes of the detected person.

    Args:
        detected: (17, 2) this frame's keypoints; scores (17,); predicted: (17, 2) the track's estimate.
    """
    seen = scores >= MIN_JOINT_SCORE
    if seen.sum() < 3:
        seen = np.ones_like(seen)
    gap = np.linalg.norm(detected[seen] - predicted[seen], axis=1).mean()
    return float(gap / body_size(detected[seen]))


def torso_colours(frame_bgr: np.ndarray, keypoints: np.ndarray) -> np.ndarray | None:
    """A normalised hue/saturation histogram (HIST_BINS, float32) of the torso box, None if off-frame."""
    height, width = frame_bgr.shape[:2]
    torso = keypoints[list(TORSO)]
    x0, y0 = np.floor(torso.min(0)).astype(int)
    x1, y1 = np.ceil(torso.max(0)).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    hsv = cv2.cvtColor(frame_bgr[y0:y1, x0:x1], cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, list(HIST_BINS), [0, 180, 0, 256])
    return cv2.normalize(hist, hist, alpha=1.0, norm_type=cv2.NORM_L1).astype(np.float32)


def colour_distance(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Bhattacharyya distance of two torso histograms in [0, 1]; 1 when either is missing."""
    if a is None or b is None:
        return 1.0
    return float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))


class PersonTracker:
    """Ids for the poses of each frame (see the module docstring).

    Args:
        fps: frames per second of the stream (turns the times below into frames); None or 0 when
            the source does not say: DEFAULT_TRACK_FPS.
        max_distance: largest skeleton distance (body sizes) for a detection to join a track.
        keep_s: a track survives this long without being seen.
        reid_s: a lost track can be re-identified this long after it was lost.
        max_colour_distance: largest torso colour distance for a re-identification.
        confirm_frames: frames a newcomer must be seen before getting an id (no ghosts).
    """

    def __init__(self, fps: float | None, max_distance: float = 0.6, keep_s: float = 1.0, reid_s: float = 5.0,
                 max_colour_distance: float = 0.4, confirm_frames: int = 2) -> None:
        try:
            from norfair import Detection, Tracker
        except ImportError as exc:
            raise UserError(f"--max-people above 1 needs the norfair tracker ({exc}): "
                            "pip install -r requirements.txt") from None
        self.fps = fps if fps and fps > 0 else DEFAULT_TRACK_FPS
        fps = self.fps
        hit_max = max(2, int(round(keep_s * fps)))
        self._detection_type = Detection
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)   # norfair logs a speed tip for scalar distances through the root logger
        try:
            self._tracker = Tracker(distance_function=self._distance, distance_threshold=max_distance,
                                    hit_counter_max=hit_max, initialization_delay=min(confirm_frames, hit_max - 1),
                                    reid_distance_function=self._reid_distance,
                                    reid_distance_threshold=max_colour_distance,
                                    reid_hit_counter_max=max(1, int(round(reid_s * fps))))
        finally:
            root.setLevel(level)
        self._frame = 0

    @staticmethod
    def _distance(detection, tracked) -> float:
        return skeleton_distance(detection.points, detection.scores, tracked.estimate)

    @staticmethod
    def _reid_distance(new, lost) -> float:
        return colour_distance(new.last_detection.embedding, lost.last_detection.embedding)

    def update(self, poses: list[Pose], frame_bgr: np.ndarray | None = None) -> list[TrackedPerson]:
        """This frame's poses -> those that belong to a confirmed track, with its id, in id order.

        ``frame_bgr`` (H, W, 3) gives the torso colours used to re-identify returning people.
        """
        self._frame += 1
        detections = []
        for index, pose in enumerate(poses):
            embedding = torso_colours(frame_bgr, pose.keypoints) if frame_bgr is not None else None
            detections.append(self._detection_type(points=pose.keypoints.astype(np.float64),
                                                   scores=np.clip(pose.scores, 1e-3, 1.0).astype(np.float64),
                                                   data=(self._frame, index), embedding=embedding))
        tracked = []
        for obj in self._tracker.update(detections):
            data = obj.last_detection.data
            if obj.id is not None and data is not None and data[0] == self._frame:
                tracked.append(TrackedPerson(int(obj.id), poses[data[1]]))
        return sorted(tracked, key=lambda person: person.id)

    @property
    def live_ids(self) -> set[int]:
        """Ids the tracker still keeps (seen lately or waiting to be re-identified)."""
        return {int(o.id) for o in self._tracker.tracked_objects if o.id is not None}
