"""One clip's stream of predictions and its label (``realtime.video`` and the trust benchmark).

Fed one frame's pose at a time, in order, it runs the :class:`Recognizer` (window, model,
decision) and keeps every prediction; :meth:`ClipTimeline.finish` sums the clip up with the
checkpoint's :func:`clip_decision`. Pose extraction stays outside, so a benchmark can replay
stored poses through exactly the code ``realtime.video`` runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from realtime.recognizer import Prediction, Recognizer
from realtime.segments import label_segments, silence_s
from training.checkpoint import LoadedCheckpoint
from training.decision import NO_ACTION, NO_PERSON, DecisionSpec, clip_decision


def default_every(ckpt: LoadedCheckpoint) -> int:
    """Five predictions per second of video."""
    return max(1, int(round(ckpt.spec.fps / 5)))


@dataclass
class ClipSummary:
    """A clip's outcome.

    Attributes:
        label: the clip label: a class, ``NO_ACTION`` (most of the clip rejected) or ``NO_PERSON``.
        probability: its mean probability (for NO_ACTION: the share of rejected predictions).
        raw_label: the class with the highest mean raw probability (no decision layer).
        rejected_share: share of the predictions whose label was NO_ACTION.
        mean_probabilities: class -> mean raw probability over the clip.
        timeline: one dict per prediction (see :meth:`Prediction.to_json`).
        segments: the shown label from when to when (:func:`realtime.segments.label_segments`).
    """

    label: str
    probability: float
    raw_label: str
    rejected_share: float
    mean_probabilities: dict[str, float] = field(default_factory=dict)
    timeline: list[dict] = field(default_factory=list)
    segments: list[dict] = field(default_factory=list)


class ClipTimeline:
    """Poses of one clip in, predictions and the clip label out (``keep_predictions=False``: live use,
    only the recogniser's latest prediction is kept)."""

    def __init__(self, ckpt: LoadedCheckpoint, every: int | None = None, decision: DecisionSpec | None = None,
                 k: int = 5, source_fps: float | None = None, keep_predictions: bool = True,
                 reset_after_s: float = 3.0) -> None:
        self.ckpt = ckpt
        self.keep_predictions = keep_predictions
        self.decision = decision or ckpt.decision
        self.recognizer = Recognizer(ckpt, every=every or default_every(ckpt), decision=self.decision, k=k,
                                     source_fps=source_fps, reset_after_s=reset_after_s)
        self.predictions: list[Prediction] = []
        self._last_time = 0.0
        self._source_fps = source_fps if source_fps and source_fps > 0 else None

    def add(self, timestamp_s: float, keypoints: np.ndarray | None,
            scores: np.ndarray | None = None) -> Prediction | None:
        """One frame's pose ((17, 2) pixels, (17,) scores; None for nobody); the prediction if the model ran."""
        self._last_time = timestamp_s
        prediction = self.recognizer.update(timestamp_s, keypoints, scores)
        if prediction is not None and self.keep_predictions:
            self.predictions.append(prediction)
        return prediction

    def finish(self) -> ClipSummary:
        """Flush the window's last poses and sum the clip up."""
        final = self.recognizer.flush(self._last_time)
        if final is not None:
            self.predictions.append(final)
        timeline = [p.to_json() for p in self.predictions]
        if not self.predictions:
            return ClipSummary(NO_PERSON, 0.0, NO_PERSON, 0.0, {}, timeline)
        classes = self.ckpt.classes
        label, probability = clip_decision([p.decision for p in self.predictions], classes, self.decision)
        mean = np.mean([p.probabilities for p in self.predictions], axis=0)
        rejected = float(np.mean([p.label == NO_ACTION for p in self.predictions]))
        frame_s = 1.0 / self._source_fps if self._source_fps else 0.0      # the last frame lasts one frame
        segments = label_segments(timeline, self._last_time + frame_s,
                                  silence_s(self.recognizer.every, self.ckpt.spec.fps, self._source_fps))
        return ClipSummary(label, probability, classes[int(np.argmax(mean))], rejected,
                           {c: float(v) for c, v in zip(classes, mean)}, timeline, segments)
