"""Fit the decision layer's data-dependent parameters at training time, from training data only.

Stored in the checkpoint's :class:`DecisionSpec`, so every path decides with the same numbers.
"""
from __future__ import annotations

import numpy as np

from dataclasses import replace

from training.decision import DecisionSpec
from training.features import FeatureSpec, motion_amount, person_present, travel_amount, visible_share

STILL_PERCENTILE = 1.0     # of the training clips' own motion over still_s-second spans ...
STILL_FRACTION = 0.5       # ... times this: clearly below what any action in the training set does
FROZEN_MOTION = 1e-6       # motion of a span whose joints do not move at all (a frozen picture)
VISIBLE_PERCENTILE = 2.0   # of each class's training clips' share of visible joints
FIRST_LABEL_RANGE_S = (1.0, 2.0)   # the first label waits the median training clip's length, within these bounds
TRAVEL_MARGIN = 1.1        # the travel bar: this times the farthest any training clip travelled


def motion_spans(clips: list[np.ndarray], spec: FeatureSpec, seconds: float, stride_s: float = 0.2) -> np.ndarray:
    """Amount of motion (see :func:`motion_amount`) of every ``seconds`` span of every clip, one per ``stride_s``.

    Args:
        clips: (T, V, 2) pixel sequences at ``spec.fps``.

    Returns:
        (N,) amounts of motion (see :func:`motion_amount`).
    """
    span = max(3, int(round(seconds * spec.fps)))
    stride = max(1, int(round(stride_s * spec.fps)))
    amounts = []
    for clip in clips:
        valid = clip[person_present(clip)]
        for end in range(span, len(valid) + 1, stride):
            amount = motion_amount(valid[end - span:end], spec, seconds)
            if amount is not None:
                amounts.append(amount)
    return np.array(amounts, dtype=np.float64)


def fit_still_motion(clips: list[np.ndarray], spec: FeatureSpec, seconds: float) -> float:
    """The amount of motion below which a person counts as standing still.

    Half the 1st percentile of the motion the training actions themselves show over spans of
    ``seconds``: slower than almost any moment of any known action. Spans that do not move at all
    are left out: they are frozen pictures (the pose kept on an unchanged picture, see
    ``realtime.unchanged_picture``), not actions, and 1% of them in a user's own clips would set
    the level to 0 (off). 0 (off) when the clips are too short to measure.
    """
    amounts = motion_spans(clips, spec, seconds)
    amounts = amounts[amounts > FROZEN_MOTION]
    if len(amounts) < 20:
        return 0.0
    return float(STILL_FRACTION * np.percentile(amounts, STILL_PERCENTILE))


def fit_max_travel(clips: list[np.ndarray], spec: FeatureSpec, seconds: float, stride_s: float = 0.2) -> float:
    """The travel (see :func:`travel_amount`, body sizes over ``seconds``) above which a person
    counts as walking or running past: :data:`TRAVEL_MARGIN` times the farthest any training clip
    travelled over a span that long (a clip shorter than the span: over the whole clip), so that
    no moment of any known action crosses it. 0 (off) with fewer than 20 spans to measure.

    Args:
        clips: (T, V, 2) pixel sequences at ``spec.fps``.
    """
    farthest, measured = 0.0, 0
    step = max(1, int(round(stride_s * spec.fps)))
    for clip in clips:
        valid = clip[person_present(clip)]
        span = min(len(valid), int(round(seconds * spec.fps)) + 1)
        if span < 2:
            continue
        for end in range(span, len(valid) + 1, step):
            amount = travel_amount(valid[end - span:end], spec, (span - 1) / spec.fps)
            if amount is not None:
                farthest, measured = max(farthest, amount), measured + 1
    return float(TRAVEL_MARGIN * farthest) if measured >= 20 else 0.0


def fit_min_visible(scores: list[np.ndarray], labels: np.ndarray, n_classes: int, spec: FeatureSpec) -> tuple[float, ...]:
    """Per class, the 2nd percentile of its training clips' share of visible joints.

    A live window showing less of the body than 98% of a class's training clips did (a face
    close-up, legs out of the picture) is not taken as that class. Classes filmed partly
    (Penn Action's guitar players, seen from the waist up) keep a low bar.

    Args:
        scores: per training clip, (T, V) joint scores.
        labels: (N,) their classes, 0..n_classes-1.
    """
    shares = [visible_share(s, spec) for s in scores]
    out = []
    for c in range(n_classes):
        mine = [v for v, label in zip(shares, labels) if label == c and v is not None]
        out.append(float(np.percentile(mine, VISIBLE_PERCENTILE)) if mine else 0.0)
    return tuple(out)


def fit_first_label(clips: list[np.ndarray], spec: FeatureSpec) -> float:
    """Seconds of poses to see before the first label: the median length of the training clips.

    A window holding less than the typical training clip shows part of an action (the address
    of a golf swing looks like standing; the start of a serve like many things), and its
    first guess is wrong more often. Kept within :data:`FIRST_LABEL_RANGE_S` so that long
    training clips (UCF101's are about 7 s) do not keep a live user waiting.

    Args:
        clips: (T, V, 2) pixel sequences at ``spec.fps``.
    """
    low, high = FIRST_LABEL_RANGE_S
    lengths = [int(person_present(clip).sum()) for clip in clips]
    lengths = [n for n in lengths if n > 0]
    if not lengths:
        return low
    median_s = float(np.median(lengths)) / spec.fps
    return float(min(max(median_s, low), high, spec.window_frames / spec.fps))


def fit_decision(train_clips: list[np.ndarray], train_scores: list[np.ndarray], labels: np.ndarray,
                 n_classes: int, spec: FeatureSpec, background: bool, base: DecisionSpec | None = None) -> DecisionSpec:
    """The checkpoint's decision parameters: ``base`` (times and thresholds chosen by the recipe)
    plus what is measured on the training clips: the stillness level, the travel bar, per class the
    least share of the body its clips showed, and how long the first label waits."""
    base = base or DecisionSpec()
    return replace(base, use_background=background, first_label_s=fit_first_label(train_clips, spec),
                   still_motion=fit_still_motion(train_clips, spec, base.still_s),
                   max_travel=fit_max_travel(train_clips, spec, base.travel_s),
                   min_visible=fit_min_visible(train_scores, labels, n_classes, spec))
