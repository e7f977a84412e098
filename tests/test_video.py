"""realtime.video on real clips, with a checkpoint trained in the tests."""
import csv
import json
from pathlib import Path

import cv2
import pytest

from tests.conftest import SHARED_DATA, assert_clean_error, run_module, shared_file
from realtime.video_pipeline import classify_video
from training.checkpoint import load_checkpoint
from training.decision import NO_ACTION


def test_every_frame_is_read_and_timeline_is_consistent(trained_checkpoint: Path) -> None:
    ckpt = load_checkpoint(trained_checkpoint)
    clip = shared_file("videos/v_Shotput_g05_c02.avi")
    result = classify_video(str(clip), ckpt, progress=False)
    assert result.frames == 130 and result.fps == pytest.approx(25.0, abs=0.1)   # nothing dropped
    assert result.frames_with_person >= 100
    assert result.label in ckpt.classes + [NO_ACTION] and 0 < result.probability <= 1
    times = [t["time"] for t in result.timeline]
    assert times == sorted(times) and times[-1] <= 130 / 25.0
    assert all(len(t["topk"]) == 5 and t["raw_label"] in ckpt.classes for t in result.timeline)
    assert sum(result.mean_probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    assert set(result.stage_seconds) == {"wait", "decode", "pose", "window", "model", "overlay"}


def test_short_clip_gets_a_prediction_from_its_partial_window(trained_checkpoint: Path, tmp_path: Path) -> None:
    source = cv2.VideoCapture(str(shared_file("videos/pose_1.mp4")))
    short = tmp_path / "short.avi"
    writer = cv2.VideoWriter(str(short), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (576, 576))
    for _ in range(12):  # 0.4 s: fewer poses than the 1 s needed before a live prediction
        writer.write(source.read()[1])
    writer.release()
    result = classify_video(str(short), load_checkpoint(trained_checkpoint), progress=False)
    assert result.frames == 12 and len(result.timeline) == 1 and result.label != "no person"


@pytest.mark.slow
def test_cli_folder_json_csv_annotated_and_failures(trained_checkpoint: Path, tmp_path: Path) -> None:
    if not SHARED_DATA.exists():
        pytest.skip("needs ../shared/data/videos")
    videos = tmp_path / "in"
    videos.mkdir()
    for name in ("pose_squats.mp4", "v_Archery_g01_c01.avi"):
        (videos / name).symlink_to(shared_file(f"videos/{name}"))
    (videos / "broken.mp4").write_bytes(b"\x00" * 100)
    out_json, out_csv, saved = tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "annotated"
    proc = run_module("realtime.video", str(videos), "--checkpoint", str(trained_checkpoint), "--json", str(out_json),
                      "--csv", str(out_csv), "--save-dir", str(saved), "--no-progress")
    assert proc.returncode == 1, proc.stderr            # one failed; the others went on
    assert "FAILED" in proc.stdout and "broken.mp4" in proc.stdout and "Traceback" not in proc.stderr
    report = json.loads(out_json.read_text())
    assert report["checkpoint"] == str(trained_checkpoint)
    assert [Path(v["path"]).name for v in report["videos"]] == ["pose_squats.mp4", "v_Archery_g01_c01.avi"]
    assert report["failed"][0]["path"].endswith("broken.mp4") and report["failed"][0]["error"]
    squats = report["videos"][0]
    assert squats["frames"] == 65 and set(squats) >= {"label", "probability", "frames_with_person", "timeline"}
    assert set(squats["timeline"][0]) >= {"time", "label", "probability", "topk"}
    rows = list(csv.DictReader(out_csv.open()))
    assert {r["video"] for r in rows} == {v["path"] for v in report["videos"]}
    annotated = cv2.VideoCapture(str(saved / "pose_squats_annotated.mp4"))
    assert annotated.isOpened() and int(annotated.get(cv2.CAP_PROP_FRAME_COUNT)) == 65
    again = run_module("realtime.video", str(videos / "pose_squats.mp4"), "--checkpoint", str(trained_checkpoint),
                       "--json", str(out_json))
    assert_clean_error(again, "exists.*--overwrite")


def test_cli_missing_video_and_checkpoint(trained_checkpoint: Path, tmp_path: Path) -> None:
    proc = run_module("realtime.video", str(tmp_path / "nope.mp4"), "--checkpoint", str(trained_checkpoint),
                      "--no-progress")
    assert proc.returncode == 1 and "file not found" in proc.stdout
    assert_clean_error(run_module("realtime.video", "x.mp4", "--checkpoint", "latest", cwd=tmp_path),
                       "no trained model under")
