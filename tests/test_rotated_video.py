"""A phone video filmed upright is stored sideways with a rotation tag: frames must reach the pose
model as a player shows them (upright), in every reader."""
import json
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime.sources import ThreadedCapture, VideoFileReader
from tests.conftest import run_module, shared_file

ROTATE_90 = (0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30)   # the mp4 display matrix of a "rotate=90" tag


def tag_rotation(path: Path, matrix: tuple[int, ...]) -> None:
    """Write ``matrix`` into the video track header (tkhd) of an mp4 file, as a phone does."""
    data = bytearray(path.read_bytes())
    box = data.find(b"tkhd")
    version = data[box + 4]
    offset = box + 8 + (20 if version == 0 else 32) + 8 + 8     # times, track id, duration; reserved, layer..volume
    data[offset:offset + 36] = struct.pack(">9i", *matrix)
    path.write_bytes(bytes(data))


def upright_frames(n: int = 8) -> list[np.ndarray]:
    """The first frames of a real portrait clip (a person standing upright), at half size."""
    capture = cv2.VideoCapture(str(shared_file("videos/pose_squats.mp4")))
    frames = []
    while len(frames) < n:
        ok, frame = capture.read()
        assert ok
        frames.append(cv2.resize(frame, (frame.shape[1] // 2, frame.shape[0] // 2)))
    return frames


def test_a_sideways_stored_phone_video_is_read_upright(tmp_path: Path) -> None:
    upright = upright_frames()
    sideways = tmp_path / "phone.mp4"
    h, w = upright[0].shape[:2]
    writer = cv2.VideoWriter(str(sideways), cv2.VideoWriter_fourcc(*"mp4v"), 5.0, (h, w))   # stored landscape
    for frame in upright:
        writer.write(cv2.rotate(frame, cv2.ROTATE_90_COUNTERCLOCKWISE))
    writer.release()
    tag_rotation(sideways, ROTATE_90)

    reader = VideoFileReader(sideways)
    frames = [f.image for f in reader]
    assert (reader.width, reader.height) == (w, h) and frames[0].shape == (h, w, 3)
    assert np.abs(frames[0].astype(int) - upright[0]).mean() < 12          # the same picture, codec loss aside
    with ThreadedCapture(str(sideways), realtime=False) as capture:
        first = capture.latest()
    assert first is not None and first.image.shape == (h, w, 3)


@pytest.mark.slow
def test_a_phone_squat_video_with_a_rotation_tag_is_labelled_like_the_upright_one(tmp_path: Path) -> None:
    """End to end with the bundled model: before auto-rotation, this clip came out as bench_press/situp
    and then "no action" (the model saw a person lying down)."""
    capture = cv2.VideoCapture(str(shared_file("videos/pose_squats.mp4")))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    while (read := capture.read())[0]:
        frames.append(read[1])
    sideways = tmp_path / "phone_squats.mp4"
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(sideways), cv2.VideoWriter_fourcc(*"mp4v"), fps, (h, w))
    for frame in frames:
        writer.write(cv2.rotate(frame, cv2.ROTATE_90_COUNTERCLOCKWISE))
    writer.release()
    tag_rotation(sideways, ROTATE_90)
    out = tmp_path / "r.json"
    proc = run_module("realtime.video", str(sideways), "--checkpoint", "default", "--json", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["videos"][0]["label"] == "squat"
