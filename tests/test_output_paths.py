"""Output paths that look writable but are not what they seem: devices, pseudo-filesystems, symlinks."""
import os
from pathlib import Path

import pytest

from training.errors import UserError
from training.outputs import check_output_file, write_text_atomic
from training.run_dir import choose_run_dir


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_a_device_is_never_replaced_by_a_results_file() -> None:
    before = os.stat("/dev/null")
    with pytest.raises(UserError, match="'/dev/null' is not a regular file.*Give a file path"):
        check_output_file(Path("/dev/null"), "--json", overwrite=True)
    with pytest.raises(UserError, match="not a regular file"):
        write_text_atomic(Path("/dev/null"), "{}")
    after = os.stat("/dev/null")
    assert (after.st_mode, after.st_rdev) == (before.st_mode, before.st_rdev), "still the same device"


def test_a_pipe_is_refused_too(tmp_path: Path) -> None:
    fifo = tmp_path / "results.json"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match="not a regular file"):
        check_output_file(fifo, "--json", overwrite=True)


def test_a_link_to_a_pipe_is_named_as_given(tmp_path: Path) -> None:
    # /dev/stdout in a pipeline is a link to a pipe; the message named '/proc/<pid>/fd/pipe:[...]'
    # ("folder '/proc/<pid>/fd' is not writable"), a path the user never wrote
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    stdout = tmp_path / "stdout"
    stdout.symlink_to(fifo)
    with pytest.raises(UserError, match=f"--csv '{stdout}' is not a regular file"):
        check_output_file(stdout, "--csv", overwrite=True)


def test_a_folder_given_as_a_results_file_gets_an_example_of_the_right_kind(tmp_path: Path) -> None:
    for flag, example in (("--json", "out.json"), ("--csv", "out.csv"), ("--save", "out.mp4")):
        with pytest.raises(UserError, match=f"{flag} '{tmp_path}' is a folder; .* e.g. '{tmp_path / example}'"):
            check_output_file(tmp_path, flag, suffixes=(".mp4",) if flag == "--save" else ())


def test_a_file_where_the_output_folder_would_be_is_named_not_called_missing(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    for path in (notes / "out.json", notes / "deeper" / "out.json"):
        with pytest.raises(UserError, match=f"'{notes}' is a file, not a folder") as info:
            check_output_file(path, "--json")
        assert "mkdir -p" not in str(info.value), "mkdir -p cannot make a folder where a file is"
    with pytest.raises(UserError, match="does not exist. Create it first"):
        check_output_file(tmp_path / "missing" / "out.json", "--json")
    assert notes.read_text() == "mine"


def test_a_symlinked_output_is_written_through_the_link(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "results.json"
    target.write_text("old")
    link = tmp_path / "results.json"
    link.symlink_to(target)
    check_output_file(link, "--json", overwrite=True)
    write_text_atomic(link, "new")
    assert link.is_symlink(), "the user's link stays a link"
    assert target.read_text() == "new"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_training_refuses_an_out_it_cannot_create_before_training() -> None:
    # /proc passes a permission check for root, yet nothing can be created in it: before, a run
    # trained every epoch and then failed to write (the work lost).
    with pytest.raises(UserError, match="Cannot write to --out '/proc/run'"):
        choose_run_dir("/proc/run", overwrite=False)


def test_a_symlinked_video_output_is_written_through_the_link(tmp_path: Path) -> None:
    import numpy as np

    from realtime.video_io import VideoSink

    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "live.avi"
    target.write_bytes(b"old")
    link = tmp_path / "live.avi"
    link.symlink_to(target)
    with VideoSink(link, fps=10.0, overwrite=True) as sink:
        for _ in range(5):
            sink.write(np.zeros((48, 64, 3), np.uint8))
    assert link.is_symlink() and target.stat().st_size > 100


def test_a_run_goes_where_a_symlinked_out_leads_even_before_its_folder_exists(tmp_path: Path) -> None:
    # A link made ahead of the run (`ln -s /big/disk/run1 runs/mine`): before, the run folder
    # replaced the link and the run landed on the small disk.
    from training.run_dir import publish_run

    (tmp_path / "big").mkdir()
    link = tmp_path / "mine"
    link.symlink_to(tmp_path / "big" / "run1")
    final = choose_run_dir(str(link), overwrite=False)
    publish_run(final, lambda folder: (folder / "model.pt").write_bytes(b"weights"))
    assert link.is_symlink(), "the user's link stays a link"
    assert (tmp_path / "big" / "run1" / "model.pt").read_bytes() == b"weights"


def test_an_out_link_that_loops_is_refused(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(UserError, match="--out '.*a' is a symbolic link that leads in a loop"):
        choose_run_dir(str(a), overwrite=False)


@pytest.mark.parametrize("flag", ["--json", "--csv", "--save-dir"])
def test_an_output_link_that_loops_gets_a_message_not_a_traceback(tmp_path: Path, flag: str) -> None:
    from tests.conftest import SHARED_DATA, run_module

    a, b = tmp_path / "out.json", tmp_path / "b"
    a.symlink_to(b)
    b.symlink_to(a)
    clip = SHARED_DATA / "videos" / "realworld" / "pullup" / "Jintao-Xu__Pose_Estimation__pose_gif_Pull-Up.mp4"
    if not clip.exists():
        pytest.skip("needs ../shared/data (the shared clips)")
    proc = run_module("realtime.video", str(clip), "--checkpoint", "default", flag, str(a))
    assert proc.returncode == 2, proc.stderr
    assert "is a symbolic link that leads in a loop" in proc.stderr and "Traceback" not in proc.stderr
    assert a.is_symlink() and b.is_symlink(), "the user's links are left as they were"


def test_a_run_never_replaces_one_that_another_training_published_meanwhile(tmp_path: Path) -> None:
    # Two trainings started in the same second share a default runs/<time> folder (or two terminals
    # share one --out): both found it empty at the start, and the second replaced the first's files.
    from training.run_dir import publish_run

    out = tmp_path / "runs" / "20261126-085500"
    assert choose_run_dir(str(out), overwrite=False) == out          # both check at the start ...
    first = publish_run(out, lambda folder: (folder / "model.pt").write_bytes(b"first"))
    second = publish_run(out, lambda folder: (folder / "model.pt").write_bytes(b"second"))
    assert first == out and (out / "model.pt").read_bytes() == b"first", "the first run is kept"
    assert second == tmp_path / "runs" / "20261126-085500-2" and (second / "model.pt").read_bytes() == b"second"
    again = publish_run(out, lambda folder: (folder / "model.pt").write_bytes(b"third"), overwrite=True)
    assert again == out and (out / "model.pt").read_bytes() == b"third", "--overwrite replaces, as asked"
    assert not list(out.parent.glob(".*partial*"))


@pytest.mark.parametrize("module, args", [
    ("realtime.video", ["clip.mp4", "--save", "{out}"]),        # argparse reads --save as --save-dir
    ("realtime.video", ["clip.mp4", "--save-dir", "{out}"]),
])
def test_a_new_output_folder_named_like_a_file_is_refused(tmp_path: Path, module: str, args: list[str]) -> None:
    """``realtime.video clip.mp4 --save out.mp4`` made a folder called out.mp4 with the video inside."""
    from tests.conftest import assert_clean_error, run_main_here

    out = tmp_path / "out.mp4"
    proc = run_main_here(module, *[a.format(out=out) for a in args])
    assert_clean_error(proc, r"takes a folder, and '.*out\.mp4' is named like a \.mp4 file.*e\.g\. --s\w+-dir .*/out/")
    assert not out.exists()


def test_an_existing_folder_named_like_a_file_is_still_used(tmp_path: Path) -> None:
    from training.outputs import check_output_dir

    (tmp_path / "takes.mp4").mkdir()
    check_output_dir(tmp_path / "takes.mp4", "--save-dir")
    check_output_dir(tmp_path / "annotated", "--save-dir")
    assert (tmp_path / "annotated").is_dir()
    with pytest.raises(UserError, match="--snapshot-dir takes a folder, and '.*shots.png' is named like a .png file"):
        check_output_dir(tmp_path / "shots.png", "--snapshot-dir")     # realtime.cam, when the window is shown
