"""File names near the file system's limit (255 bytes in one name): legal names work to the end,
names beyond it are refused before any work, never a traceback after it."""
from pathlib import Path

import numpy as np
import pytest

from realtime.video import annotated_names
from realtime.video_io import VideoSink
from tests.conftest import assert_clean_error, run_main_here, shared_file
from training.errors import UserError
from training.outputs import check_output_file, name_max, write_text_atomic
from training.run_dir import choose_run_dir, staged_run_dir


def test_a_legal_long_result_name_is_written(tmp_path: Path) -> None:
    # Before: its temporary name (".<name>.XXXXXXXX.partial.json") was longer than the limit, so
    # realtime.video classified every video and then lost the results in a traceback.
    path = tmp_path / ("j" * (name_max(tmp_path) - 5) + ".json")
    check_output_file(path, "--json")
    write_text_atomic(path, "{}")
    assert path.read_text() == "{}" and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_name_beyond_the_limit_is_refused_before_the_work(tmp_path: Path) -> None:
    too_long = tmp_path / ("k" * 300 + ".json")
    with pytest.raises(UserError, match="--json: the name 'k+\\.\\.\\.' in it is 305 bytes long; file systems take "
                                        "at most 255"):
        check_output_file(too_long, "--json")
    with pytest.raises(UserError, match="--out: the name .* bytes long"):
        choose_run_dir(str(tmp_path / ("r" * 300)), overwrite=False)
    proc = run_main_here("realtime.video", str(shared_file("videos/pose_squats.mp4")), "--checkpoint", "default",
                         "--json", str(too_long))
    assert_clean_error(proc, "argument --json: the name 'k+\\.\\.\\.' in it is 305 bytes long")


def test_a_run_folder_and_a_video_with_long_names_are_staged_and_written(tmp_path: Path) -> None:
    limit = name_max(tmp_path)
    with staged_run_dir(tmp_path / ("r" * limit)) as stage:
        assert stage.is_dir()
    sink = VideoSink(tmp_path / ("v" * (limit - 4) + ".avi"), fps=10.0)
    for _ in range(3):
        sink.write(np.zeros((48, 64, 3), np.uint8))
    saved = sink.close()
    assert saved is not None and saved.stat().st_size > 0


def test_annotated_copies_of_long_named_videos_fit_and_stay_apart(tmp_path: Path) -> None:
    limit = name_max(tmp_path)
    videos = [str(tmp_path / ("x" * (limit - 5) + ".mp4")), str(tmp_path / ("x" * (limit - 6) + "y.mp4")),
              str(tmp_path / "short.mp4")]
    names = annotated_names(videos, tmp_path / "out")
    assert len({p.name for p in names.values()}) == 3
    assert all(len(p.name.encode()) <= limit and p.name.endswith("_annotated.mp4") for p in names.values())
    assert names[videos[2]].name == "short_annotated.mp4"


def test_input_paths_no_file_system_takes_are_refused_with_the_option_named(skeleton_file: Path) -> None:
    # Before: Python's exists() raised "File name too long" as a traceback in every command.
    from realtime.source_names import resolve_sources
    too_long = "k" * 300 + ".pkl"
    proc = run_main_here("training.train", "--data", too_long, "--epochs", "1")
    assert_clean_error(proc, "argument --data: the name 'k+\\.\\.\\.' in it is 304 bytes long")
    proc = run_main_here("training.evaluate", "--checkpoint", "/".join(["d" * 200] * 25), "--data", str(skeleton_file))
    assert_clean_error(proc, "argument --checkpoint: the path is 5024 bytes long")
    with pytest.raises(UserError, match="Cannot open 'k+\\.\\.\\.': the name .* 304 bytes long"):
        resolve_sources(too_long)


def test_a_name_too_long_from_anywhere_else_is_one_error_line() -> None:
    import errno
    from training.errors import run_cli

    def fails() -> None:
        raise OSError(errno.ENAMETOOLONG, "File name too long", "x" * 300)
    with pytest.raises(SystemExit) as exit_info:
        run_cli(fails)
    assert exit_info.value.code == 2
