"""The second-opinion study's parts: statistics that do not depend on where the person stands,
the second model learning them, and windows cut from a pose track as the live window holds them."""
import numpy as np

from bench.pose_cache import PoseTrack
from bench.second_opinion import auroc, live_windows, window_probabilities
from training.features import COCO17, FeatureSpec
from training.second_opinion import clip_statistics, train_second_opinion

SPEC = FeatureSpec(max_frames=60, window_frames=30, fps=10.0, velocity=True)
WRIST = COCO17.index("right_wrist")


def person(frames: int, rng: np.random.Generator, waving: bool) -> np.ndarray:
    """(T, 17, 2) pixels: a standing figure; ``waving`` moves the right wrist up and down."""
    base = np.stack([np.linspace(100, 140, 17), np.linspace(50, 250, 17)], axis=1)
    kp = np.repeat(base[None], frames, axis=0) + rng.normal(0, 0.5, (frames, 17, 2))
    if waving:
        kp[:, WRIST, 1] += 40 * np.sin(np.arange(frames) * rng.uniform(0.8, 1.2))
    return kp.astype(np.float32)


def test_statistics_do_not_depend_on_where_or_how_large_the_person_is() -> None:
    kp = person(40, np.random.default_rng(0), waving=True)
    stats = clip_statistics(kp, SPEC)
    assert stats.shape == (4 * 17 * 2,) and np.isfinite(stats).all()
    moved = kp * 1.7 + np.array([300.0, -20.0], dtype=np.float32)
    assert np.allclose(clip_statistics(moved, SPEC), stats, atol=1e-4)


def test_the_mlp_tells_a_waving_person_from_a_still_one() -> None:
    rng = np.random.default_rng(1)
    clips = [person(int(rng.integers(20, 60)), rng, waving=bool(i % 2)) for i in range(40)]
    opinion = train_second_opinion(clips, np.arange(40) % 2, 2, SPEC, seed=0, epochs=20, variants=8)
    fresh = [person(30, rng, waving=w) for w in (False, True) * 10]
    assert (window_probabilities(opinion, fresh, SPEC).argmax(1) == [0, 1] * 10).mean() >= 0.9


def test_windows_end_every_half_second_and_hold_only_frames_with_a_person() -> None:
    times = np.arange(0, 6.0, 0.05)                     # 20 fps for 6 s
    found = times < 4.0                                 # nobody after 4 s
    keypoints = np.where(found[:, None, None], person(len(times), np.random.default_rng(2), True), 0)
    track = PoseTrack(times, keypoints.astype(np.float32), found[:, None] * np.ones((1, 17), np.float32), found,
                      20.0, (480, 640))
    windows = live_windows(track, SPEC)                 # 3 s windows at 10 fps, from 1 s on
    ends = [e for e in np.arange(1.0, track.duration_s + 1e-9, 0.5) if ((times > e - 3) & (times <= e) & found).sum() >= 8]
    assert len(windows) == len(ends) and ends[-1] == 6.0          # the last still holds 0.4 s of the person
    assert len(windows[0]) == 11 and len(windows[-1]) == 10     # 0-1 s and 3.05-3.95 s at 10 fps
    assert max(len(w) for w in windows) == SPEC.window_frames    # 2.95 s of 20 fps frames
    assert all((w != 0).any(axis=(1, 2)).all() for w in windows)


def test_auroc_counts_unknown_above_in_class() -> None:
    assert auroc([0.1, 0.2], [0.9, 0.8]) == 1.0 and auroc([0.5], [0.5]) == 0.5 and auroc([0.9], [0.1]) == 0.0
