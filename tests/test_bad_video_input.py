"""realtime.video and predict/evaluate with bad paths, bad files and odd videos: checked first, nothing lost."""
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime.source_names import resolve_sources, resolve_video_files
from realtime.video import annotated_names
from realtime.video_pipeline import classify_video
from tests.conftest import assert_clean_error, run_main_here, run_module, run_modules_together, shared_file
from training.checkpoint import load_checkpoint
from training.errors import UserError


@pytest.mark.parametrize("flag, value, pattern", [
    ("--top-k", "0", "--top-k: must be at least 1"), ("--top-k", "-2", "--top-k: must be at least 1"),
    ("--every", "0", "--every: must be at least 1"), ("--every", "-3", "--every: must be at least 1"),
    ("--threshold", "2", "--threshold: must be between 0 and 1"), ("--smoothing", "nan", "--smoothing: expected"),
])
def test_numeric_options_are_checked(trained_checkpoint: Path, flag: str, value: str, pattern: str) -> None:
    for module, args in (("realtime.video", [str(shared_file("videos/pose_1.mp4"))]),
                         ("realtime.cam", ["--no-show", "--source", str(shared_file("videos/pose_1.mp4"))])):
        assert_clean_error(run_main_here(module, *args, "--checkpoint", str(trained_checkpoint), flag, value), pattern)


def test_outputs_are_checked_before_the_work(trained_checkpoint: Path, tmp_path: Path) -> None:
    video = str(shared_file("videos/pose_1.mp4"))
    cases = [(["--json", str(tmp_path / "missing" / "r.json")], "folder .*missing' does not exist"),
             (["--csv", str(tmp_path / "missing" / "r.csv")], "folder .*missing' does not exist"),
             (["--json", str(tmp_path)], "is a folder"),
             (["--save-dir", str(shared_file("videos/pose_1.mp4"))], "is a file, not a folder")]
    for args, pattern in cases:
        proc = run_module("realtime.video", video, "--checkpoint", str(trained_checkpoint), *args, "--no-progress")
        assert_clean_error(proc, pattern)
        assert "model" not in proc.stdout                    # refused before the model (and the work) started


def test_evaluate_json_into_a_missing_folder_fails_first(trained_checkpoint: Path, skeleton_file: Path,
                                                         tmp_path: Path) -> None:
    proc = run_module("training.evaluate", "--checkpoint", str(trained_checkpoint), "--data", str(skeleton_file),
                      "--json", str(tmp_path / "nope" / "e.json"))
    assert_clean_error(proc, "does not exist")


def test_videos_with_one_name_in_two_folders_get_two_annotated_files(tmp_path: Path) -> None:
    videos = [str(tmp_path / "monday" / "squat.mp4"), str(tmp_path / "tuesday" / "squat.mp4"),
              str(tmp_path / "tuesday" / "pushup.mp4")]
    names = annotated_names(videos, tmp_path / "out")
    assert len(set(names.values())) == 3
    assert names[videos[0]].name == "monday_squat_annotated.mp4" and names[videos[2]].name == "pushup_annotated.mp4"


@pytest.mark.slow
def test_same_named_videos_are_all_annotated(trained_checkpoint: Path, tmp_path: Path) -> None:
    for day in ("monday", "tuesday"):
        (tmp_path / "in" / day).mkdir(parents=True)
        shutil.copy(shared_file("videos/pose_squats.mp4"), tmp_path / "in" / day / "squat.mp4")
    proc = run_module("realtime.video", str(tmp_path / "in"), "--checkpoint", str(trained_checkpoint),
                      "--save-dir", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["monday_squat_annotated.mp4",
                                                                   "tuesday_squat_annotated.mp4"]


def test_an_image_is_not_a_video(trained_checkpoint: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "photo.mp4"
    shutil.copy(shared_file("images/000000000785.jpg"), renamed)
    ckpt = load_checkpoint(trained_checkpoint)
    for path in (shared_file("images/000000000785.jpg"), renamed):
        with pytest.raises(UserError, match="is a still image, not a video"):
            classify_video(str(path), ckpt, progress=False)


def _write(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def _frames(video: str, n: int) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(shared_file(video)))
    return [capture.read()[1] for _ in range(n)]


def test_a_truncated_video_is_classified_with_a_warning(trained_checkpoint: Path, tmp_path: Path) -> None:
    whole = _write(tmp_path / "whole.avi", _frames("videos/pose_1.mp4", 90), 30.0)
    cut = tmp_path / "cut.avi"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    result = classify_video(str(cut), load_checkpoint(trained_checkpoint), progress=False)
    assert result.frames < 60 and any("truncated" in w for w in result.warnings)
    # realtime.cam / realtime.demo on the same file said "stopped: source ended", as if it were whole
    from realtime.cam import LiveOptions, run_live

    summary = run_live(str(cut), load_checkpoint(trained_checkpoint), LiveOptions(show=False, quiet=True))
    assert summary.frames < 60 and "source ended: only" in summary.stopped_because
    assert "truncated" in summary.stopped_because and not summary.source_lost
    whole_run = run_live(str(whole), load_checkpoint(trained_checkpoint), LiveOptions(show=False, quiet=True))
    assert whole_run.stopped_because == "source ended"


def test_a_video_shorter_than_the_first_label_wait_says_so(trained_checkpoint: Path, tmp_path: Path) -> None:
    # A 0.2 s clip was labelled like any other, with nothing saying the model saw part of an action.
    short = _write(tmp_path / "short.avi", _frames("videos/pose_1.mp4", 6), 30.0)
    ckpt = load_checkpoint(trained_checkpoint)
    result = classify_video(str(short), ckpt, progress=False)
    assert any(f"less than the {ckpt.decision.first_label_s:g} s of poses" in w for w in result.warnings)
    whole = classify_video(str(shared_file("videos/pose_squats.mp4")), ckpt, progress=False)
    assert not any("less than" in w for w in whole.warnings)


def test_a_one_fps_video_is_resampled_to_the_model_rate(trained_checkpoint: Path, tmp_path: Path) -> None:
    slow = _write(tmp_path / "slow.avi", _frames("videos/pose_1.mp4", 120)[::30], 1.0)   # 4 frames, 1 fps
    ckpt = load_checkpoint(trained_checkpoint)
    result = classify_video(str(slow), ckpt, progress=False)
    assert result.fps == pytest.approx(1.0) and any("too few" in w for w in result.warnings)
    assert result.timeline and max(t["window_frames"] for t in result.timeline) >= 3 * ckpt.spec.fps - 1


def test_a_time_lapse_under_one_fps_keeps_its_rate_and_its_person(trained_checkpoint: Path, tmp_path: Path) -> None:
    # A 0.5 fps header was taken for a broken one: the video was timed at 25 fps and reported so,
    # each frame (2 s apart by the file's own clock) started the window anew, and the segments
    # said "no person" between every two predictions although the person is in every frame.
    from training.decision import NO_PERSON

    lapse = _write(tmp_path / "lapse.avi", _frames("videos/pose_squats.mp4", 8), 0.5)   # 16 s
    ckpt = load_checkpoint(trained_checkpoint)
    result = classify_video(str(lapse), ckpt, progress=False)
    assert result.fps == pytest.approx(0.5) and any("too few" in w for w in result.warnings)
    assert result.frames_with_person == 8
    assert max(t["window_frames"] for t in result.timeline) > 8, "the frames are interpolated into one window"
    assert result.segments and NO_PERSON not in [s["label"] for s in result.segments]
    assert result.segments[-1]["end"] == pytest.approx(16.0)


def test_a_bad_pose_model_file_is_refused_once_before_any_video(trained_checkpoint: Path, tmp_path: Path) -> None:
    fake = tmp_path / "pose.task"
    fake.write_text("not a model")
    videos = [str(shared_file("videos/pose_squats.mp4")), str(shared_file("videos/pose_1.mp4"))]
    commands = [("realtime.video", [*videos, "--checkpoint", str(trained_checkpoint), "--json", str(tmp_path / "r.json"),
                                    "--no-progress", "--pose-model", str(fake)]),
                ("realtime.extract", [*videos, "--label", "squat", "--out", str(tmp_path / "x.pkl"), "--pose-model",
                                      str(fake)])]
    for proc in run_modules_together(commands):
        assert_clean_error(proc, "not a usable MediaPipe pose model")
        assert proc.stderr.count("not a usable") == 1 and "skipped" not in proc.stdout + proc.stderr
    assert not list(tmp_path.glob("r.json*")) and not list(tmp_path.glob("x*"))


def test_an_unreadable_video_gets_our_message_only(trained_checkpoint: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(shared_file("videos/pose_1.mp4").read_bytes()[:4000])   # cut off: no index ("moov atom")
    proc = run_module("realtime.video", str(broken), "--checkpoint", str(trained_checkpoint), "--no-progress")
    assert proc.returncode == 1 and "cannot decode it" in proc.stdout
    assert "moov" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("source", ["99999999999999999999", "10000"])
def test_a_camera_index_beyond_any_camera_gets_a_message(source: str) -> None:
    # Before: OpenCV's binding raised a TypeError traceback for an index beyond a C int.
    with pytest.raises(UserError, match=f"Camera index {source} is out of range: cameras are numbered from 0"):
        resolve_sources(source)


def test_a_digit_that_is_not_a_number_is_read_as_a_name(tmp_path: Path) -> None:
    # "²" passes str.isdigit() but not int(): before, a ValueError traceback.
    with pytest.raises(UserError, match="Cannot open '²'"):
        resolve_sources("²")
    (tmp_path / "²").mkdir()
    (tmp_path / "²" / "a.mp4").write_bytes(b"x")
    assert resolve_sources(str(tmp_path / "²")) == [str(tmp_path / "²" / "a.mp4")]


@pytest.mark.parametrize("source, kind", [("0", "camera index"), ("rtsp://127.0.0.1:1/live", "stream URL"),
                                          ("http://example.org/clip.mp4", "stream URL")])
def test_recorded_video_commands_refuse_cameras_and_streams(trained_checkpoint: Path, tmp_path: Path,
                                                           source: str, kind: str) -> None:
    # Before: `realtime.video 0` printed an empty table and exited 0; a stream URL failed as
    # "file not found"; `realtime.extract 0` said "no video could be read (0 failed)".
    proc = run_main_here("realtime.video", source, "--checkpoint", str(trained_checkpoint), "--no-progress")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"FAILED {source}: '{source}' is a {kind}, not a video file" in proc.stdout
    assert f"python -m realtime.cam --source {source}" in proc.stdout
    out = tmp_path / "mine.pkl"
    assert_clean_error(run_main_here("realtime.extract", source, "--label", "x", "--out", str(out)),
                       f"is a {kind}, not a video file: realtime.extract reads recorded videos")
    assert not out.exists()


def test_a_video_file_named_like_a_camera_index_is_that_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("0").write_bytes(b"x")
    assert resolve_video_files("0", "realtime.video") == ["0"]
    assert resolve_sources("0") == [0], "realtime.cam keeps reading a number as a camera"


@pytest.mark.parametrize("source", ["", "   "])
def test_an_empty_source_is_not_the_current_folder(source: str) -> None:
    # `python -m realtime.video "$VIDEO"` with VIDEO unset classified every video in the folder.
    with pytest.raises(UserError, match="empty source.*unset shell variable"):
        resolve_sources(source)


def test_a_missing_recording_is_not_answered_with_cameras_and_streams(tmp_path: Path) -> None:
    # realtime.video / realtime.extract / bench.trust refuse cameras and streams, yet a typo in a
    # file name told the user to pass "a stream URL ... or a camera index such as --source 0".
    for source in (str(tmp_path / "sqaut.mp4"), ""):
        with pytest.raises(UserError) as info:
            resolve_video_files(source, "realtime.video")
        assert "camera index" not in str(info.value) and "stream URL" not in str(info.value)
        assert "a video file, a folder of videos or a glob" in str(info.value)
    with pytest.raises(UserError, match="a stream URL .* or a camera index such as --source 0"):
        resolve_sources(str(tmp_path / "sqaut.mp4"))          # realtime.cam takes those: it still says so


def test_a_folder_scan_leaves_hidden_files_out_like_a_shell(tmp_path: Path) -> None:
    for name in ("a.mp4", "sub/b.avi", "._a.mp4", ".c.x1y2.partial.mp4", ".cache/d.mp4", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert resolve_sources(str(tmp_path)) == [str(tmp_path / "a.mp4"), str(tmp_path / "sub/b.avi")]
    hidden_root = tmp_path / ".videos"
    (hidden_root / "e.mp4").parent.mkdir()
    (hidden_root / "e.mp4").write_bytes(b"x")
    assert resolve_sources(str(hidden_root)) == [str(hidden_root / "e.mp4")], "a folder named on purpose is read"


def test_a_folder_of_camcorder_and_old_phone_videos_is_classified(trained_checkpoint: Path, tmp_path: Path) -> None:
    """A camcorder's .MTS files, an old phone's .3gp, a recorder's .ts and .flv: a folder of them
    "held no video"."""
    (tmp_path / "clips").mkdir()
    frames = _frames("videos/pose_1.mp4", 12)
    codecs = {"camcorder.MTS": "mp4v", "recorder.ts": "mp4v", "phone.3gp": "mp4v", "flash.flv": "FLV1"}
    names = list(codecs)
    for name, codec in codecs.items():
        writer = cv2.VideoWriter(str(tmp_path / "clips" / name), cv2.VideoWriter_fourcc(*codec), 30.0,
                                 frames[0].shape[1::-1])
        for frame in frames:
            writer.write(frame)
        writer.release()
    out = tmp_path / "r.json"
    proc = run_module("realtime.video", str(tmp_path / "clips"), "--checkpoint", str(trained_checkpoint),
                      "--json", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    assert sorted(Path(v["path"]).name for v in result["videos"]) == sorted(names) and not result["failed"]
    assert all(v["frames"] == len(frames) for v in result["videos"])


def _labelled_av1(path: Path) -> Path:
    """An MP4 that says its video is AV1 (OpenCV's FFmpeg opens it, announces its frames and decodes
    none, as it does a real AV1 file: it has no software AV1 decoder). No AV1 encoder is available
    here, so an MPEG-4 stream is relabelled: sample entry 'av01', its MPEG-4 descriptor made a free box."""
    frames = [np.full((48, 64, 3), 20 * i, np.uint8) for i in range(10)]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (64, 48))
    for frame in frames:
        writer.write(frame)
    writer.release()
    path.write_bytes(path.read_bytes().replace(b"mp4v", b"av01").replace(b"esds", b"free"))
    return path


def test_an_av1_video_is_named_as_such_with_the_way_forward(trained_checkpoint: Path, tmp_path: Path) -> None:
    """YouTube downloads and newer phones give AV1 videos; they were reported as "corrupt or empty"."""
    from realtime.sources import VideoFileReader
    av1 = _labelled_av1(tmp_path / "youtube.mp4")
    with pytest.raises(UserError, match="its video is AV1.*re-encode it, e.g. `ffmpeg -i in -c:v libx264 out.mp4`"):
        list(VideoFileReader(av1))
    proc = run_module("realtime.video", str(av1), "--checkpoint", str(trained_checkpoint), "--no-progress")
    assert proc.returncode == 1 and "its video is AV1" in proc.stdout and "corrupt" not in proc.stdout
    assert "sequence header" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    proc = run_module("realtime.cam", "--source", str(av1), "--checkpoint", str(trained_checkpoint), "--no-show")
    assert_clean_error(proc, "its video is AV1.*libx264")


def test_ffmpeg_lines_while_reading_are_kept_off_the_terminal(trained_checkpoint: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Two recordings of different picture sizes joined into one transport stream (`cat a.ts b.ts`):
    OpenCV cannot follow the size change, and FFmpeg printed "[swscaler] Slice parameters ... are
    invalid" once for every frame of the second part. Shown with --verbose only."""
    monkeypatch.delenv("OPENCV_FFMPEG_LOGLEVEL", raising=False)   # set by commands run inside this process
    frames = _frames("videos/pose_1.mp4", 30)
    joined = tmp_path / "joined.ts"
    for i, size in enumerate([(320, 240), (640, 480)]):
        part = tmp_path / f"part{i}.ts"
        writer = cv2.VideoWriter(str(part), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, size)
        for frame in frames[15 * i:15 * (i + 1)]:
            writer.write(cv2.resize(frame, size))
        writer.release()
        with joined.open("ab") as out:
            out.write(part.read_bytes())
    args = [str(joined), "--checkpoint", str(trained_checkpoint), "--no-progress"]
    quiet, verbose = run_modules_together([("realtime.video", args), ("realtime.video", [*args, "--verbose"])])
    assert quiet.returncode == 0 and "Slice parameters" not in quiet.stderr, quiet.stderr
    assert "Slice parameters" in verbose.stderr    # the case is real: the lines are there to hide
    proc = run_module("realtime.extract", str(joined), "--label", "squat", "--out", str(tmp_path / "x.pkl"))
    assert proc.returncode == 0 and "Slice parameters" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("url, site", [("https://www.youtube.com/watch?v=abc", "youtube.com"),
                                       ("https://youtu.be/abc", "youtu.be"), ("https://m.youtube.com/shorts/x", "youtube.com"),
                                       ("https://vimeo.com/123", "vimeo.com")])
def test_a_video_site_page_is_not_taken_for_a_stream(url: str, site: str) -> None:
    """A YouTube link was opened as a stream (5 s, then "check that the camera app is running"), and
    realtime.video sent the user to realtime.cam with it."""
    for resolve in (resolve_sources, lambda u: resolve_video_files(u, "realtime.video")):
        with pytest.raises(UserError, match=rf"is a page of {site}, not a video stream: download the video first.*yt-dlp"):
            resolve(url)


@pytest.mark.parametrize("url", ["http://192.168.1.20:8080/video", "rtsp://cam.local/stream", "https://notyoutube.com/x",
                                 "https://example.com/x.com/live.m3u8"])
def test_camera_and_stream_urls_are_still_streams(url: str) -> None:
    assert resolve_sources(url) == [url]


def test_a_rerun_into_a_save_dir_inside_the_folder_does_not_read_its_own_copies(trained_checkpoint: Path,
                                                                               tmp_path: Path) -> None:
    """`realtime.video videos/ --save-dir videos/annotated/` run again (with --overwrite) found its
    annotated copies among the inputs and refused ("a file this command reads")."""
    videos = tmp_path / "videos"
    videos.mkdir()
    _write(videos / "clip.avi", _frames("videos/pose_1.mp4", 30), 30.0)
    args = [str(videos), "--checkpoint", str(trained_checkpoint), "--save-dir", str(videos / "annotated"),
            "--json", str(tmp_path / "r.json"), "--no-progress"]
    first = run_module("realtime.video", *args)
    assert first.returncode == 0, first.stderr
    again = run_module("realtime.video", *args, "--overwrite")
    assert again.returncode == 0, again.stdout + again.stderr
    assert [Path(v["path"]).name for v in json.loads((tmp_path / "r.json").read_text())["videos"]] == ["clip.avi"]
    assert sorted(p.name for p in (videos / "annotated").iterdir()) == ["clip_annotated.mp4"]
