"""Overlay annotators: each takes its style in ``__init__`` and ``annotate(frame, state) -> frame``.

They chain: ``for a in annotators: frame = a.annotate(frame, state)``. All draw in place on a
BGR (H, W, 3) uint8 frame, in pixels of that frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mapping.layouts import COCO17, COCO17_EDGES, edges_as_indices
from realtime.recognizer import Prediction
from training.decision import NO_ACTION

FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE = (255, 255, 255)
LEFT_COLOUR, RIGHT_COLOUR, CENTRE_COLOUR = (255, 160, 40), (40, 120, 255), (60, 220, 60)


@dataclass
class OverlayState:
    """What the overlay shows for one frame.

    Attributes:
        keypoints: (17, 2) COCO-17 pixels of the person, or None when nobody is seen.
        scores: (17,) keypoint scores, or None.
        prediction: the latest prediction, or None before the first one.
        window_frames, window_size: how full the sliding window is.
        fps: processing rate (frames/s); dropped: frames the capture had to drop.
    """

    keypoints: np.ndarray | None
    scores: np.ndarray | None
    prediction: Prediction | None
    window_frames: int
    window_size: int
    fps: float = 0.0
    dropped: int = 0


def _scale(frame: np.ndarray) -> float:
    """Text scale that reads well from 240p to 1080p."""
    return max(0.45, frame.shape[0] / 720.0)


def _text(frame: np.ndarray, text: str, origin: tuple[int, int], scale: float, colour=WHITE, thick: int = 1) -> None:
    """Text on a darkened panel (every text here has one, so no outline pass is needed)."""
    cv2.putText(frame, text, origin, FONT, scale, colour, thick, cv2.LINE_AA)


def _panel(frame: np.ndarray, top_left: tuple[int, int], bottom_right: tuple[int, int], alpha: float = 0.55) -> None:
    """Darken a rectangle (a translucent panel behind text)."""
    x0, y0 = max(0, top_left[0]), max(0, top_left[1])
    x1, y1 = min(frame.shape[1], bottom_right[0]), min(frame.shape[0], bottom_right[1])
    if x1 > x0 and y1 > y0:
        frame[y0:y1, x0:x1] = (frame[y0:y1, x0:x1] * (1 - alpha)).astype(np.uint8)


class SkeletonAnnotator:
    """COCO-17 bones and joints; the person's left side blue, right side orange."""

    def __init__(self, min_score: float = 0.3, thickness: int | None = None) -> None:
        self.min_score = min_score
        self.thickness = thickness
        self.edges = edges_as_indices(COCO17, COCO17_EDGES)
        self.colours = [LEFT_COLOUR if n.startswith("left") else RIGHT_COLOUR if n.startswith("right")
                        else CENTRE_COLOUR for n in COCO17]

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        if state.keypoints is None:
            return frame
        kp = state.keypoints
        ok = state.scores >= self.min_score if state.scores is not None else np.ones(len(kp), bool)
        t = self.thickness or max(2, int(round(frame.shape[0] / 240)))
        for a, b in self.edges:
            if ok[a] and ok[b]:
                cv2.line(frame, tuple(map(int, kp[a])), tuple(map(int, kp[b])), self.colours[b], t, cv2.LINE_AA)
        for i, (x, y) in enumerate(kp):
            if ok[i]:
                cv2.circle(frame, (int(x), int(y)), t + 1, self.colours[i], -1, cv2.LINE_AA)
        return frame


class LabelAnnotator:
    """The predicted class and its probability; or 'no person', or the window filling up."""

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        s = _scale(frame)
        if state.keypoints is None and state.window_frames == 0:
            text, colour = "no person", (80, 80, 255)
        elif state.prediction is None:
            text, colour = f"collecting poses... window {state.window_frames}/{state.window_size}", WHITE
        elif state.prediction.label == NO_ACTION:
            text, colour = NO_ACTION + (" (still)" if state.prediction.reason == "still" else ""), (0, 200, 255)
        else:
            text, colour = f"{state.prediction.label}  {state.prediction.probability:.0%}", (90, 255, 90)
        if state.keypoints is None and state.window_frames > 0:
            text += "  (no person)"
        (w, h), _ = cv2.getTextSize(text, FONT, 1.1 * s, 2)
        _panel(frame, (0, 0), (w + int(24 * s), h + int(26 * s)))
        _text(frame, text, (int(12 * s), h + int(12 * s)), 1.1 * s, colour, 2)
        return frame


class TopKAnnotator:
    """Horizontal probability bars of the best k classes, bottom left."""

    def __init__(self, k: int = 5, width_share: float = 0.42) -> None:
        self.k = k
        self.width_share = width_share

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        if state.prediction is None:
            return frame
        s = _scale(frame)
        rows = state.prediction.topk[: self.k]
        row_h = int(24 * s)
        bar_w = int(frame.shape[1] * self.width_share)
        y0 = frame.shape[0] - row_h * len(rows) - int(10 * s)
        _panel(frame, (0, y0 - int(6 * s)), (bar_w + int(16 * s), frame.shape[0]))
        for i, (name, prob) in enumerate(rows):
            y = y0 + i * row_h
            cv2.rectangle(frame, (int(8 * s), y + 3), (int(8 * s) + int(bar_w * prob), y + row_h - 3),
                          (90, 200, 90) if i == 0 else (150, 150, 150), -1)
            _text(frame, f"{name} {prob:.0%}", (int(12 * s), y + row_h - int(7 * s)), 0.55 * s)
        return frame


class StatusAnnotator:
    """FPS (live only), window fill and dropped frames, top right."""

    def annotate(self, frame: np.ndarray, state: OverlayState) -> np.ndarray:
        s = _scale(frame)
        lines = [f"window {state.window_frames}/{state.window_size}"]
        if state.fps > 0:  # recorded videos are not timed: no fps line there
            lines.insert(0, f"{state.fps:4.1f} fps")
        if state.dropped:
            lines.append(f"dropped {state.dropped}")
        widths = [cv2.getTextSize(t, FONT, 0.55 * s, 1)[0][0] for t in lines]
        x = frame.shape[1] - max(widths) - int(14 * s)
        _panel(frame, (x - int(6 * s), 0), (frame.shape[1], int(24 * s) * len(lines) + int(8 * s)))
        for i, t in enumerate(lines):
            _text(frame, t, (x, int(22 * s) * (i + 1)), 0.55 * s)
        return frame


def default_annotators(k: int = 5) -> list:
    return [SkeletonAnnotator(), LabelAnnotator(), TopKAnnotator(k), StatusAnnotator()]


def annotate(frame: np.ndarray, state: OverlayState, annotators: list) -> np.ndarray:
    """Apply every annotator in order."""
    for annotator in annotators:
        frame = annotator.annotate(frame, state)
    return frame
