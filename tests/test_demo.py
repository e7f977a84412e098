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
    assert "using the newest model" in proc.stdout and "65 frames" in proc.stdout


def test_trains_from_data_when_no_model_exists(tmp_path: Path) -> None:
    data = write_pickle(tmp_path / "mine.pkl", make_synthetic_dataset(clips_per_class=4, lengths=(20, 60)))
    proc = _demo(tmp_path, "--data", str(data), "--epochs", "1", "--source", str(shared_file("videos/pose_squats.mp4")))
    assert proc.returncode == 0, proc.stderr
    assert "training the default model" in proc.stdout and (tmp_path / "runs" / "latest" / "model.pt").exists()


def test_downloads_once_then_trains(server, tmp_path: Path) -> None:  # noqa: F811
    url, www = server
    write_pickle(www / "ucf101_2d.pkl", make_synthetic_dataset(clips_per_class=4, lengths=(20, 60)))
    cache = tmp_path / "cache"
    video = str(shared_file("videos/pose_squats.mp4"))
    proc = _demo(tmp_path, "--url", f"{url}/ucf101_2d.pkl", "--cache-dir", str(cache), "--epochs", "1", "--source", video)
    assert proc.returncode == 0, proc.stderr
    assert "downloading" in proc.stdout and (cache / "ucf101_2d.pkl").exists()
    shutil.rmtree(tmp_path / "runs")  # no model again: the cached file is reused, nothing downloaded
    (www / "ucf101_2d.pkl").unlink()
    again = _demo(tmp_path, "--url", f"{url}/ucf101_2d.pkl", "--cache-dir", str(cache), "--epochs", "1", "--source", video)
    assert again.returncode == 0, again.stderr
    assert "using the cached data file" in again.stdout and "downloading" not in again.stdout


def test_no_camera_and_no_source_says_what_to_do(tmp_path: Path) -> None:
    assert_clean_error(_demo(tmp_path), "Cannot open camera 0.*--source")
