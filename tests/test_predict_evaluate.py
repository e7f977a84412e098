import json
import pickle
from pathlib import Path

import pytest

from tests.conftest import assert_clean_error, run_module
from training.config import TrainConfig
from training.train import train


@pytest.fixture
def trained(skeleton_file: Path, tmp_path: Path) -> Path:
    result = train(TrainConfig(data=str(skeleton_file), out=str(tmp_path / "run"), epochs=1, max_frames=64),
                   echo=lambda *a: None, progress=False)
    return result.run_dir / "model.pt"


def test_predict_by_index_and_by_name(trained: Path, skeleton_file: Path) -> None:
    proc = run_module("training.predict", "--checkpoint", str(trained), "--data", str(skeleton_file), "--index", "12")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"model {trained} (given with --checkpoint)") and lines[1].startswith("clip")
    assert lines[2].startswith("true") and lines[3].startswith("decision") and lines[4].startswith("predicted")
    assert len(lines) == 5 + 5
    by_name = run_module("training.predict", "--checkpoint", str(trained), "--data", str(skeleton_file),
                         "--frame-dir", "v_Lunges_g01_c02")
    assert by_name.returncode == 0 and "true       Lunges" in by_name.stdout
    typo = run_module("training.predict", "--checkpoint", str(trained), "--data", str(skeleton_file),
                      "--frame-dir", "v_Lunges_g01_c2")
    assert_clean_error(typo, "Did you mean v_Lunges_g01_c02")
    far = run_module("training.predict", "--checkpoint", str(trained), "--data", str(skeleton_file), "--index", "999")
    assert_clean_error(far, "out of range")


def test_evaluate_json(trained: Path, skeleton_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "ev.json"
    proc = run_module("training.evaluate", "--checkpoint", str(trained), "--data", str(skeleton_file),
                      "--split", "test1", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    r = json.loads(out.read_text())
    assert set(r) == {"accuracy", "precision", "recall", "f1", "rejected", "rejected_by_reason", "accuracy_named",
                      "classes", "confusion_matrix", "rejected_per_class", "n", "n_other_classes", "skipped"}
    assert sum(r["rejected_by_reason"].values()) == sum(row[-1] for row in r["confusion_matrix"])
    assert r["n"] == sum(map(sum, r["confusion_matrix"])) and len(r["confusion_matrix"]) == 5
    assert all(len(row) == 6 for row in r["confusion_matrix"])      # the last column counts "no action"
    assert_clean_error(run_module("training.evaluate", "--checkpoint", str(trained), "--data", str(skeleton_file),
                                  "--json", str(out)), "exists.*--overwrite")
    assert_clean_error(run_module("training.evaluate", "--checkpoint", str(trained), "--data", str(skeleton_file),
                                  "--split", "nope"), "No split 'nope'")


def test_latest_without_any_run_says_how_to_train(skeleton_file: Path, tmp_path: Path) -> None:
    proc = run_module("training.predict", "--data", str(skeleton_file), "--checkpoint", "latest", cwd=tmp_path)
    assert_clean_error(proc, "no trained model under.*training.train")


def test_evaluate_says_how_many_clips_of_other_classes_it_left_out(trained: Path, skeleton_file: Path,
                                                                   tmp_path: Path) -> None:
    data = pickle.loads(skeleton_file.read_bytes())
    known = [a for a in data["annotations"] if 14 <= a["label"] <= 51]
    for a in known[:3]:
        a["label"] = 99                                   # a class the model was not trained on
    known[3]["keypoint"] = known[3]["keypoint"] * 0       # and one clip with nobody in it
    mixed = tmp_path / "mixed.pkl"
    mixed.write_bytes(pickle.dumps(data))
    out = tmp_path / "ev.json"
    proc = run_module("training.evaluate", "--checkpoint", str(trained), "--data", str(mixed), "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    others = sum(not 14 <= a["label"] <= 51 for a in data["annotations"])
    assert f"left out: {others} clip(s) with labels the model was not trained on" in proc.stdout and "99" in proc.stdout
    assert "left out: 1 annotation(s) of the file with no joint placed" in proc.stdout
    r = json.loads(out.read_text())
    assert r["n_other_classes"] == others and r["n"] == len(data["annotations"]) - others - 1
    assert r["skipped"] == {"no joint placed": 1}


def test_the_label_map_beside_an_extracted_file_is_read(trained: Path, skeleton_file: Path, tmp_path: Path) -> None:
    """realtime.extract writes mine.pkl with mine.labels.txt; its label 0 is its first class, not the
    model's: evaluate and predict read the map beside the file (before: "other" was scored as the model's
    class 0, or the file had "no clip of the model's classes")."""
    import pickle
    data = pickle.loads(skeleton_file.read_bytes())
    ucf = {14: "BodyWeightSquats", 46: "JumpingJack"}
    keep = [a for a in data["annotations"] if a["label"] in ucf]
    for a in keep:
        a["label"] = 1 if a["label"] == 14 else 0       # this file's own ids: 0 JumpingJack, 1 BodyWeightSquats
    mine = tmp_path / "mine.pkl"
    mine.write_bytes(pickle.dumps({"split": {"all": [a["frame_dir"] for a in keep]}, "annotations": keep}))
    (tmp_path / "mine.labels.txt").write_text("JumpingJack\nBodyWeightSquats\n")
    out = tmp_path / "ev.json"
    proc = run_module("training.evaluate", "--checkpoint", str(trained), "--data", str(mine), "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"label map {tmp_path / 'mine.labels.txt'} (found beside the data" in proc.stdout
    r = json.loads(out.read_text())
    assert r["n"] == len(keep) and r["n_other_classes"] == 0
    rows = dict(zip(r["classes"], r["confusion_matrix"]))
    assert sum(rows["JumpingJack"]) == sum(a["label"] == 0 for a in keep)    # counted under their own class
    squat = next(a["frame_dir"] for a in keep if a["label"] == 1)
    proc = run_module("training.predict", "--checkpoint", str(trained), "--data", str(mine), "--frame-dir", squat)
    assert proc.returncode == 0 and "true       BodyWeightSquats" in proc.stdout, proc.stdout


def test_predict_names_why_a_clip_of_the_file_was_skipped(trained: Path, skeleton_file: Path, tmp_path: Path) -> None:
    # It said "No clip 'X' in the file" for a clip the file does hold, but with no joint placed.
    data = pickle.loads(skeleton_file.read_bytes())
    empty = data["annotations"][3]
    empty["keypoint"] = empty["keypoint"] * 0
    emptied = tmp_path / "emptied.pkl"
    emptied.write_bytes(pickle.dumps(data))
    proc = run_module("training.predict", "--checkpoint", str(trained), "--data", str(emptied),
                      "--frame-dir", empty["frame_dir"])
    assert_clean_error(proc, f"Clip '{empty['frame_dir']}' .* cannot be predicted: it has no joint placed")


def test_predict_says_when_the_clip_shown_may_not_be_the_one_meant(trained: Path, skeleton_file: Path,
                                                                   tmp_path: Path) -> None:
    # --index 3 of a file whose annotation 3 is empty showed annotation 4 without a word, and
    # --frame-dir of a name two clips share showed the first without saying there is another.
    from training.checkpoint import load_checkpoint
    from training.predict import predict_sample
    data = pickle.loads(skeleton_file.read_bytes())
    annotations = data["annotations"]
    annotations[3]["keypoint"] = annotations[3]["keypoint"] * 0
    annotations[6]["frame_dir"] = annotations[5]["frame_dir"]
    changed = tmp_path / "changed.pkl"
    changed.write_bytes(pickle.dumps(data))
    ckpt = load_checkpoint(trained)
    by_index = predict_sample(ckpt, str(changed), index=3)
    assert by_index["frame_dir"] == annotations[4]["frame_dir"]
    assert len(by_index["notes"]) == 1 and "usable clips; 1 annotation(s) were left out" in by_index["notes"][0]
    assert f"no joint placed: {annotations[3]['frame_dir']}" in by_index["notes"][0]
    shared = annotations[5]["frame_dir"]
    by_name = predict_sample(ckpt, str(changed), frame_dir=shared)
    assert by_name["notes"] == [f"2 clips of '{changed}' are named '{shared}' (--index 4, 5); this is the first, "
                                "--index 5 shows the next"]
    assert by_name["frames"] == len(annotations[5]["keypoint"][0])
    assert predict_sample(ckpt, str(changed), index=5)["frames"] == len(annotations[6]["keypoint"][0])
    assert predict_sample(ckpt, str(skeleton_file), index=3)["notes"] == []


def test_a_file_numbered_another_way_gets_a_label_map_hint(tmp_path: Path) -> None:
    """The bundled model (Penn ids 0..14) on a UCF101-numbered file and no label map: the clips of
    label 14 (BodyWeightSquats) were scored as tennis_serve with no word said beyond "left out"."""
    from tests.conftest import run_main_here, write_pickle
    from training.synthetic import make_synthetic_dataset

    data = write_pickle(tmp_path / "ucf_ids.pkl", make_synthetic_dataset(clips_per_class=3, lengths=(30, 60), seed=1))
    proc = run_main_here("training.evaluate", "--checkpoint", "default", "--data", str(data))
    assert proc.returncode == 0, proc.stderr
    assert "left out: 12 clip(s) with labels the model was not trained on (16, 46, 47, 51)" in proc.stdout
    assert "note: most of the file's clips have labels the model was not trained on, and the 3 others were " \
           "scored by label id" in proc.stdout and "pass its --label-map" in proc.stdout


def test_no_label_map_hint_when_most_clips_are_the_models(trained: Path, skeleton_file: Path) -> None:
    from tests.conftest import run_main_here

    proc = run_main_here("training.evaluate", "--checkpoint", str(trained), "--data", str(skeleton_file))
    assert proc.returncode == 0, proc.stderr
    assert "scored by label id" not in proc.stdout


def test_evaluating_the_training_file_says_the_figures_are_overstated(tmp_path: Path) -> None:
    """The README's own example (`evaluate --data ucf101_2d.pkl --split test1` after training on the
    whole file) scored clips the model was trained on, with no word said."""
    from tests.conftest import run_main_here, write_pickle
    from training.synthetic import make_synthetic_dataset

    data = make_synthetic_dataset(clips_per_class=6, lengths=(30, 60), seed=4)
    names = [a["frame_dir"] for a in data["annotations"]]
    data["split"] = {"train1": names[::2], "test1": names[1::2]}
    path = write_pickle(tmp_path / "file.pkl", data)
    whole = train(TrainConfig(data=str(path), out=str(tmp_path / "whole"), epochs=1, max_frames=32),
                  echo=lambda *a: None, progress=False).run_dir / "model.pt"
    official = train(TrainConfig(data=str(path), out=str(tmp_path / "official"), epochs=1, max_frames=32,
                                 split="train1"), echo=lambda *a: None, progress=False).run_dir / "model.pt"

    def note(checkpoint: Path, *split: str) -> str:
        proc = run_main_here("training.evaluate", "--checkpoint", str(checkpoint), "--data", str(path), *split)
        assert proc.returncode == 0, proc.stderr
        return "\n".join(line for line in proc.stdout.splitlines() if line.startswith("note: "))

    assert "its split 'test1' holds mostly training clips" in note(whole, "--split", "test1")
    assert "it holds mostly training clips" in note(whole)
    assert note(official, "--split", "test1") == ""
    assert "(--split train1): that split holds its training clips" in note(official, "--split", "train1")
    other = write_pickle(tmp_path / "other.pkl", make_synthetic_dataset(clips_per_class=3, lengths=(30, 60), seed=8))
    proc = run_main_here("training.evaluate", "--checkpoint", str(whole), "--data", str(other))
    assert "overstate" not in proc.stdout
