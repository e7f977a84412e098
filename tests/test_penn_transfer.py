"""Real human motion: the strong recipe on Penn Action labels real videos it never saw.

Penn Action: W. Zhang, M. Zhu, K. Derpanis, 'From Actemes to Action', ICCV 2013.
"""
import json
from pathlib import Path

import pytest

from tests.conftest import run_module, shared_file
from training.config import resolve_config
from training.train import train

pytestmark = [pytest.mark.slow, pytest.mark.study]   # trains the strong recipe (~90 s): run with -m study


@pytest.fixture(scope="module")
def penn_strong(tmp_path_factory) -> Path:
    data = shared_file("skeletons/penn_action_train_2d.pkl")
    label_map = shared_file("skeletons/penn_action_label_map.txt")
    out = tmp_path_factory.mktemp("penn") / "strong"
    config = resolve_config({"recipe": "strong", "data": str(data), "label_map": str(label_map), "classes": "all",
                             "fps": 30.0, "out": str(out)})
    result = train(config, echo=lambda *a: None, progress=False)
    kept = result.epochs[result.best_epoch - 1]
    assert kept["val_accuracy"] >= 0.93, result.epochs      # 15 classes; the spec recipe reaches ~0.88
    return result.run_dir / "model.pt"


def test_strong_recipe_labels_real_videos(penn_strong: Path, tmp_path: Path) -> None:
    clips = [shared_file("videos/pose_squats.mp4"), shared_file("videos/clean_and_jerk.mp4")]
    out = tmp_path / "transfer.json"
    proc = run_module("realtime.video", *map(str, clips), "--checkpoint", str(penn_strong), "--json", str(out),
                      "--no-progress")
    assert proc.returncode == 0, proc.stderr
    labels = {Path(v["path"]).name: (v["label"], v["probability"]) for v in json.loads(out.read_text())["videos"]}
    print(labels)
    assert labels["pose_squats.mp4"][0] == "squat", labels
    assert labels["clean_and_jerk.mp4"][0] == "clean_and_jerk", labels
