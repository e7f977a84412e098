import numpy as np
import pytest

from realtime.window import SlidingWindow, TimeResampler
from training.features import FeatureSpec


def _pose(value: float) -> np.ndarray:
    return np.full((17, 2), value, np.float32)


def test_same_rate_passes_frames_through_unchanged() -> None:
    r = TimeResampler(25.0)
    out = [p for i in range(50) for p in r.push(i / 25.0, _pose(10 + i))]
    assert len(out) == 50 and all(np.array_equal(p, _pose(10 + i)) for i, p in enumerate(out))


@pytest.mark.parametrize("camera_fps, expected", [(15.0, 25), (60.0, 25), (5.0, 25), (30.0, 25)])
def test_any_camera_rate_gives_the_model_rate(camera_fps: float, expected: int) -> None:
    r = TimeResampler(25.0)
    out = [p for i in range(int(camera_fps * 4) + 1) for p in r.push(i / camera_fps, _pose(i / camera_fps))]
    assert abs(len(out) - 4 * expected) <= 1
    times = np.array([p[0, 0] for p in out])  # the pose value encodes its time
    np.testing.assert_allclose(np.diff(times), 1 / 25.0, atol=1e-5)


def test_gaps_are_not_bridged_and_bad_timestamps_add_nothing() -> None:
    r = TimeResampler(25.0, max_gap_s=0.5)
    r.push(0.0, _pose(20))
    assert len(r.push(2.0, _pose(30))) == 1          # 2 s later: a new start, no 50 invented poses
    assert r.push(2.0, _pose(31)) == [] and r.push(1.0, _pose(32)) == []


def test_window_keeps_the_newest_and_resets_after_absence() -> None:
    window = SlidingWindow(FeatureSpec(max_frames=10, fps=10.0), reset_after_s=1.0)
    for i in range(25):
        window.push(i / 10, _pose(100 + i))
    assert len(window) == 10 and window.full
    assert window.keypoints()[0, 0, 0] == 115 and window.keypoints()[-1, 0, 0] == 124
    window.push(2.5, None)
    assert len(window) == 10, "a short absence keeps the window"
    window.push(3.6, None)
    assert len(window) == 0, "more than reset_after_s without anyone empties it"
    features, length = window.features()
    assert length == 0 and not features.any()
