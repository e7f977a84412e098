"""bench.switches: joining two real clips as one person changing action in front of one camera."""
import numpy as np

from bench.pose_cache import PoseTrack
from bench.switches import BODY_HEIGHT_PX, FRAME_CENTRE_PX, joined, onto_one_frame
from bench.trust import settled_after


def _track(n: int, fps: float, offset: tuple[float, float], scale: float, start_s: float = 3.0) -> PoseTrack:
    rng = np.random.default_rng(n)
    keypoints = (rng.uniform(0, 1, (n, 17, 2)) * scale + np.array(offset)).astype(np.float32)
    keypoints[:, 2] = 0.0                       # one joint never placed
    found = np.ones(n, bool)
    found[1] = False
    keypoints[1] = 0.0
    return PoseTrack(start_s + np.arange(n) / fps, keypoints, np.ones((n, 17), np.float32), found, fps, (720, 1280))


def test_two_clips_filmed_differently_land_on_one_body_size_and_place() -> None:
    small_far = onto_one_frame(_track(40, 30.0, (900.0, 100.0), 80.0))
    big_near = onto_one_frame(_track(50, 25.0, (10.0, 300.0), 600.0))
    for track in (small_far, big_near):
        placed = track.keypoints[track.found][:, [0, 1, *range(3, 17)]].reshape(-1, 2)
        height = np.percentile(placed[:, 1], 95) - np.percentile(placed[:, 1], 5)
        assert abs(height - BODY_HEIGHT_PX) < 1e-3
        np.testing.assert_allclose(np.median(placed, axis=0), FRAME_CENTRE_PX, atol=1e-3)
        assert not track.keypoints[:, 2].any() and not track.keypoints[1].any(), "missing stays missing"
        assert track.timestamps[0] == 0.0


def test_the_second_clip_follows_the_first_in_time() -> None:
    first, second = onto_one_frame(_track(30, 30.0, (0, 0), 100.0)), onto_one_frame(_track(20, 10.0, (0, 0), 100.0))
    track, start = joined(first, second)
    assert len(track.timestamps) == 50 and np.all(np.diff(track.timestamps) > 0)
    assert start == track.timestamps[30] == first.timestamps[-1] + 1 / 30.0


def test_the_delay_counts_only_a_label_that_stays() -> None:
    times = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    is_b = "b".__eq__
    assert settled_after(["a", "a", "b", "a", "b", "b"], times, 1.5, is_b) == 2.5
    assert settled_after(["a", "a", "b", "b", "b", "b"], times, 1.5, is_b) == 0.5
    assert settled_after(["a", "a", "b", "b", "b", "a"], times, 1.5, is_b) is None

