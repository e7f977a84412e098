"""Window + model: turns a stream of poses into predictions (shared by cam, video and bench)."""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from realtime.window import SlidingWindow
from training.checkpoint import LoadedCheckpoint
from training.inference import predict_features, top_k

UNCERTAIN = "uncertain"


@dataclass
class Prediction:
    """One model run.

    Attributes:
        time_s: stream time of the newest frame in the window (seconds).
        label: best class, or ``"uncertain"`` below the threshold.
        probability: its (smoothed) probability.
        topk: the best k (class, probability) pairs.
        probabilities: (C,) smoothed probabilities.
        window_frames: poses in the window when the model ran.
    """

    time_s: float
    label: str
    probability: float
    topk: list[tuple[str, float]]
    probabilities: np.ndarray
    window_frames: int


class Recognizer:
    """Feeds poses into a :class:`SlidingWindow` and runs the model when it is worth it.

    The model runs only when the window holds at least ``min_frames`` poses and ``every`` new
    poses arrived since the last run (nothing is recomputed for a window that did not change).

    Args:
        ckpt: the loaded checkpoint; its feature spec drives the window.
        every: run the model every N new window poses (N >= 1).
        min_frames: poses needed before the first prediction (default: 1 s at the model's fps).
        smooth: average the last N probability vectors (1 = off).
        threshold: below this probability the label is ``"uncertain"``.
        reset_after_s: empty the window after this long without a person.
    """

    def __init__(self, ckpt: LoadedCheckpoint, every: int = 1, min_frames: int | None = None, smooth: int = 1,
                 threshold: float = 0.0, reset_after_s: float = 3.0, k: int = 5) -> None:
        self.ckpt = ckpt
        self.window = SlidingWindow(ckpt.spec, reset_after_s=reset_after_s)
        self.every = max(1, int(every))
        default_min = int(round(ckpt.spec.fps))
        self.min_frames = max(1, min(ckpt.spec.window_frames, min_frames if min_frames is not None else default_min))
        self.threshold = threshold
        self.k = k
        self._recent: deque[np.ndarray] = deque(maxlen=max(1, smooth))
        self._version_at_run = -1
        self.latest: Prediction | None = None
        self.model_runs = 0
        self.model_seconds = 0.0

    def reset(self) -> None:
        self.window.reset()
        self._recent.clear()
        self.latest = None

    def update(self, timestamp_s: float, keypoints: np.ndarray | None) -> Prediction | None:
        """Add one frame's pose ((17, 2) pixels, None for nobody); a new Prediction when the model ran."""
        self.window.push(timestamp_s, keypoints)
        if len(self.window) == 0:  # never filled, or emptied after a long absence
            self._recent.clear()
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
        features, length = self.window.features()
        raw = predict_features(self.ckpt, features[None, :length], np.array([length]))[0]
        self._recent.append(raw)
        probabilities = np.mean(self._recent, axis=0)
        ranked = top_k(probabilities, self.ckpt.classes, self.k)
        label, probability = ranked[0]
        if probability < self.threshold:
            label = UNCERTAIN
        self._version_at_run = self.window.version
        self.model_runs += 1
        self.latest = Prediction(timestamp_s, label, probability, ranked, probabilities, length)
        self.model_seconds += time.perf_counter() - started
        return self.latest
