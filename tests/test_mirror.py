"""bench.mirror: real clips shown mirrored, as a left-handed player or a selfie camera shows them; the
command line it shares with bench.switches."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.mirror import mirror_video, mirrored_track
from bench.pose_cache import PoseTrack
from mapping.layouts import COCO17, index_of
from realtime.sources import VideoFileReader
from tests.conftest import assert_clean_error, run_main_here


def _track(n: int = 12, width: int = 640) -> PoseTrack:
    rng = np.random.default_rng(0)
    keypoints = rng.uniform(20, 400, (n, 17, 2)).astype(np.float32)
    keypoints[:, index_of(COCO17, ["left_ear"])[0]] = 0.0        # a joint never placed
    found = np.ones(n, bool)
    found[3] = False
    keypoints[3] = 0.0                                             # a frame without a person
    return PoseTrack(np.arange(n) / 30.0, keypoints, rng.uniform(0, 1, (n, 17)).astype(np.float32), found, 30.0,
                     (480, width))


def test_mirrored_poses_swap_sides_and_flip_x_and_missing_stays_missing() -> None:
    track = _track()
    mirrored = mirrored_track(track)
    left, right = index_of(COCO17, ["left_wrist", "right_wrist"])
    np.testing.assert_allclose(mirrored.keypoints[:, right, 0][track.found], 639 - track.keypoints[:, left, 0][track.found])
    np.testing.assert_allclose(mirrored.keypoints[:, right, 1], track.keypoints[:, left, 1])
    np.testing.assert_allclose(mirrored.scores[:, right], track.scores[:, left])
    ear = index_of(COCO17, ["right_ear"])[0]                      # the left ear, now on the right: still unplaced
    assert not mirrored.keypoints[:, ear].any() and not mirrored.keypoints[3].any()
    np.testing.assert_allclose(mirrored_track(mirrored).keypoints, track.keypoints, atol=1e-4)


def test_a_mirrored_video_shows_the_left_on_the_right(tmp_path: Path) -> None:
    source, target = tmp_path / "a.avi", tmp_path / "b.mp4"
    writer = cv2.VideoWriter(str(source), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for _ in range(5):
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[:, :16] = 255                                       # a white band on the left
        writer.write(frame)
    writer.release()
    mirror_video(source, target)
    frames = [frame.image for frame in VideoFileReader(target)]      # read as every command reads a file
    assert len(frames) == 5 and frames[0].shape == (48, 64, 3)
    assert frames[0][:, -12:].mean() > 200 and frames[0][:, :40].mean() < 40


@pytest.mark.parametrize("study", ["bench.mirror", "bench.switches"])
def test_every_checkpoint_is_checked_before_the_first_is_measured(tmp_path: Path, study: str) -> None:
    # Before: a bad second --checkpoint was found only after the first had been measured.
    bad = tmp_path / "notes.txt"
    bad.write_text("not a model")
    (tmp_path / "videos" / "realworld").mkdir(parents=True)
    proc = run_main_here(study, "--checkpoint", "default", "--checkpoint", str(bad), "--videos", str(tmp_path / "videos"))
    assert_clean_error(proc, "not a model file written by training.train")
    assert proc.stdout == ""
    assert_clean_error(run_main_here(study, "--videos", str(tmp_path / "none")), "No real-world clips")
