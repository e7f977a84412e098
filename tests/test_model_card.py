"""The bundled model: its card matches the file, it loads safely and fast, and it works out of the box."""
import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, run_module, shared_file, write_pickle
from training.checkpoint import BUNDLED_MODEL, load_checkpoint
from training.model_card import CARD, card_metadata, read_card_metadata, sha256


def test_the_bundled_model_is_the_only_weights_file_and_small() -> None:
    assert BUNDLED_MODEL.is_file() and BUNDLED_MODEL.stat().st_size <= 2 * 1024 * 1024
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: which files are tracked cannot be told")
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split("\n")
    weights = [REPO / name for name in listed
               if Path(name).suffix in (".pt", ".pth", ".onnx", ".tflite", ".task", ".ckpt", ".safetensors")]
    assert weights == [BUNDLED_MODEL], weights          # tracked or not ignored: would land in a commit


def test_the_card_records_exactly_this_file() -> None:
    recorded = read_card_metadata(CARD)
    assert recorded == json.loads(json.dumps(card_metadata(BUNDLED_MODEL)))   # classes, features, decision, data
    assert recorded["sha256"] == sha256(BUNDLED_MODEL)
    card = CARD.read_text()
    assert "--recipe trust --seed 0" in card and "Zhang" in card and "research" in card


def test_it_loads_safely_and_fast() -> None:
    started = time.perf_counter()
    ckpt = load_checkpoint(BUNDLED_MODEL)                         # weights_only=True inside
    assert time.perf_counter() - started < 1.0
    assert len(ckpt.classes) == 15 and ckpt.spec.fps == 30.0 and ckpt.data["val_accuracy"] >= 0.95
    assert ckpt.decision.still_motion > 0 and len(ckpt.decision.min_visible) == 15


@pytest.mark.slow
def test_a_fresh_clone_labels_real_videos_with_no_download_and_no_training(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    videos = [shared_file("videos/pose_squats.mp4"), shared_file("videos/realworld/pushup/"
                                                                  "Jintao-Xu__Pose_Estimation__pose_gif_Push-Up.mp4")]
    proc = run_module("realtime.video", *map(str, videos), "--json", str(out), "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "the bundled default model: no trained run under runs/" in proc.stdout.splitlines()[0]
    labels = [v["label"] for v in json.loads(out.read_text())["videos"]]
    assert labels == ["squat", "pushup"]
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_evaluate_reads_the_class_names_from_the_checkpoint(tmp_path: Path) -> None:
    """A Penn-trained model on Penn labels without --label-map (the ids it was trained on are recorded)."""
    from training.safe_pickle import safe_load_pickle
    penn = safe_load_pickle(shared_file("skeletons/penn_action_train_2d.pkl"))
    names = [a["frame_dir"] for a in penn["annotations"][::25]]
    small = {"split": {"some": names}, "annotations": penn["annotations"][::25]}
    data = write_pickle(tmp_path / "penn_some.pkl", small)
    proc = run_module("training.evaluate", "--data", str(data), "--json", str(tmp_path / "e.json"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["n"] == len(names) and result["accuracy"] > 0.8          # clips it mostly trained on
    assert "no clip of the model's classes" not in proc.stderr


@pytest.mark.parametrize("card, pattern", [
    ("{tmp}/no_card.md", r"Model card '.*no_card\.md' was not found\. Pass the card beside the model"),
    ("/dev/null", r"Model card '/dev/null' is a device, not a file\."),
    ("{tmp}/binary.md", r"Model card '.*binary\.md' is not UTF-8 text"),
])
def test_a_card_that_cannot_be_read_is_one_clear_error(tmp_path, card: str, pattern: str) -> None:
    """``--card`` on a missing file was a FileNotFoundError traceback; on /dev/zero it read forever."""
    from tests.conftest import assert_clean_error, run_main_here

    (tmp_path / "binary.md").write_bytes(b"\xff\xfe\x00binary")
    assert_clean_error(run_main_here("training.model_card", "--card", card.format(tmp=tmp_path), "--write"), pattern)
