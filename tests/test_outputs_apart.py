"""--overwrite replaces an earlier result, never the command's own input, and two outputs never share a file."""
import shutil
from pathlib import Path

import pytest

from tests.conftest import assert_clean_error, run_modules_together, shared_file
from training.errors import UserError
from training.outputs import check_outputs_apart


def test_two_outputs_on_one_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--json and --csv both name"):
        check_outputs_apart([("--json", tmp_path / "r.txt"), ("--csv", tmp_path / "sub" / ".." / "r.txt")], [])


def test_an_output_on_an_input_is_refused_through_a_symlink_too(tmp_path: Path) -> None:
    data = tmp_path / "data.pkl"
    data.write_bytes(b"x")
    (tmp_path / "link.pkl").symlink_to(data)
    with pytest.raises(UserError, match="--json '.*link.pkl' is a file this command reads"):
        check_outputs_apart([("--json", tmp_path / "link.pkl")], [data])


def test_separate_outputs_and_outputs_beside_inputs_pass(tmp_path: Path) -> None:
    data = tmp_path / "data.pkl"
    data.write_bytes(b"x")
    check_outputs_apart([("--json", tmp_path / "r.json"), ("--csv", tmp_path / "r.csv"), ("--save", None)],
                        [data, tmp_path / "not-a-file", None])


@pytest.mark.slow
def test_commands_refuse_to_write_over_their_inputs(trained_checkpoint: Path, skeleton_file: Path,
                                                    tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    shutil.copy(shared_file("videos/pose_squats.mp4"), video)
    data = tmp_path / "data.pkl"
    shutil.copy(skeleton_file, data)
    before = video.read_bytes(), data.read_bytes()
    ckpt = ["--checkpoint", str(trained_checkpoint)]
    cases = [
        ("realtime.video", [str(video), *ckpt, "--json", str(video), "--overwrite", "--no-progress"],
         "--json .* is a file this command reads"),
        ("realtime.video", [str(video), *ckpt, "--json", str(tmp_path / "r.txt"), "--csv", str(tmp_path / "r.txt"),
                            "--no-progress"], "--json and --csv both name"),
        ("realtime.video", [str(video), *ckpt, "--json", str(trained_checkpoint), "--overwrite", "--no-progress"],
         "is a file this command reads"),
        ("realtime.cam", ["--source", str(video), *ckpt, "--save", str(video), "--overwrite", "--no-show"],
         "--save .* is a file this command reads"),
        ("training.evaluate", [*ckpt, "--data", str(data), "--json", str(data), "--overwrite"],
         "--json .* is a file this command reads"),
    ]
    for proc, (_, _, pattern) in zip(run_modules_together([(module, args) for module, args, _ in cases]), cases):
        assert_clean_error(proc, pattern)
    assert (video.read_bytes(), data.read_bytes()) == before
    assert not (tmp_path / "r.txt").exists()
