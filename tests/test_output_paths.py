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
