"""Frames of a variable-frame-rate video (phones in low light, screen recorders) are timed as the
file shows them, not by index / fps: the model reads actions at their real speed and the
timeline's times match a player's."""
import json
import math
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime.frame_clock import MAX_STEP_S, FrameClock
from realtime.sources import ThreadedCapture, VideoFileReader
from tests.conftest import run_module, shared_file


def clock_times(fps: float, positions_ms: list[float]) -> list[float]:
    clock = FrameClock(fps)
    return [round(clock.time_of(p), 4) for p in positions_ms]


def test_a_constant_rate_file_is_timed_index_over_fps() -> None:
    assert clock_times(25.0, [0.0, 40.0, 80.0, 120.0]) == [0.0, 0.04, 0.08, 0.12]


def test_a_variable_rate_file_keeps_its_own_times() -> None:
    """30 fps, then 15 fps (a phone in low light): the slow part's frames are 2/30 s apart."""
    assert clock_times(22.5, [0.0, 33.3, 66.7, 133.3, 200.0]) == [0.0, 0.0333, 0.0667, 0.1333, 0.2]


@pytest.mark.parametrize("positions_ms, expected", [
    ([40.0, 80.0, 120.0], [0.0, 0.04, 0.08]),            # an AVI reports each frame one frame late
    ([-34.0, 34.5, 69.0], [0.0, 0.0345, 0.069]),         # an MP4 edit list puts the first frame before 0
    ([0.0, 40.0, 80.0, 0.0], [0.0, 0.04, 0.08, 0.12]),   # an AVI's last frame reports 0: one period on
    ([0.0, 0.0, 0.0, 0.0], [0.0, 0.04, 0.08, 0.12]),     # no time stamps at all: index / fps
    ([0.0, 40.0, 40.0, 200.0], [0.0, 0.04, 0.08, 0.12]),  # a repeated stamp ends the trust for the file
    ([0.0, 40.0, 80.0 + 1000 * (MAX_STEP_S + 1), 120.0], [0.0, 0.04, 0.08, 0.12]),   # a damaged jump
    ([0.0, math.nan, 80.0], [0.0, 0.04, 0.08]),
])
def test_unbelievable_time_stamps_fall_back_to_the_frame_rate(positions_ms: list[float],
                                                                expected: list[float]) -> None:
    assert clock_times(25.0, positions_ms) == expected


DURATION_AT = {b"mvhd": 24, b"tkhd": 28, b"mdhd": 24, b"elst": 16}   # byte offset in a version-0 box


def with_variable_rate(path: Path, slow_from: int, factor: int) -> None:
    """Make an OpenCV-written MP4 variable-rate, as a phone's: frames from ``slow_from`` on are shown
    ``factor`` times as long (its time-to-sample table gets a second entry, the movie's durations
    grow to match; moov follows mdat, so the sample offsets stay right)."""
    data = bytearray(path.read_bytes())
    stts = data.find(b"stts") - 4
    count, delta = struct.unpack(">II", data[stts + 16:stts + 24])
    longer = (slow_from + factor * (count - slow_from)) / count
    for kind, at in DURATION_AT.items():
        box = data.find(kind) - 4
        assert data[box + 8] == 0, f"{kind!r} is not version 0"
        struct.pack_into(">I", data, box + at, round(struct.unpack(">I", data[box + at:box + at + 4])[0] * longer))
    entries = struct.pack(">IIIII", 2, slow_from, delta, count - slow_from, delta * factor)
    data[stts + 12:stts + 24] = entries
    grown = len(entries) - 12
    struct.pack_into(">I", data, stts, struct.unpack(">I", data[stts:stts + 4])[0] + grown)
    for parent in (b"stbl", b"minf", b"mdia", b"trak", b"moov"):
        box = data.rfind(parent, 0, stts) - 4
        struct.pack_into(">I", data, box, struct.unpack(">I", data[box:box + 4])[0] + grown)
    path.write_bytes(bytes(data))


def phone_video(path: Path, frames: list[np.ndarray], fps: float, slow_from: int) -> list[float]:
    """``frames`` at ``fps``, then from ``slow_from`` every other one shown twice as long (the frame
    rate halves, the action keeps its speed); returns the frames' true times."""
    kept = frames[:slow_from] + frames[slow_from::2]
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for frame in kept:
        writer.write(frame)
    writer.release()
    with_variable_rate(path, slow_from, 2)
    return [i / fps for i in range(slow_from)] + [(slow_from + 2 * k) / fps for k in range(len(kept) - slow_from)]


def test_both_readers_time_a_phone_video_by_its_own_clock(tmp_path: Path) -> None:
    frames = [np.full((48, 64, 3), 8 * i, np.uint8) for i in range(30)]
    truth = phone_video(tmp_path / "phone.mp4", frames, 10.0, slow_from=10)
    reader = VideoFileReader(tmp_path / "phone.mp4")
    assert np.allclose([f.timestamp_s for f in reader], truth, atol=1e-3)      # index / fps: 1.9 s at the end, not 2.8
    with ThreadedCapture(str(tmp_path / "phone.mp4"), realtime=False) as capture:
        times = []
        while (frame := capture.latest()) is not None:
            times.append(frame.timestamp_s)
    assert np.allclose(times, truth, atol=1e-3)


def test_a_looping_phone_video_keeps_counting_time(tmp_path: Path) -> None:
    frames = [np.full((48, 64, 3), 8 * i, np.uint8) for i in range(12)]
    truth = phone_video(tmp_path / "phone.mp4", frames, 10.0, slow_from=6)
    with ThreadedCapture(str(tmp_path / "phone.mp4"), realtime=False, loop=True) as capture:
        times = [capture.latest().timestamp_s for _ in range(2 * len(truth))]
        second_pass = [truth[-1] + 1 / capture.fps + t for t in truth]    # the last frame lasts one mean period
    assert np.allclose(times, truth + second_pass, atol=1e-3)


def test_a_real_clip_with_a_dropped_frame_keeps_the_gap() -> None:
    """A real jump-rope clip (30 fps) skips two frames before its last: that frame comes 0.1 s late."""
    path = shared_file("videos/realworld/jump_rope/"
                       "Hooneybadger__jump-rope-detector__videos_alternative_jump_video_01.mp4")
    times = [f.timestamp_s for f in VideoFileReader(path)]
    assert times[-1] - times[-2] == pytest.approx(0.1, abs=2e-3)
    assert np.allclose(np.diff(times[:-1]), 1 / 30, atol=2e-3)


def test_realtime_video_reads_a_phone_squat_video_at_its_real_times(tmp_path: Path) -> None:
    """A real squat clip whose second half was filmed at half the frame rate is read like the same
    clip filmed at a constant rate: up to where the rate drops the two timelines are the same
    moment for moment (by index / fps the phone video's first half ran a third slower, and its
    predictions came at other moments with other probabilities), and both name the squat."""
    capture = cv2.VideoCapture(str(shared_file("videos/pose_squats.mp4")))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    while (read := capture.read())[0]:
        frames.append(read[1])
    slow_from = len(frames) // 2
    (tmp_path / "clips").mkdir()
    phone_video(tmp_path / "clips" / "phone.mp4", frames, fps, slow_from)
    steady = cv2.VideoWriter(str(tmp_path / "clips" / "steady.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                             frames[0].shape[1::-1])
    for frame in frames:
        steady.write(frame)
    steady.release()
    out = tmp_path / "r.json"
    proc = run_module("realtime.video", str(tmp_path / "clips"), "--checkpoint", "default", "--json", str(out),
                      "--no-progress")
    assert proc.returncode == 0, proc.stderr
    phone, steady_video = json.loads(out.read_text())["videos"]
    assert [phone["label"], steady_video["label"]] == ["squat", "squat"]
    before_drop = slow_from / fps - 0.5
    early = [[(e["time"], e["raw_label"], round(e["raw_probability"], 2)) for e in v["timeline"] if e["time"] < before_drop]
             for v in (phone, steady_video)]
    assert len(early[0]) >= 10 and early[0] == early[1]


def test_a_folder_of_animated_gifs_is_classified(tmp_path: Path) -> None:
    """Exercise demonstrations often come as animated GIFs (each frame with its own delay): a folder
    of them "held no video" before."""
    from PIL import Image
    capture = cv2.VideoCapture(str(shared_file("videos/pose_squats.mp4")))
    frames = []
    while (read := capture.read())[0]:
        frames.append(Image.fromarray(cv2.cvtColor(cv2.resize(read[1], None, fx=0.5, fy=0.5), cv2.COLOR_BGR2RGB)))
    (tmp_path / "gifs").mkdir()
    frames[0].save(tmp_path / "gifs" / "squats.gif", save_all=True, append_images=frames[1:], duration=200, loop=0)
    out = tmp_path / "r.json"
    proc = run_module("realtime.video", str(tmp_path / "gifs"), "--checkpoint", "default", "--json", str(out),
                      "--no-progress")
    assert proc.returncode == 0, proc.stderr
    video = json.loads(out.read_text())["videos"][0]
    assert video["frames"] == len(frames) and video["label"] == "squat"
    assert video["timeline"][-1]["time"] == pytest.approx((len(frames) - 1) * 0.2, abs=0.25)


def test_a_gif_whose_frames_have_their_own_delays_is_timed_by_them(tmp_path: Path) -> None:
    from PIL import Image
    frames = [Image.fromarray(np.full((40, 40, 3), 20 * i, np.uint8)) for i in range(8)]
    frames[0].save(tmp_path / "v.gif", save_all=True, append_images=frames[1:], duration=[100] * 4 + [200] * 4, loop=0)
    times = [f.timestamp_s for f in VideoFileReader(tmp_path / "v.gif")]
    assert np.allclose(times, [0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0], atol=1e-3)
