import numpy as np
import pytest

from mapping.layouts import COCO17, index_of
from tests.conftest import random_clip
from training.features import FeatureSpec, build_features, joints_seen

SPEC = FeatureSpec(max_frames=11)


def test_shape_padding_and_length() -> None:
    kp = random_clip(np.random.default_rng(0), 7)
    features, length = build_features(kp, SPEC)
    assert features.shape == (11, 34) and features.dtype == np.float32 and length == 7
    assert not features[7:].any(), "padding must be zeros after the valid frames"
    assert features[:7].any()


def test_statistics_over_valid_frames_only() -> None:
    kp = random_clip(np.random.default_rng(1), 7)
    features, length = build_features(kp, SPEC)
    xy = features[:length].reshape(length, 17, 2)
    np.testing.assert_allclose(xy.reshape(-1, 2).mean(axis=0), 0, atol=1e-5)   # centred per axis
    assert xy.std() == pytest.approx(1.0, abs=1e-4)                             # one pooled std


def test_flattening_is_joint_major_x_then_y() -> None:
    kp = random_clip(np.random.default_rng(2), 3)
    features, _ = build_features(kp, SPEC)
    nose, left_eye = COCO17.index("nose"), COCO17.index("left_eye")
    dx = features[0, 2 * left_eye] - features[0, 2 * nose]
    dy = features[0, 2 * left_eye + 1] - features[0, 2 * nose + 1]
    raw = kp[0, left_eye] - kp[0, nose]
    assert np.sign(dx) == np.sign(raw[0]) and np.sign(dy) == np.sign(raw[1])
    assert dx / dy == pytest.approx(raw[0] / raw[1], rel=1e-4)


def test_invariant_to_image_position_and_size() -> None:
    kp = random_clip(np.random.default_rng(3), 9)
    a, _ = build_features(kp, SPEC)
    b, _ = build_features(kp * 2.7 + np.array([500.0, -40.0], np.float32), SPEC)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_frames_without_a_person_are_dropped() -> None:
    kp = random_clip(np.random.default_rng(4), 6)
    holes = np.insert(kp, [0, 3, 6], 0.0, axis=0)  # (9, 17, 2) with three empty frames
    np.testing.assert_array_equal(build_features(holes, SPEC)[0], build_features(kp, SPEC)[0])


def test_long_sequences_keep_their_first_max_frames() -> None:
    kp = random_clip(np.random.default_rng(5), 30)
    np.testing.assert_array_equal(build_features(kp, SPEC)[0], build_features(kp[:11], SPEC)[0])


@pytest.mark.parametrize("keypoints, length", [
    (np.zeros((0, 17, 2), np.float32), 0),
    (np.zeros((5, 17, 2), np.float32), 0),
    (np.full((4, 17, 2), 42.0, np.float32), 4),   # a frozen single point: std = 0 is guarded
    (np.full((1, 17, 2), 7.0, np.float32), 1),
])
def test_degenerate_inputs_give_finite_features(keypoints: np.ndarray, length: int) -> None:
    features, n = build_features(keypoints, SPEC)
    assert n == length and np.isfinite(features).all()


def test_unused_joints_are_zero_and_do_not_move_the_statistics() -> None:
    spec = FeatureSpec(max_frames=11, joints_used=tuple(j for j in COCO17 if "eye" not in j and "ear" not in j))
    kp = random_clip(np.random.default_rng(6), 5)
    other = kp.copy()
    other[:, 1:5] = 9999.0  # wild eyes/ears must not matter
    a, _ = build_features(kp, spec)
    np.testing.assert_array_equal(a, build_features(other, spec)[0])
    assert not a[:, 2:10].any()


def test_velocity_doubles_the_features() -> None:
    spec = FeatureSpec(max_frames=11, velocity=True)
    kp = random_clip(np.random.default_rng(7), 6)
    features, length = build_features(kp, spec)
    assert features.shape == (11, 68) and spec.feature_size == 68
    np.testing.assert_allclose(features[1:length, 34:], np.diff(features[:length, :34], axis=0), atol=1e-6)
    assert not features[0, 34:].any()


def test_wrong_layout_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\(T, 17, 2\)"):
        build_features(np.zeros((3, 33, 2), np.float32), SPEC)


def test_joints_seen_drops_joints_never_scored() -> None:
    scores = np.ones((10, 17), np.float32)
    scores[:, 1:5] = 0
    assert joints_seen([scores]) == tuple(j for j in COCO17 if j not in COCO17[1:5])


def test_spec_round_trips_through_a_dict() -> None:
    spec = FeatureSpec(max_frames=64, fps=30.0, velocity=True, joints_used=COCO17[5:])
    assert FeatureSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(ValueError, match="unknown feature parameter"):
        FeatureSpec.from_dict({**spec.to_dict(), "mystery": 1})


def test_joints_at_the_origin_are_missing_and_filled_in_time() -> None:
    """Penn Action marks hidden joints as (0.75, 0.75): they must not pull the statistics to the corner."""
    kp = random_clip(np.random.default_rng(8), 6)
    wrist = COCO17.index("left_wrist")
    kp[:, wrist] = np.linspace([100, 100], [150, 200], 6)
    holed = kp.copy()
    holed[2:4, wrist] = 0.75                       # hidden in frames 2 and 3: interpolated back
    np.testing.assert_allclose(build_features(holed, SPEC)[0], build_features(kp, SPEC)[0], atol=1e-4)


def test_a_joint_never_seen_takes_its_mirror_joint() -> None:
    """A side view: the hidden knee is drawn behind the visible one, as a live pose model does."""
    kp = random_clip(np.random.default_rng(10), 5)
    left, right = COCO17.index("left_knee"), COCO17.index("right_knee")
    kp[:, right] = 0.0
    features, _ = build_features(kp, SPEC)
    xy = features[:5].reshape(5, 17, 2)
    np.testing.assert_array_equal(xy[:, right], xy[:, left])


def test_a_joint_never_seen_nor_its_mirror_is_zero_and_out_of_the_statistics() -> None:
    kp = random_clip(np.random.default_rng(9), 5)
    ankle = COCO17.index("right_ankle")
    hidden = kp.copy()
    hidden[:, [ankle, COCO17.index("left_ankle")]] = 0.0
    features, _ = build_features(hidden, SPEC)
    assert not features[:5, 2 * ankle: 2 * ankle + 2].any()
    others = np.delete(features[:5].reshape(5, 17, 2), [ankle, COCO17.index("left_ankle")], axis=1)
    np.testing.assert_allclose(others.reshape(-1, 2).mean(axis=0), 0, atol=1e-5)


def _standing_person(frames: int, rng: np.random.Generator, height: float = 200.0) -> np.ndarray:
    """(T, 17, 2) a person about ``height`` px tall around (300, 300), joints jittering by 1 px."""
    base = rng.uniform(-0.25, 0.25, (17, 2)) * np.array([0.6, 1.0]) * height * 2 + 300.0
    return (base[None] + rng.normal(0, 1.0, (frames, 17, 2))).astype(np.float32)


def test_travel_counts_body_sizes_crossed_whatever_the_picture_size() -> None:
    from training.features import TORSO_JOINTS, travel_amount
    spec = FeatureSpec(fps=25.0)
    rng = np.random.default_rng(0)
    in_place = _standing_person(100, rng)
    walking = in_place + np.linspace(0, 600, 100)[:, None, None] * np.array([1.0, 0.0], np.float32)
    small_far = (walking - 300.0) * 0.25 + 100.0                 # the same walk filmed from four times as far
    assert travel_amount(in_place, spec, 2.0) < 0.1
    assert travel_amount(walking, spec, 2.0) > 3.0
    assert travel_amount(small_far, spec, 2.0) == pytest.approx(travel_amount(walking, spec, 2.0), rel=0.05)
    assert travel_amount(walking[:40], spec, 2.0) is None         # fewer than 2 s of poses: unknown
    torso_lost = walking.copy()
    torso_lost[-1, index_of(COCO17, TORSO_JOINTS)] = 0.0          # the newest frame shows no torso
    assert travel_amount(torso_lost, spec, 2.0) is None
    absent = np.concatenate([walking[:60], np.zeros((30, 17, 2), np.float32), walking[60:]])
    assert travel_amount(absent, spec, 2.0) == pytest.approx(travel_amount(walking, spec, 2.0))  # nobody-frames skipped


def test_the_travel_bar_lies_above_every_training_clip() -> None:
    from training.calibrate import TRAVEL_MARGIN, fit_max_travel
    from training.features import travel_amount
    spec = FeatureSpec(fps=25.0)
    rng = np.random.default_rng(1)
    clips = [_standing_person(int(rng.integers(30, 150)), rng) for _ in range(30)]
    clips[3] = clips[3] + np.linspace(0, 150, len(clips[3]))[:, None, None].astype(np.float32)   # one clip steps sideways
    bar = fit_max_travel(clips, spec, 4.0)
    travels = [travel_amount(c, spec, min(4.0, (len(c) - 1) / 25.0)) for c in clips]     # each clip's newest 4 s
    assert bar > max(travels)                                       # no training clip is taken for walking past
    assert bar < TRAVEL_MARGIN * 1.1 * max(travels)                 # and the bar is set by the clip that moved
    assert max(travels) == travels[3] and sorted(travels)[-2] < 0.2 * bar
    assert fit_max_travel(clips[:2], spec, 4.0) == 0.0              # too little to measure: off
