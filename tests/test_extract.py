import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import EXIT_STATUS, assert_clean_error, run_module, shared_file, stop_like
from training.dataset import load_skeleton_file
from training.labels import read_label_map


def test_extract_round_trips_through_the_training_loader(tmp_path: Path) -> None:
    for folder, name in (("squat", "pose_squats.mp4"), ("dance", "pose_1.mp4")):
        (tmp_path / "videos" / folder).mkdir(parents=True)
        shutil.copy(shared_file(f"videos/{name}"), tmp_path / "videos" / folder / name)
    (tmp_path / "videos" / "dance" / "broken.mp4").write_text("not a video")
    out = tmp_path / "mine.pkl"
    proc = run_module("realtime.extract", str(tmp_path / "videos"), "--labels-from-folders", "--out", str(out))
    assert proc.returncode == 1, proc.stderr          # one video failed, the others were kept
    assert "broken.mp4" in proc.stdout and "Traceback" not in proc.stderr
    with out.open("rb") as f:
        raw = pickle.load(f)
    rec = raw["annotations"][0]
    assert set(rec) >= {"frame_dir", "label", "img_shape", "original_shape", "total_frames", "keypoint", "keypoint_score"}
    assert rec["keypoint"].dtype == np.float16 and rec["keypoint"].shape[0] == 1 and rec["keypoint"].shape[2:] == (17, 2)
    loaded = load_skeleton_file(out)
    names = read_label_map(out.with_suffix(".labels.txt"))
    assert names == ("dance", "squat")
    squat = next(c for c in loaded.clips if c.frame_dir == "pose_squats")
    assert names[squat.label] == "squat" and squat.img_shape == (1280, 720)
    assert len(squat.keypoints) == 321  # 65 frames at 5 fps (0..12.8 s), resampled to 25 fps
    assert rec["fps"] == 25.0
    again = run_module("realtime.extract", str(tmp_path / "videos"), "--labels-from-folders", "--out", str(out))
    assert_clean_error(again, "exists.*--overwrite")
    out.unlink()                                       # the label map alone is still the user's: not replaced
    labels_before = out.with_suffix(".labels.txt").read_text()
    third = run_module("realtime.extract", str(tmp_path / "videos"), "--labels-from-folders", "--out", str(out))
    assert_clean_error(third, "labels.txt' exists.*--overwrite")
    assert out.with_suffix(".labels.txt").read_text() == labels_before and not out.exists()


def test_a_video_too_slow_to_follow_motion_is_noted_and_still_extracted(tmp_path: Path) -> None:
    # realtime.video warned about a 1 fps video; realtime.extract put its guessed motion into a
    # training clip without a word.
    import cv2

    capture = cv2.VideoCapture(str(shared_file("videos/pose_squats.mp4")))
    frames = [capture.read()[1] for _ in range(10)]
    slow = tmp_path / "slow.avi"
    writer = cv2.VideoWriter(str(slow), cv2.VideoWriter_fourcc(*"MJPG"), 1.0, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    out = tmp_path / "slow.pkl"
    proc = run_module("realtime.extract", str(slow), "--label", "squat", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "1 fps is too few to follow motion well" in proc.stdout + proc.stderr
    assert len(load_skeleton_file(out).clips[0].keypoints) == 9 * 25 + 1, "still 9 s of poses at 25 fps"
    fast = run_module("realtime.extract", str(shared_file("videos/pose_squats.mp4")), "--label", "squat",
                      "--out", str(tmp_path / "fast.pkl"))
    assert fast.returncode == 0 and "too few" not in fast.stdout + fast.stderr


def test_a_flat_folder_is_not_one_class_named_after_it(tmp_path: Path) -> None:
    (tmp_path / "clips").mkdir()
    shutil.copy(shared_file("videos/pose_1.mp4"), tmp_path / "clips" / "a.mp4")
    proc = run_module("realtime.extract", str(tmp_path / "clips"), "--labels-from-folders", "--out",
                      str(tmp_path / "x.pkl"))
    assert_clean_error(proc, "single class .*own subfolder")


def test_gaps_keep_the_video_timeline() -> None:
    from realtime.extract import resample_track
    times = np.arange(60) / 30.0                        # 2 s at 30 fps
    rows = np.tile(np.array([[100.0, 200.0, 0.9]], np.float32), (60, 17, 1))
    found = np.ones(60, bool)
    found[20:40] = False                               # nobody for 0.67 s in the middle
    track = resample_track(times, rows, found, fps=25.0, source_fps=30.0)
    assert len(track) == int(round(59 / 30 * 25)) + 1  # the clip's whole span, gap included
    nobody = ~track[:, :, :2].any(axis=(1, 2))
    assert 14 <= nobody.sum() <= 18 and not nobody[:15].any() and not nobody[-15:-1].any()


def test_extract_needs_a_label_rule(tmp_path: Path) -> None:
    proc = run_module("realtime.extract", str(shared_file("videos/pose_1.mp4")), "--out", str(tmp_path / "x.pkl"))
    assert_clean_error(proc, "--label NAME.*--labels-from-folders")


def interrupt_on_call(monkeypatch: pytest.MonkeyPatch, n: int, kind: str = "ctrl-c") -> None:
    """The n-th video read by realtime.extract is stopped by Ctrl-C or SIGTERM (``kind``); the others are real."""
    from realtime import extract as extract_module
    real, calls = extract_module.extract_video, []

    def extract_video(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == n:
            stop_like(kind)
        return real(*args, **kwargs)

    monkeypatch.setattr(extract_module, "extract_video", extract_video)


@pytest.mark.parametrize("kind", ["ctrl-c", "sigterm"])
def test_ctrl_c_writes_the_videos_already_extracted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture, kind: str) -> None:
    from realtime.extract import main
    from training.errors import run_cli
    videos = [str(shared_file(f"videos/{n}")) for n in ("pose_squats.mp4", "pose_1.mp4", "ta_chi.mp4")]
    interrupt_on_call(monkeypatch, 2, kind)
    out = tmp_path / "mine.pkl"
    with pytest.raises(SystemExit) as stopped:
        run_cli(lambda: main([*videos, "--label", "exercise", "--out", str(out)]))
    assert stopped.value.code == EXIT_STATUS[kind]
    assert [c.frame_dir for c in load_skeleton_file(out).clips] == ["pose_squats"]
    assert "2 not extracted (from " in capsys.readouterr().out
    interrupt_on_call(monkeypatch, 1)                  # nothing finished: nothing written
    with pytest.raises(SystemExit):
        run_cli(lambda: main([*videos, "--label", "exercise", "--out", str(tmp_path / "none.pkl")]))
    assert not list(tmp_path.glob("none*"))


def test_the_rejection_label_cannot_be_a_class_name() -> None:
    from realtime.extract import class_names
    from training.errors import UserError
    with pytest.raises(UserError, match="reserved .* another --label"):
        class_names(["a.mp4"], "No Action", False)
    with pytest.raises(UserError, match="reserved .* rename that folder"):
        class_names(["v/squat/a.mp4", "v/no action/b.mp4"], None, True)
    with pytest.raises(UserError, match="reserved .* another --label"):     # what a clip with nobody is called
        class_names(["a.mp4"], "no person", False)
    assert class_names(["v/squat/a.mp4", "v/idle/b.mp4"], None, True) == {"v/squat/a.mp4": "squat",
                                                                          "v/idle/b.mp4": "idle"}


@pytest.mark.parametrize("label", ["", "   ", "pull\nup", "squat\r", "tab\tname"])
def test_a_class_name_that_is_not_one_line_of_the_label_map_is_refused(label: str) -> None:
    # Before: --label $'pull\nup' wrote a label map of two lines for one class (every later name
    # shifted by one), --label "" an empty line.
    from realtime.extract import class_names
    from training.errors import UserError
    with pytest.raises(UserError, match="cannot be a line of the label map.*pass a plain name to --label"):
        class_names(["a.mp4"], label, False)
    if label:   # a folder cannot be named ""
        with pytest.raises(UserError, match="rename that folder"):
            class_names([f"v/{label}/a.mp4", "v/idle/b.mp4"], None, True)


@pytest.mark.parametrize("label", ["push,up", " squat", "squat "])
def test_a_class_name_that_training_could_not_choose_or_read_back_is_refused(label: str) -> None:
    # Before: --label 'push,up' extracted fine, then --classes push,up asked for two classes
    # that do not exist; ' squat' was read back from the label map as 'squat'.
    from realtime.extract import class_names
    from training.errors import UserError
    with pytest.raises(UserError, match="comma.*pass another --label|space.*pass another --label"):
        class_names(["a.mp4"], label, False)
    with pytest.raises(UserError, match="rename that folder"):
        class_names([f"v/{label}/a.mp4", "v/idle/b.mp4"], None, True)


def test_class_names_that_would_read_back_as_numbered_lines_are_refused() -> None:
    # A label map of "1 squat" / "2 pushup" reads as UCF101's numbered classInd.txt ("squat", "pushup").
    from realtime.extract import class_names
    from training.errors import UserError
    with pytest.raises(UserError, match="Every class name starts with a number .* rename that folder .*'1_squat'"):
        class_names(["v/1 squat/a.mp4", "v/2 pushup/b.mp4"], None, True)
    with pytest.raises(UserError, match="starts with a number .* pass another --label"):
        class_names(["a.mp4"], "1 squat", False)
    assert set(class_names(["v/1 squat/a.mp4", "v/pushup/b.mp4"], None, True).values()) == {"1 squat", "pushup"}


def test_a_video_with_nobody_in_it_is_reported_and_left_out(tmp_path: Path) -> None:
    # Before: a dark or empty video was written as a clip of zeros with no word said; training then
    # dropped it as "skipped" and the user never learnt which video had given nothing.
    import cv2
    import numpy as np
    from realtime.extract import extract
    from training.errors import UserError
    dark = tmp_path / "dark.avi"
    writer = cv2.VideoWriter(str(dark), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (160, 120))
    for _ in range(25):
        writer.write(np.zeros((120, 160, 3), np.uint8))
    writer.release()
    data, failed, _, _, _ = extract([str(dark), str(shared_file("videos/pose_squats.mp4"))], tmp_path / "x.pkl",
                                    "squat", False, 25.0)
    assert [a["frame_dir"] for a in data["annotations"]] == ["pose_squats"]
    assert failed == [(str(dark), "the pose model found nobody in any frame (is a person in view, and the video "
                                  "lit?); left out of the file")]
    with pytest.raises(UserError, match="No video gave poses .*dark.avi: the pose model found nobody"):
        extract([str(dark)], tmp_path / "y.pkl", "squat", False, 25.0)
    assert not (tmp_path / "y.pkl").exists()


def test_videos_of_one_name_in_class_folders_stay_apart(tmp_path: Path) -> None:
    # squat/1.mp4 and dance/1.mp4 were both stored as frame_dir "1": the file's split, --frame-dir
    # and the loader could not tell them apart.
    for folder, name in (("squat", "pose_squats.mp4"), ("dance", "pose_1.mp4")):
        (tmp_path / "videos" / folder).mkdir(parents=True)
        shutil.copy(shared_file(f"videos/{name}"), tmp_path / "videos" / folder / "1.mp4")
    out = tmp_path / "mine.pkl"
    proc = run_module("realtime.extract", str(tmp_path / "videos"), "--labels-from-folders", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    loaded = load_skeleton_file(out)
    names = read_label_map(out.with_suffix(".labels.txt"))
    assert sorted((c.frame_dir, names[c.label]) for c in loaded.clips) == [("dance_1", "dance"), ("squat_1", "squat")]
    assert not loaded.skipped


def test_videos_in_deeper_folders_belong_to_their_class_folder(tmp_path: Path) -> None:
    # my_videos/squat/day1/a.mp4 made a class "day1" beside "squat", without a word.
    from realtime.extract import class_folder, class_names
    root = tmp_path / "my_videos"
    layout = {"squat/a.mp4": "squat", "squat/day1/b.mp4": "squat", "squat/day1/evening/c.mp4": "squat",
              "pushup/d.mp4": "pushup"}
    for relative in layout:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shared_file("videos/pose_squats.mp4"), root / relative)
    videos = [str(root / relative) for relative in layout]
    classes = class_names(videos, None, True, roots={v: str(root) for v in videos})
    assert [classes[v] for v in videos] == list(layout.values())
    assert class_folder(str(root / "squat/day1/b.mp4"), None) == "day1"           # named alone: its own folder
    assert class_folder(str(root / "squat/a.mp4"), str(root / "squat")) == "squat"   # the class folder given
    out = tmp_path / "mine.pkl"
    proc = run_module("realtime.extract", str(root), "--labels-from-folders", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "classes from folders: pushup (1 video), squat (3 videos)" in proc.stdout
    assert read_label_map(out.with_suffix(".labels.txt")) == ("pushup", "squat")


def test_a_video_given_twice_is_one_clip(tmp_path: Path) -> None:
    """``realtime.extract clips/*.mp4 clips/a.mp4`` stored the video twice under one frame_dir (the
    same clip could land in training and validation); a link to it is the same video too."""
    from realtime.source_names import without_repeats

    video = tmp_path / "clips" / "pullup.mp4"
    video.parent.mkdir()
    shutil.copy(shared_file("videos/realworld/pullup/Jintao-Xu__Pose_Estimation__pose_gif_Pull-Up.mp4"), video)
    (tmp_path / "clips" / "again.mp4").symlink_to(video)
    other = tmp_path / "other.mp4"
    other.write_bytes(b"x")
    given = [str(video), str(tmp_path / "clips" / "." / "pullup.mp4"), str(other), str(tmp_path / "clips" / "again.mp4")]
    assert without_repeats(given) == ([str(video), str(other)], 2)
    out = tmp_path / "mine.pkl"
    proc = run_module("realtime.extract", str(tmp_path / "clips" / "*.mp4"), str(video), "--label", "pullup",
                      "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "note: 2 video(s) given more than once are extracted once" in proc.stdout
    with out.open("rb") as f:
        assert [a["frame_dir"] for a in pickle.load(f)["annotations"]] == ["again"]


def test_append_adds_a_class_and_keeps_the_files_clips_and_ids(tmp_path: Path) -> None:
    """A dataset grows a class at a time: before, the only way to add push-ups to squats.pkl was
    --overwrite, which threw the squats away."""
    out = tmp_path / "mine.pkl"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(shared_file("videos/pose_squats.mp4"), tmp_path / "a" / "clip.mp4")
    shutil.copy(shared_file("videos/pose_1.mp4"), tmp_path / "b" / "clip.mp4")      # the same file name
    first = run_module("realtime.extract", str(tmp_path / "a" / "clip.mp4"), "--label", "squat", "--out", str(out))
    assert first.returncode == 0, first.stderr
    refused = run_module("realtime.extract", str(tmp_path / "b" / "clip.mp4"), "--label", "dance", "--out", str(out))
    assert_clean_error(refused, "exists; add --append")
    added = run_module("realtime.extract", str(tmp_path / "b" / "clip.mp4"), "--label", "dance", "--out", str(out),
                       "--append")
    assert added.returncode == 0, added.stderr
    names = read_label_map(out.with_suffix(".labels.txt"))
    assert names == ("squat", "dance")                   # squat keeps id 0; the new class comes after
    loaded = load_skeleton_file(out)
    assert sorted((c.frame_dir, names[c.label]) for c in loaded.clips) == [("clip", "squat"), ("clip-2", "dance")]
    assert load_skeleton_file(out).split["all"] == ["clip", "clip-2"]
    again = run_module("realtime.extract", str(tmp_path / "a" / "clip.mp4"), "--label", "squat", "--out", str(out),
                       "--append")
    assert_clean_error(again, "already in")                # the same video twice: not a second clip
    assert len(load_skeleton_file(out).clips) == 2
    other_rate = run_module("realtime.extract", str(tmp_path / "b" / "clip.mp4"), "--label", "dance", "--out",
                            str(out), "--append", "--fps", "30")
    assert_clean_error(other_rate, "sampled at 25 fps.*pass --fps 25")
    both = run_module("realtime.extract", str(tmp_path / "b" / "clip.mp4"), "--label", "dance", "--out", str(out),
                      "--append", "--overwrite")
    assert_clean_error(both, "give one of them")
    out.with_suffix(".labels.txt").unlink()
    lost_map = run_module("realtime.extract", str(tmp_path / "b" / "clip.mp4"), "--label", "dance", "--out",
                          str(out), "--append")
    assert_clean_error(lost_map, "no label map beside it")


def test_append_rules(tmp_path: Path) -> None:
    """Appending to a missing file creates it; new names never take an old or another new one;
    a file changed since it was read (another run appending) is not replaced."""
    from realtime.extract_append import ExistingFile, appended, classes_after, names_apart, read_existing
    f = tmp_path / "x.pkl"
    f.write_bytes(b"1")
    existing = ExistingFile({}, [], (f.stat().st_mtime_ns, f.stat().st_size))
    assert not existing.changed_since_read(f)
    f.write_bytes(b"22")
    assert existing.changed_since_read(f)
    assert read_existing(Path("/nonexistent/x.pkl"), Path("/nonexistent/x.labels.txt"), 25.0) is None
    assert classes_after(None, {"b", "a"}) == ["a", "b"]
    assert names_apart({"v1": "clip", "v2": "clip-2"}, {"clip"}) == {"v1": "clip-3", "v2": "clip-2"}
    data, repeated = appended(None, [{"frame_dir": "x", "keypoint": np.zeros((1, 2, 17, 2))}])
    assert data["split"] == {"all": ["x"]} and repeated == []


@pytest.mark.parametrize("extra", [[], ["--append"]])
def test_an_existing_out_of_the_wrong_kind_is_refused_for_its_name_not_offered_overwrite(
        tmp_path: Path, extra: list[str]) -> None:
    """``--out clip.mp4`` (the video itself) used to get "exists; add --append ... --overwrite to replace
    it": advice that, taken, failed on the suffix, and pointed at replacing a video with a pickle."""
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not read: the name is refused first")
    refused = run_module("realtime.extract", str(video), "--label", "squat", "--out", str(video), *extra)
    assert_clean_error(refused, r"use a file name ending in \.pkl")
    assert "--overwrite" not in refused.stderr
    assert video.read_bytes() == b"not read: the name is refused first"
    (tmp_path / "runs.pkl").mkdir()
    folder = run_module("realtime.extract", str(video), "--label", "squat", "--out", str(tmp_path / "runs.pkl"), *extra)
    assert_clean_error(folder, "is a folder; give a file name inside it")


def test_a_label_that_starts_with_a_dash_is_told_how_to_pass_it(tmp_path: Path) -> None:
    proc = run_module("realtime.extract", str(tmp_path / "clip.mp4"), "--label", "-squat", "--out", str(tmp_path / "o.pkl"))
    assert_clean_error(proc, "give a value that starts with '-' as --label=-squat")
