"""Window + model + decision: turns a stream of poses into what the user is told.

Shared by ``realtime.cam``, ``realtime.video`` and the benchmarks, so every path decides alike.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from realtime.window import SlidingWindow
from training.checkpoint import LoadedCheckpoint
from training.decision import Decision, DecisionSpec, SteadyDecider
from training.features import build_features, motion_amount, travel_amount, visible_share
from training.inference import predict_features, top_k


@dataclass
class Prediction:
    """One model run and the decision it led to.

    Attributes:
        time_s: stream time of the newest frame in the window (seconds).
        label: the steady label: a class name or ``NO_ACTION``.
        probability: its smoothed probability (for NO_ACTION: 1 - the best class's).
        raw_label, raw_probability: the arg-max of this run alone.
        topk: the best k (class, smoothed probability) pairs, best first.
        probabilities: (C,) this run's own class probabilities.
        background: this run's background probability (0 for a model without that output).
        reason: why the label is NO_ACTION (see ``training.decision.Decision.reason``), else "".
        window_frames: poses in the window when the model ran.
        motion: how much the person moved lately (``motion_amount``), None with too few poses.
        travel: how far the body moved across the picture lately (``travel_amount``), None with
            too few poses or the travel rule off.
        decision: the decision layer's full output (its ``support``: the second model's smoothed
            probability of the shown class, ``second_opinion`` in the JSON; None without one).
    """

    time_s: float
    label: str
    probability: float
    raw_label: str
    raw_probability: float
    topk: list[tuple[str, float]]
    probabilities: np.ndarray
    background: float
    reason: str
    window_frames: int
    motion: float | None
    decision: Decision
    travel: float | None = None

    def to_json(self) -> dict:
        """The timeline entry of ``realtime.video`` (``probabilities``: raw, in the checkpoint's class order)."""
        return {"time": round(self.time_s, 3), "label": self.label, "probability": round(self.probability, 4),
                "raw_label": self.raw_label, "raw_probability": round(self.raw_probability, 4),
                "reason": self.reason, "background": round(self.background, 4),
                "topk": [[name, round(p, 4)] for name, p in self.topk],
                "probabilities": [round(float(p), 4) for p in self.probabilities], "window_frames": self.window_frames,
                "motion": None if self.motion is None else round(self.motion, 4),
                "travel": None if self.travel is None else round(self.travel, 3),
                "second_opinion": None if self.decision.support is None else round(self.decision.support, 4)}


class Recognizer:
    """Feeds poses into a :class:`SlidingWindow`, runs the model when it is worth it, decides.

    The model runs only when the window holds at least ``min_frames`` poses and ``every`` new
    poses arrived since the last run (nothing is recomputed for a window that did not change).

    Args:
        ckpt: the loaded checkpoint; its feature spec drives the window, its decision spec the label.
        every: run the model every N new window poses (N >= 1).
        min_frames: poses needed before the first prediction (default: the decision's
            ``first_label_s`` at the model's fps).
        decision: decision parameters (default: the checkpoint's own).
        reset_after_s: empty the window after this long without a person.
        k: how many classes ``topk`` holds.
        source_fps: the frame rate of the source, when known (a slow video is then interpolated).
    """

    def __init__(self, ckpt: LoadedCheckpoint, every: int = 1, min_frames: int | None = None,
                 decision: DecisionSpec | None = None, reset_after_s: float = 3.0, k: int = 5,
                 source_fps: float | None = None) -> None:
        self.ckpt = ckpt
        self.window = SlidingWindow(ckpt.spec, reset_after_s=reset_after_s, source_fps=source_fps)
        self.every = max(1, int(every))
        decision = decision or ckpt.decision
        default_min = int(round(decision.first_label_s * ckpt.spec.fps))
        self.min_frames = max(1, min(ckpt.spec.window_frames, min_frames if min_frames is not None else default_min))
        self.decider = SteadyDecider(ckpt.classes, decision, ckpt.member_known)
        self.k = k
        self._version_at_run = -1
        self.latest: Prediction | None = None
        self.model_runs = 0
        self.model_seconds = 0.0

    def reset(self) -> None:
        self.window.reset()
        self.decider.reset()
        self.latest = None

    def update(self, timestamp_s: float, keypoints: np.ndarray | None,
               scores: np.ndarray | None = None) -> Prediction | None:
        """Add one frame's pose ((17, 2) pixels and (17,) scores, None for nobody); a new Prediction
        when the model ran."""
        self.window.push(timestamp_s, keypoints, scores)
        if len(self.window) == 0:  # never filled, or emptied after a long absence
            if self.latest is not None:
                self.decider.reset()
            self.latest = None
            return None
        new_poses = self.window.version - self._version_at_run
        if len(self.window) < self.min_frames or new_poses == 0:
            return None
        if self.latest is not None and new_poses < self.every:
            return None
        return self._run(timestamp_s)

    def flush(self, timestamp_s: float) -> Prediction | None:
        """Run the model on poses not yet seen by it (end of a clip, even a short one)."""
        if len(self.window) == 0 or self.window.version == self._version_at_run:
            return None
        return self._run(timestamp_s)

    def _run(self, timestamp_s: float) -> Prediction:
        started = time.perf_counter()
        keypoints = self.window.keypoints()
        features, length = build_features(keypoints, self.ckpt.spec, pad=False)
        scores = predict_features(self.ckpt, features[None, :length], np.array([length]))
        probabilities, background = scores.probabilities[0], float(scores.background[0])
        motion = motion_amount(keypoints, self.ckpt.spec, self.decider.spec.still_s)
        travel = (travel_amount(keypoints, self.ckpt.spec, self.decider.spec.travel_s)
                  if self.decider.spec.max_travel > 0 else None)
        visible = visible_share(self.window.scores(), self.ckpt.spec)
        members = None if scores.members is None else scores.members[:, 0]
        second = None if scores.second_opinion is None else scores.second_opinion[0]
        decision = self.decider.update(timestamp_s, probabilities, background, motion, visible, members, second,
                                       travel=travel)
        self._version_at_run = self.window.version
        self.model_runs += 1
        self.latest = Prediction(timestamp_s, decision.label, decision.probability, decision.raw_label,
                                 decision.raw_probability, top_k(decision.smoothed, self.ckpt.classes, self.k),
                                 probabilities, background, decision.reason, length, motion, decision, travel)
        self.model_seconds += time.perf_counter() - started
        return self.latest
