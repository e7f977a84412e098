"""The feature contract: the ONE function that turns a skeleton sequence into model input.

Training, ``realtime.video`` and ``realtime.cam`` all call :func:`build_features` with a
:class:`FeatureSpec` read from the checkpoint, so live inference cannot drift from training.

Normalisation (``"clip"``), computed over the valid frames and the used joints only:
  * centre: the mean x and the mean y over all used joints of all valid frames (2 numbers);
  * scale: ONE standard deviation of the centred coordinates (x and y pooled), so the body's
    aspect ratio is kept; a std below 1e-6 (a frozen single point) is replaced by 1.
This makes features independent of image size and of where the person stands, so a 340x256
UCF101 clip and a 1280x720 webcam frame are read alike: the image size is not needed.

Missing joints: the format marks a joint nobody placed as (0, 0); some converters shift that by
about a pixel (Penn Action's hidden joints sit at (0.75, 0.75)). A joint within ``ORIGIN_EPS_PX``
of the image origin is therefore missing in that frame: it takes no part in the mean/std and is
filled by linear interpolation in time from the frames where it was seen (held at the ends).
A joint never seen in the sequence takes the track of its mirror joint (left_knee <-> right_knee)
when that one was seen: in a side view the hidden limb is roughly behind the visible one, which
is also what a pose model reports live. With neither seen, it is 0 (the body's centre).

Frames: frames where the person is absent (every joint missing) are dropped, exactly like the
live window never receives them. Sequences longer than ``max_frames`` keep their first
``max_frames`` frames; the live window keeps its newest ones. Valid frames come first, zero
padding after them; the model reads packed sequences, so padding never changes its output.

Joints the training data never had (e.g. Penn Action's eyes/ears) are listed out of
``joints_used``: they take no part in the mean/std and their features are always 0.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from mapping.layouts import COCO17, flip_permutation, index_of

# The ranges a feature spec must lie in (training's options and every checkpoint read back):
# sequences up to 5.5 minutes at 30 fps (beyond, a typo such as --max-frames 100000000 only
# exhausts memory), frame rates a camera or a video can have.
MAX_FRAMES_LIMIT = 10_000
FPS_RANGE = (1.0, 1000.0)

STD_EPS = 1e-6
ORIGIN_EPS_PX = 2.0
VISIBLE_SCORE = 0.5   # a joint scored at least this counts as visible (HRNet confidence, Penn's 0/1, MediaPipe's visibility)
TORSO_JOINTS = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")   # where travel is measured from


@dataclass(frozen=True)
class FeatureSpec:
    """Every parameter of the feature function; saved in and restored from the checkpoint.

    Attributes:
        max_frames: training sequences are cut/padded to this many frames (at ``fps``).
        window_frames: poses the live window holds (<= max_frames); by default max_frames.
        fps: frame rate of the training clips; live frames are resampled to it.
        layout: joint names of the input keypoints (COCO-17).
        joints_used: joints fed to the model; the others are zeroed.
        normalisation: ``"clip"`` (see module docstring).
        velocity: append frame-to-frame differences of the normalised coordinates.
    """

    max_frames: int = 300
    window_frames: int | None = None   # None: max_frames
    fps: float = 25.0
    layout: tuple[str, ...] = COCO17
    joints_used: tuple[str, ...] = COCO17
    normalisation: str = "clip"
    velocity: bool = False

    def __post_init__(self) -> None:
        if self.window_frames is None:
            object.__setattr__(self, "window_frames", self.max_frames)
        if not 1 <= self.max_frames <= MAX_FRAMES_LIMIT:
            raise ValueError(f"max_frames must be in 1..{MAX_FRAMES_LIMIT}, got {self.max_frames}")
        if not FPS_RANGE[0] <= self.fps <= FPS_RANGE[1]:     # also false for NaN
            raise ValueError(f"fps must be in {FPS_RANGE[0]:g}..{FPS_RANGE[1]:g}, got {self.fps}")
        if not 1 <= self.window_frames <= self.max_frames:
            raise ValueError(f"window_frames must be in 1..max_frames ({self.max_frames}), got {self.window_frames}")
        if len(set(self.layout)) != len(self.layout):
            raise ValueError("layout names a joint twice")
        strangers = [j for j in self.joints_used if j not in self.layout]
        if not self.joints_used or strangers:
            raise ValueError(f"joints_used must name joints of the layout, got {list(self.joints_used) or 'none'}")

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


def joint_present(keypoints: np.ndarray) -> np.ndarray:
    """(T, V, 2) pixels -> (T, V) bool, False for joints at the image origin (not placed)."""
    return np.any(np.abs(keypoints) >= ORIGIN_EPS_PX, axis=2)


def person_present(keypoints: np.ndarray) -> np.ndarray:
    """(T, V, 2) pixels -> (T,) bool, False for frames where no joint was placed (nobody)."""
    return joint_present(keypoints).any(axis=1)


def fill_missing(keypoints: np.ndarray, layout: tuple[str, ...] = COCO17) -> np.ndarray:
    """Fill missing joints: linear interpolation in time, then the mirror joint for joints never seen.

    Args:
        keypoints: (T, V, 2) pixels in ``layout`` order.

    Returns:
        (T, V, 2) float32; a joint never present (nor its mirror) is NaN in every frame.
    """
    present = joint_present(keypoints)                          # (T, V)
    out = keypoints.astype(np.float32).copy()
    if present.all():
        return out
    frames = np.arange(len(keypoints))
    for j in np.flatnonzero(~present.all(axis=0)):
        seen = present[:, j]
        if not seen.any():
            out[:, j] = np.nan
            continue
        for axis in (0, 1):
            out[~seen, j, axis] = np.interp(frames[~seen], frames[seen], keypoints[seen, j, axis])
    never = np.isnan(out[0, :, 0])
    if never.any():
        mirror = flip_permutation(layout)
        for j in np.flatnonzero(never):
            out[:, j] = out[:, mirror[j]]   # NaN again if the mirror was never seen either
    return out


def normalise(keypoints: np.ndarray, used: np.ndarray) -> np.ndarray:
    """Centre and scale one sequence (see module docstring).

    Args:
        keypoints: (T, V, 2) pixels, T >= 1, all frames valid; NaN for joints never seen.
        used: (V,) bool, joints that enter the statistics and the output.

    Returns:
        (T, V, 2) float32, unused and never-seen joints set to 0.
    """
    pts = keypoints[:, used, :].astype(np.float64)           # (T, U, 2)
    centre = np.nanmean(pts.reshape(-1, 2), axis=0) if np.isfinite(pts).any() else np.zeros(2)
    std = float(np.nanstd(pts - centre)) if np.isfinite(pts).any() else 1.0
    if not np.isfinite(std) or std < STD_EPS:
        std = 1.0
    out = np.zeros(keypoints.shape, dtype=np.float32)
    out[:, used, :] = np.nan_to_num((pts - centre) / std, nan=0.0)
    return out


def build_features(keypoints: np.ndarray, spec: FeatureSpec, pad: bool = True) -> tuple[np.ndarray, int]:
    """Skeleton sequence of one person -> padded model input.

    Args:
        keypoints: (T, V, 2) pixel coordinates in ``spec.layout`` order; T may be 0.
        spec: the checkpoint's feature parameters.
        pad: pad to ``max_frames`` rows; without it, exactly ``length`` rows (at least 1).

    Returns:
        features: (max_frames, feature_size) float32, valid frames first, zeros after
            (``pad=False``: (max(length, 1), feature_size)).
        length: number of valid frames (0 when nobody was ever seen).
    """
    if keypoints.ndim != 3 or keypoints.shape[1:] != (spec.num_joints, 2):
        raise ValueError(f"keypoints must be (T, {spec.num_joints}, 2), got {keypoints.shape}")
    frames = fill_missing(keypoints[person_present(keypoints)][: spec.max_frames], spec.layout)
    length = len(frames)
    out = np.zeros((spec.max_frames if pad else max(length, 1), spec.feature_size), dtype=np.float32)
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


def motion_amount(keypoints: np.ndarray, spec: FeatureSpec, seconds: float) -> float | None:
    """How much the person moved in the newest ``seconds`` of a window.

    The span is normalised like the features (centre, one scale), then the standard deviation
    over time of every used joint's x and y is averaged: 0 for a frozen pose, a few hundredths
    for a pose model's jitter on someone standing, tenths for an action. Unlike a speed, it does
    not grow with the frame rate when the only motion is per-frame jitter.

    Args:
        keypoints: (T, V, 2) pixels sampled at ``spec.fps`` (a live window or a training clip).
        seconds: span to look at, from the newest frame back.

    Returns:
        The mean temporal std in normalised body units; None when the span holds fewer than 3
        frames with a person.
    """
    span = max(3, int(round(seconds * spec.fps)))
    recent = keypoints[person_present(keypoints)][-span:]
    if len(recent) < 3:
        return None
    used = np.zeros(spec.num_joints, dtype=bool)
    used[index_of(spec.layout, spec.joints_used)] = True
    coords = normalise(fill_missing(recent, spec.layout), used)[:, used]       # (n, U, 2)
    return float(coords.std(axis=0).mean())


def travel_amount(keypoints: np.ndarray, spec: FeatureSpec, seconds: float) -> float | None:
    """How far the person's body moved across the picture over the newest ``seconds`` of a window.

    The straight-line distance between the torso's centre (the mean of the placed shoulders and
    hips) in the first and the last frame of the span, in body sizes: the median over the span
    of each frame's own size (root-mean-square distance of its placed used joints from their
    mean; per frame, so the travel itself does not inflate it). Someone walking or running past
    the camera travels several body sizes in a few seconds; an action done in place (a squat,
    a serve, a pitch's stride) far less.

    Args:
        keypoints: (T, V, 2) pixels sampled at ``spec.fps``.
        seconds: span to look at, from the newest frame back.

    Returns:
        The travel in body sizes; None when fewer than ``seconds`` of frames with a person are
        there, or the span's first or last frame shows fewer than two torso joints.
    """
    span = max(2, int(round(seconds * spec.fps)) + 1)
    recent = keypoints[person_present(keypoints)][-span:]
    if len(recent) < span:
        return None
    used = index_of(spec.layout, spec.joints_used)
    torso = index_of(spec.layout, [n for n in TORSO_JOINTS if n in spec.joints_used])
    placed = joint_present(recent)                                               # (n, V)
    ends = []
    for frame, seen in ((recent[0], placed[0]), (recent[-1], placed[-1])):
        torso_seen = [j for j in torso if seen[j]]
        if len(torso_seen) < 2:
            return None
        ends.append(frame[torso_seen].mean(axis=0))
    seen = placed[:, used]                                                       # (n, U)
    points = recent[:, used].astype(np.float64)                                  # (n, U, 2)
    count = seen.sum(axis=1)
    centre = (points * seen[..., None]).sum(axis=1) / np.maximum(count, 1)[:, None]
    spread = (((points - centre[:, None]) ** 2).sum(axis=2) * seen).sum(axis=1) / np.maximum(count, 1)
    sizes = np.sqrt(spread[count >= 2])                                          # each frame's own size
    size = float(np.median(sizes)) if len(sizes) else 0.0
    if size < ORIGIN_EPS_PX:         # a body a pixel or two across: no size to measure by
        return None
    return float(np.linalg.norm(ends[1] - ends[0]) / size)


def visible_share(scores: np.ndarray, spec: FeatureSpec) -> float | None:
    """Share of the used joints scored visible, over the frames with a person.

    Args:
        scores: (T, V) joint scores; frames where every score is 0 count as nobody.

    Returns:
        A share in [0, 1]; None when no frame has a person.
    """
    used = index_of(spec.layout, spec.joints_used)
    frames = scores[(scores > 0).any(axis=1)][:, used]
    if frames.size == 0:
        return None
    return float((frames >= VISIBLE_SCORE).mean())


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
