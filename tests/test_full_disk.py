"""A disk that fills up while results are written: a clear error, nothing half-written under the
final name, and the work kept wherever it can be (the labels, a rescued training run)."""
import errno
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, shared_file
from training.errors import UserError
from training.outputs import atomic_path, write_text_atomic
from training.run_dir import publish_run


def _file_size_limit(limit_bytes: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)     # writes past the limit fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return apply


def test_an_annotated_copy_cut_short_is_not_published_and_the_labels_are_kept(tmp_path: Path) -> None:
    # Every file limited to 200 kB, as a nearly full disk: the annotated copy (about 1 MB) cannot
    # be finished. OpenCV's writer fails silently; before, the cut video was published as complete.
    proc = subprocess.run([sys.executable, "-m", "realtime.video", str(shared_file("videos/pose_squats.mp4")),
                           "--checkpoint", "default", "--save-dir", "annotated", "--json", "r.json", "--no-progress"],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                          timeout=600, preexec_fn=_file_size_limit(200_000))
    assert proc.returncode == 1, proc.stderr[-2000:]
    said = proc.stdout + proc.stderr
    assert "annotated copy not written" in said and "is the disk full?" in said
    assert list((tmp_path / "annotated").iterdir()) == [], "no cut video, no leftover temporary file"
    video = json.loads((tmp_path / "r.json").read_text())["videos"][0]
    assert video["label"] == "squat" and video["annotated"] is None
    assert any("annotated copy not written" in w for w in video["warnings"])


def test_a_full_disk_while_writing_a_result_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    with pytest.raises(UserError, match="Cannot write .*r.json.*No space left on device.*Nothing was written"):
        with atomic_path(target):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert list(tmp_path.iterdir()) == []


def test_a_training_run_that_cannot_be_written_is_rescued_to_the_temporary_folder(tmp_path: Path) -> None:
    final = tmp_path / "runs" / "mine"

    def write(folder: Path) -> None:
        if folder.parent == final.parent:                  # the staging folder beside --out: the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        (folder / "model.pt").write_bytes(b"weights")

    expected = "Cannot write the run to .*mine.*No space left.*saved to '(.+)' instead"
    with pytest.raises(UserError, match=expected) as err:
        publish_run(final, write)
    rescued = Path(str(err.value).split("saved to '")[1].split("'")[0])
    try:
        assert (rescued / "model.pt").read_bytes() == b"weights"
        assert not final.exists() and not any(final.parent.iterdir()), "no half run beside --out"
    finally:
        for f in rescued.iterdir():
            f.unlink()
        rescued.rmdir()


def test_results_get_the_permissions_of_a_normal_file(tmp_path: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    fresh = tmp_path / "fresh.json"
    write_text_atomic(fresh, "{}")
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask, "not the 0600 of a temporary file"
    private = tmp_path / "private.json"
    private.write_text("old")
    private.chmod(0o600)
    write_text_atomic(private, "new")
    assert private.stat().st_mode & 0o777 == 0o600, "a replaced file keeps its permissions"


def test_extracted_poses_that_cannot_be_written_are_rescued(tmp_path: Path, monkeypatch) -> None:
    from realtime import extract as extract_module

    real_write = extract_module.write_extracted

    def full_beside_out(out: Path, labels: Path, data: dict, classes: list[str], replace: bool = True) -> tuple:
        if out.parent == tmp_path:
            raise UserError(f"Cannot write '{out}': No space left on device.")
        return real_write(out, labels, data, classes, replace)

    monkeypatch.setattr(extract_module, "write_extracted", full_beside_out)
    with pytest.raises(UserError, match="No space left.*poses were saved to '(.+)' instead") as err:
        extract_module.extract([str(shared_file("videos/pose_squats.mp4"))], tmp_path / "mine.pkl", "squat", False,
                               25.0)
    rescued = Path(str(err.value).split("saved to '")[1].split("'")[0])
    try:
        assert (rescued / "mine.pkl").stat().st_size > 0 and (rescued / "mine.labels.txt").read_text() == "squat\n"
    finally:
        for f in rescued.iterdir():
            f.unlink()
        rescued.rmdir()


def test_the_live_loop_prints_its_summary_when_its_video_cannot_be_saved(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "realtime.cam", "--source", str(shared_file("videos/pose_squats.mp4")),
                           "--checkpoint", "default", "--no-show", "--save", "live.mp4"],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                          timeout=600, preexec_fn=_file_size_limit(200_000))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "predictions: squat" in proc.stdout and "NOT saved" in proc.stdout and "is the disk full?" in proc.stdout
    assert list(tmp_path.iterdir()) == [], "no cut video, no leftover temporary file"


def test_a_snapshot_that_cannot_be_written_is_not_reported_as_saved(tmp_path: Path) -> None:
    import numpy as np

    from realtime.cam import save_snapshot

    image = np.zeros((48, 64, 3), np.uint8)
    assert save_snapshot(tmp_path, image) == tmp_path / "snapshot_001.png"
    assert save_snapshot(tmp_path / "gone", image) is None      # cv2.imwrite only returns False


def test_video_results_that_cannot_be_written_are_rescued(tmp_path: Path, monkeypatch) -> None:
    """The --json/--csv of a long classification were lost when their folder was removed or the disk
    filled up at the end (the table was printed, the files never written)."""
    from realtime import video as video_module

    real_write = video_module.write_text_atomic
    out = tmp_path / "out"
    out.mkdir()

    def full_in_out(path: Path, text: str, replace: bool = True) -> Path:
        if Path(path).parent == out:
            raise UserError(f"Cannot write '{path}': No space left on device.")
        return real_write(path, text, replace=replace)

    monkeypatch.setattr(video_module, "write_text_atomic", full_in_out)
    clip = shared_file("videos/realworld/pullup/Jintao-Xu__Pose_Estimation__pose_gif_Pull-Up.mp4")
    with pytest.raises(UserError, match="No space left.*results were saved to '(.+)' instead") as err:
        video_module.main([str(clip), "--checkpoint", "default", "--no-progress", "--json", str(out / "r.json"),
                           "--csv", str(out / "r.csv")])
    rescued = Path(str(err.value).split("saved to '")[1].split("'")[0])
    try:
        report = json.loads((rescued / "r.json").read_text())
        assert [Path(v["path"]).name for v in report["videos"]] == [clip.name]
        assert (rescued / "r.csv").read_text().count(clip.name) == len(report["videos"][0]["timeline"]) + 1
    finally:
        for f in rescued.iterdir():
            f.unlink()
        rescued.rmdir()
    assert list(out.iterdir()) == []
