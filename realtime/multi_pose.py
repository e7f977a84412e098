"""Several people per frame from the two models that mediapipe 0.10.21 bundles, run with LiteRT.

``mp.solutions.pose`` finds one person: its graph keeps only the detector's best detection. Here
the same two models run outside that graph (``ai-edge-litert``, an installed package; nothing is
downloaded):

1. ``pose_detection.tflite`` (224x224 input) looks at the whole frame and at overlapping tiles
   (:func:`realtime.person_crop.detection_views`); the anchors are decoded and merged by MediaPipe's
   weighted NMS (:mod:`realtime.ssd_decode`);
2. per person, a rotated square around the body (centre: mid-hip; size and angle: the detector's
   full-body point, x 1.25 as in MediaPipe's graph) is cut out at 256x256 and
   ``pose_landmark_full.tflite`` gives its 33 landmarks, mapped back to the frame and to COCO-17.

For photos (``video=False``) every view is searched on every call. In a video a person's next crop
comes from their own landmarks (as MediaPipe follows one person) and the detector looks at one view
per frame in turn (the whole frame every other frame), so known people cost one landmark pass each
and newcomers are found within a few frames.
"""
from __future__ import annotations

from itertools import cycle
from pathlib import Path

import cv2
import numpy as np

from mapping.convert import mediapipe_to_coco17
from mapping.layouts import MEDIAPIPE33
from realtime.person_crop import Roi, View, detection_views, roi_from_points, same_person, view_pixels
from realtime.pose import Pose, ClosesOnce, native_logs_silenced, check_frame
from realtime.ssd_decode import (BLAZEPOSE_DETECTOR, FULL_BODY_POINT, HIP_CENTRE, Detection, decode, make_anchors,
                                 sigmoid, weighted_nms)
from training.errors import UserError

LANDMARK_INPUT = 256
LANDMARK_ROWS = 39               # 33 body landmarks + 6 auxiliary (33: hip centre, 34: full-body point)
AUX_HIP_CENTRE, AUX_BODY_POINT = 33, 34
BODY = len(MEDIAPIPE33)


def _mediapipe_models() -> tuple[Path, Path]:
    try:
        import mediapipe
    except ImportError as exc:
        raise UserError(f"mediapipe is not installed ({exc}): pip install -r requirements.txt") from None
    root = Path(mediapipe.__file__).parent / "modules"
    detector = root / "pose_detection/pose_detection.tflite"
    landmarks = root / "pose_landmark/pose_landmark_full.tflite"
    for path in (detector, landmarks):
        if not path.is_file():
            raise UserError(f"mediapipe has no bundled {path.name}: install mediapipe==0.10.21 (requirements.txt).")
    return detector, landmarks


def _interpreter(path: Path, threads: int):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as exc:
        raise UserError(f"--max-people above 1 needs the LiteRT runtime ({exc}): "
                        "pip install -r requirements.txt (ai-edge-litert).") from None
    with native_logs_silenced():
        interpreter = Interpreter(model_path=str(path), num_threads=threads)
        interpreter.allocate_tensors()
    return interpreter


class MultiPersonPose(ClosesOnce):
    """Up to ``max_people`` poses per frame (see the module docstring).

    Args:
        max_people: most people returned per frame.
        video: True for a stream (crops follow each person); False for unrelated images.
        min_detection_score: detector score needed to look at a person.
        min_presence: the landmark model's "a person is in this crop" score needed to keep them.
        tile_fractions: detector tile sizes as shares of the frame's short side (empty: whole frame only).
        threads: CPU threads per model call.
    """

    def __init__(self, max_people: int = 4, video: bool = True, min_detection_score: float = 0.5,
                 min_presence: float = 0.5, tile_fractions: tuple[float, ...] = (0.7, 0.45), threads: int = 2) -> None:
        if max_people < 1:
            raise UserError(f"--max-people must be at least 1, got {max_people}.")
        detector_path, landmark_path = _mediapipe_models()
        self.max_people = max_people
        self.video = video
        self.min_detection_score = min_detection_score
        self.min_presence = min_presence
        self.tile_fractions = tuple(tile_fractions)
        self.threads = threads
        self._detector = _interpreter(detector_path, threads)
        self._landmarker = _interpreter(landmark_path, threads)
        self._anchors = make_anchors(BLAZEPOSE_DETECTOR)
        outputs = {d["name"]: d["index"] for d in self._landmarker.get_output_details()}
        self._landmark_out, self._presence_out = outputs["Identity"], outputs["Identity_1"]
        detector_outputs = {d["name"]: d["index"] for d in self._detector.get_output_details()}
        self._boxes_out, self._scores_out = detector_outputs["Identity"], detector_outputs["Identity_1"]
        self._tracked: list[Roi] = []
        self._frame_size: tuple[int, int] | None = None
        self._view_cycle = None
        self.detector_runs = 0
        self.landmark_runs = 0

    # -- the two models ------------------------------------------------------------------------
    def detect(self, rgb: np.ndarray, view: View) -> list[Detection]:
        """People the detector finds in one view of an (H, W, 3) uint8 RGB frame.

        Returns detections in frame pixels (box and keypoints), best first, before NMS across views.
        """
        side = BLAZEPOSE_DETECTOR.input_size
        pixels = cv2.resize(view_pixels(rgb, view), (side, side), interpolation=cv2.INTER_AREA)
        self._detector.set_tensor(self._detector.get_input_details()[0]["index"],
                                  (pixels.astype(np.float32) / 127.5 - 1.0)[None])
        self._detector.invoke()
        self.detector_runs += 1
        raw_boxes = self._detector.get_tensor(self._boxes_out)[0]
        raw_scores = self._detector.get_tensor(self._scores_out)[0]
        offset = np.array([view.x, view.y], dtype=np.float32)
        found = []
        for d in weighted_nms(decode(raw_boxes, raw_scores, self._anchors, self.min_detection_score)):
            box = np.concatenate([d.box[:2] * view.side + offset, d.box[2:] * view.side + offset])
            keypoints = d.keypoints * view.side + offset
            found.append(Detection(d.score, box.astype(np.float32), keypoints.astype(np.float32)))
        return found

    def landmarks(self, rgb: np.ndarray, roi: Roi) -> tuple[np.ndarray, float]:
        """One person's crop -> ((39, 4) x, y in frame pixels, visibility, presence; the crop's person score)."""
        matrix = roi.to_crop(LANDMARK_INPUT)
        crop = cv2.warpAffine(rgb, matrix, (LANDMARK_INPUT, LANDMARK_INPUT), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        self._landmarker.set_tensor(self._landmarker.get_input_details()[0]["index"],
                                    (crop.astype(np.float32) / 255.0)[None])
        self._landmarker.invoke()
        self.landmark_runs += 1
        raw = self._landmarker.get_tensor(self._landmark_out).reshape(LANDMARK_ROWS, 5)
        presence = float(self._landmarker.get_tensor(self._presence_out).reshape(-1)[0])   # already a probability
        back = cv2.invertAffineTransform(matrix)
        xy = raw[:, :2] @ back[:, :2].T + back[:, 2]
        out = np.concatenate([xy, sigmoid(raw[:, 3:4]), sigmoid(raw[:, 4:5])], axis=1)
        return out.astype(np.float32), presence

    # -- a frame ---------------------------------------------------------------------------------
    def _views_now(self, width: int, height: int) -> list[View]:
        """All views for a photo; one per frame for a video (the whole frame every other frame)."""
        views = detection_views(width, height, self.tile_fractions)
        if not self.video:
            return views
        if self._frame_size != (width, height):
            self._frame_size = (width, height)
            order = [v for tile in views[1:] for v in (views[0], tile)] or views
            self._view_cycle = cycle(order)
        return [next(self._view_cycle)]

    def _candidates(self, rgb: np.ndarray, people: list[np.ndarray]) -> list[Roi]:
        """Crops around people the detector finds now and who are not among ``people`` already."""
        height, width = rgb.shape[:2]
        detections = [d for view in self._views_now(width, height) for d in self.detect(rgb, view)]
        rois = []
        for d in weighted_nms(detections):
            hip = d.keypoints[HIP_CENTRE]
            if any(_inside(hip, landmarks[:BODY, :2]) for landmarks in people):
                continue
            rois.append(roi_from_points(hip, d.keypoints[FULL_BODY_POINT]))
        return rois

    def _add_person(self, rgb: np.ndarray, roi: Roi, people: list[np.ndarray], refine: bool) -> None:
        """Landmarks in ``roi``; kept when the landmark model sees a person there who is not in ``people``.

        ``refine``: a detector's crop can hold part of a body or two people; the landmarks found in it
        give a second crop around one whole person, and that one is judged.
        """
        if roi.size < 8:
            return
        landmarks, presence = self.landmarks(rgb, roi)
        if refine:
            landmarks, presence = self.landmarks(rgb, _roi_of(landmarks))
        if presence < self.min_presence:
            return
        if any(same_person(landmarks[:BODY, :2], other[:BODY, :2]) for other in people):
            return
        people.append(landmarks)

    def estimate_all(self, frame_bgr: np.ndarray, timestamp_s: float | None = None) -> list[Pose]:
        """(H, W, 3) uint8 BGR -> up to ``max_people`` poses (people followed from the last frame first)."""
        rgb = check_frame(frame_bgr)
        height, width = rgb.shape[:2]
        people: list[np.ndarray] = []          # each (39, 4) frame pixels, visibility, presence
        for roi in (self._tracked if self.video else []):
            self._add_person(rgb, roi, people, refine=False)     # their crop came from their own landmarks
        if len(people) < self.max_people:
            for roi in self._candidates(rgb, people):
                if len(people) >= self.max_people:
                    break
                self._add_person(rgb, roi, people, refine=True)
        if self.video:
            self._tracked = [_roi_of(lm) for lm in people]
        poses = []
        for landmarks in people:
            body = landmarks[:BODY]
            normalised = np.column_stack([body[:, 0] / width, body[:, 1] / height, body[:, 2]]).astype(np.float32)
            keypoints, scores = mediapipe_to_coco17(normalised, width, height)
            poses.append(Pose(keypoints, scores, normalised))
        return poses

    def estimate(self, frame_bgr: np.ndarray, timestamp_s: float | None = None) -> Pose | None:
        """The single-person interface: the first person found, or None."""
        poses = self.estimate_all(frame_bgr, timestamp_s)
        return poses[0] if poses else None

    def _release(self) -> None:
        self._detector = self._landmarker = None
        self._tracked = []


def _roi_of(landmarks: np.ndarray) -> Roi:
    """The crop for a person's next landmark pass, from their own (39, 4) landmarks (auxiliary points)."""
    return roi_from_points(landmarks[AUX_HIP_CENTRE, :2], landmarks[AUX_BODY_POINT, :2])


def _inside(point: np.ndarray, landmarks: np.ndarray) -> bool:
    """Whether a (2,) point lies in the bounding box of (K, 2) landmarks."""
    low, high = landmarks.min(0), landmarks.max(0)
    return bool(np.all(point >= low) and np.all(point <= high))
