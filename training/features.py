"""The feature contract: the ONE function that turns a skeleton sequence into model input.

Training, ``realtime.video`` and ``realtime.cam`` all call :func:`build_features` with a
:class:`FeatureSpec` read from the checkpoint, so live inference cannot drift from training.

Normalisation (``"clip"``), computed over the valid frames and the used joints only:
  * centre: the mean x and the mean y over all used joints of all valid frames (2 numbers);
  * scale: ONE standard deviation of the centred coordinates (x and y pooled), so the body's
    aspect ratio is kept; a std below 1e-6 (a frozen single point) is replaced by 1.
This makes features independent of image size and of where the person stands, so a 340x256
UCF101 clip and a 1280x720 webcam frame are read alike: the image size is not needed.

Frames: frames where the person is absent (all keypoints 0) are dropped, exactly like the live
window never receives them. Sequences longer than ``max_frames`` keep their first
``max_frames`` frames; the live window keeps its newest ones. Valid frames come first, zero
padding after them; the model reads packed sequences, so padding never changes its output.

Joints the training data never had (e.g. Penn Action's eyes/ears) are listed out of
``joints_used``: they take no part in the mean/std and their features are always 0.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from mapping.layouts import COCO17, index_of

STD_EPS = 1e-6


@dataclass(frozen=True)
class FeatureSpec:
    """Every parameter of the feature function; saved in and restored from the checkpoint.

    Attributes:
        max_frames: window length in frames (at ``fps``).
        fps: frame rate of the training clips; live frames are resampled to it.
        layout: joint names of the input keypoints (COCO-17).
        joints_used: joints fed to the model; the others are zeroed.
        normalisation: ``"clip"`` (see module docstring).
        velocity: append frame-to-frame differences of the normalised coordinates.
    """

    max_frames: int = 300
    fps: float = 25.0
    layout: tuple[str, ...] = COCO17
    joints_used: tuple[str, ...] = COCO17
    normalisation: str = "clip"
    velocity: bool = False

    @property
    def num_joints(self) -> int:
        return len(self.layout)

    @property
    def feature_size(self) -> int:
        """Values per frame: V*2, doubled with velocity."""
        return self.num_joints * 2 * (2 if self.velocity else 1)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["layout"], d["joints_used"] = list(self.layout), list(self.joints_used)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "FeatureSpec":
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown feature parameter(s): {', '.join(sorted(unknown))}")
        d = dict(d)
        for key in ("layout", "joints_used"):
            if key in d:
                d[key] = tuple(d[key])
        return cls(**d)


def person_present(keypoints: np.ndarray) -> np.ndarray:
    """(T, V, 2) keypoints -> (T,) bool, False where every coordinate is 0 (nobody)."""
    return np.any(keypoints != 0, axis=(1, 2))


def normalise(keypoints: np.ndarray, used: np.ndarray) -> np.ndarray:
    """Centre and scale one sequence (see module docstring).

    Args:
        keypoints: (T, V, 2) pixels, T >= 1, all frames valid.
        used: (V,) bool, joints that enter the statistics and the output.

    Returns:
        (T, V, 2) float32, unused joints set to 0.
    """
    pts = keypoints[:, used, :].astype(np.float64)           # (T, U, 2)
    centre = pts.reshape(-1, 2).mean(axis=0)                  # (2,)
    std = float((pts - centre).std())
    if not np.isfinite(std) or std < STD_EPS:
        std = 1.0
    out = np.zeros(keypoints.shape, dtype=np.float32)
    out[:, used, :] = (pts - centre) / std
    return out


def build_features(keypoints: np.ndarray, spec: FeatureSpec) -> tuple[np.ndarray, int]:
    """Skeleton sequence of one person -> padded model input.

    Args:
        keypoints: (T, V, 2) pixel coordinates in ``spec.layout`` order; T may be 0.
        spec: the checkpoint's feature parameters.

    Returns:
        features: (max_frames, feature_size) float32, valid frames first, zeros after.
        length: number of valid frames (0 when nobody was ever seen).
    """
    if keypoints.ndim != 3 or keypoints.shape[1:] != (spec.num_joints, 2):
        raise ValueError(f"keypoints must be (T, {spec.num_joints}, 2), got {keypoints.shape}")
    frames = keypoints[person_present(keypoints)][: spec.max_frames]
    out = np.zeros((spec.max_frames, spec.feature_size), dtype=np.float32)
    length = len(frames)
    if length == 0:
        return out, 0
    used = np.zeros(spec.num_joints, dtype=bool)
    used[index_of(spec.layout, spec.joints_used)] = True
    coords = normalise(frames, used).reshape(length, -1)      # (T, V*2): x0, y0, x1, y1, ...
    out[:length, : coords.shape[1]] = coords
    if spec.velocity:
        velocity = np.diff(coords, axis=0, prepend=coords[:1])  # (T, V*2), first row 0
        out[:length, coords.shape[1]:] = velocity
    return out, length


def joints_seen(scores: list[np.ndarray], layout: tuple[str, ...] = COCO17,
                min_share: float = 0.01) -> tuple[str, ...]:
    """Joints whose score is > 0 in at least ``min_share`` of all frames of the training clips.

    Args:
        scores: per clip, (T, V) keypoint scores.

    Returns:
        Names of joints the data really has (Penn Action: no eyes or ears).
    """
    stacked = np.concatenate([s.reshape(-1, len(layout)) for s in scores], axis=0)  # (sum T, V)
    share = (stacked > 0).mean(axis=0)
    return tuple(name for name, s in zip(layout, share) if s >= min_share)
