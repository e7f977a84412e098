"""Every branch of `python -m realtime.demo`, offline (a local http.server stands in for the download)."""
import shutil
from pathlib import Path

import pytest

from tests.conftest import assert_clean_error, run_module, shared_file, write_pickle
from tests.test_download import server  # noqa: F401  (fixture)
from training.synthetic import make_synthetic_dataset

pytestmark = pytest.mark.slow


def _demo(cwd: Path, *args: str):
    return run_module("realtime.demo", "--no-show", *args, cwd=cwd)


def test_uses_the_newest_trained_model(trained_checkpoint: Path, tmp_path: Path) -> None:
    run = tmp_path / "runs" / "20260101-000000"
    run.mkdir(parents=True)
    shutil.copy(trained_checkpoint, run / "model.pt")
    proc = _demo(tmp_path, "--source", str(shared_file("videos/pose_squats.mp4")))
    assert proc.returncode == 0, proc.stderr
    assert "the newest run under runs/" in proc.stdout and "65 frames" in proc.stdout


def test_trains_from_data_when_no_model_exists(tmp_path: Path) -> None:
    data = write_pickle(tmp_path / "mine.pkl", make_synthetic_dataset(clips_per_class=4, lengths=(20, 60)))
    proc = _demo(tmp_path, "--data", str(data), "--epochs", "1", "--source", str(shared_file("videos/pose_squats.mp4")))
    assert proc.returncode == 0, proc.stderr
    assert "training on" in proc.stdout and "trained just now" in proc.stdout
    assert (tmp_path / "runs" / "latest" / "model.pt").exists()


def test_downloads_once_then_trains(server, tmp_path: Path) -> None:  # noqa: F811
    url, www = server
    write_pickle(www / "ucf101_2d.pkl", make_synthetic_dataset(clips_per_class=4, lengths=(20, 60)))
    cache = tmp_path / "cache"
    video = str(shared_file("videos/pose_squats.mp4"))
    args = ("--train", "--url", f"{url}/ucf101_2d.pkl", "--cache-dir", str(cache), "--epochs", "1", "--source", video,
            "--duration", "1")
    proc = _demo(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr
    assert "downloading" in proc.stdout and (cache / "ucf101_2d.pkl").exists()
    again = _demo(tmp_path, *args)                     # the cached file is reused, nothing downloaded
    assert again.returncode == 0, again.stderr
    assert "using the cached data file" in again.stdout and "downloading" not in again.stdout
    (cache / "ucf101_2d.pkl").write_bytes(b"\x80\x04truncated")   # a damaged cache is replaced, not reused
    third = _demo(tmp_path, *args)
    assert third.returncode == 0, third.stderr
    assert "damaged" in third.stdout and "downloading" in third.stdout


def test_no_camera_and_no_source_says_what_to_do(tmp_path: Path) -> None:
    assert_clean_error(_demo(tmp_path), "Cannot open camera 0.*--source .*pose_squats.mp4")


def test_fresh_clone_uses_the_bundled_model_without_training(tmp_path: Path) -> None:
    proc = _demo(tmp_path, "--source", str(shared_file("videos/pose_squats.mp4")))
    assert proc.returncode == 0, proc.stderr
    assert "the bundled default model: no trained run under runs/" in proc.stdout
    assert "training" not in proc.stdout and not (tmp_path / "runs").exists()


def test_training_flags_without_data_are_refused(tmp_path: Path) -> None:
    assert_clean_error(_demo(tmp_path, "--label-map", "x.txt", "--source", str(shared_file("videos/pose_squats.mp4"))),
                       "only apply when training")
