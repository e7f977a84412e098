"""Bad options and data for training: one clear error, nothing left behind, no NaN model ever saved."""
import json
from pathlib import Path

import pytest

from tests.conftest import assert_clean_error, run_main_here, run_module, write_pickle
from training.config import TrainConfig
from training.errors import UserError
from training.synthetic import make_synthetic_dataset
from training.train import train


@pytest.fixture(scope="module")
def small_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad")
    return write_pickle(folder / "small.pkl", make_synthetic_dataset(clips_per_class=5, lengths=(20, 50), seed=2))


@pytest.mark.parametrize("args, pattern", [
    (["--epochs", "0"], "--epochs: must be at least 1"),
    (["--epochs", "-1"], "--epochs: must be at least 1"),
    (["--batch-size", "0"], "--batch-size: must be at least 1"),
    (["--lr", "nan"], "--lr: expected a number between 0 and 10"),
    (["--lr", "-1"], "--lr: must be between 0 and 10"),
    (["--lr", "inf"], "--lr: expected a number between 0 and 10"),
    (["--lr", "1e300"], "--lr: must be between 0 and 10"),
    (["--max-frames", "0"], "--max-frames: must be at least 1"),
    (["--hidden-size", "0"], "--hidden-size: must be at least 1"),
    (["--dropout", "1.5"], "--dropout: must be between 0 and 1"),
    (["--threads", "-1"], "--threads: must be at least 1"),
    (["--fps", "0"], "--fps: must be between 1 and 1000"),
    (["--val-fraction", "1"], "--val-fraction: must be between 0 and 1"),
    (["--epochs", "two"], "--epochs: expected a whole number"),
    (["--window-frames", "500"], "--window-frames must be .* 1..300"),
    (["--classes", "JumpingJack"], "at least 2 classes"),
    (["--split", "test1"], "--split takes a training split .* got 'test1'; the file's training splits: 'train1'"),
    (["--split", "train9"], "no split 'train9', 'test9'"),
    (["--background", "0.5", "--background-kinds", "nope"],        # before: a ValueError traceback after loading
     "--background-kinds: choose from still, after, mixed, comma-separated; got 'nope'"),
    (["--background-kinds", ","], "--background-kinds: choose from still, after, mixed"),
    (["--lr", "-1e-3"], r"--lr: must be between 0 and 10 \(> 0, <= 10\), got -1e-3"),      # before: "expected one argument"
    (["--lr", "-inf"], r"--lr: expected a number between 0 and 10 .*, got '-inf'"),
    (["--label-map", "-labels.txt"], r"--label-map: expected one argument \('-labels.txt' looks like an option: "
                                     r"give a value that starts with '-' as --label-map=-labels.txt\)"),
])
def test_bad_options_fail_before_any_work_and_leave_nothing(small_file: Path, tmp_path: Path, args, pattern) -> None:
    out = tmp_path / "run"
    proc = run_main_here("training.train", "--data", str(small_file), "--out", str(out), *args)
    assert_clean_error(proc, pattern)
    assert not out.exists() and not list(tmp_path.glob(".*partial*"))


def test_a_bad_option_from_the_shell_is_one_error_line(small_file: Path, tmp_path: Path) -> None:
    proc = run_module("training.train", "--data", str(small_file), "--out", str(tmp_path / "run"), "--lr", "nan")
    assert_clean_error(proc, "--lr: expected a number between 0 and 10")
    assert not (tmp_path / "run").exists()


@pytest.fixture
def diverging(monkeypatch):
    """Training whose loss turns NaN at the second epoch (as an exploding learning rate makes it)."""
    import training.train as module
    real, calls = module.train_epoch, []

    def nan_at_second_epoch(*args, **kwargs):
        calls.append(1)
        loss = real(*args, **kwargs)
        return float("nan") if len(calls) >= 2 else loss
    monkeypatch.setattr(module, "train_epoch", nan_at_second_epoch)


def test_a_diverging_training_stops_with_a_clear_error_and_saves_nothing(small_file: Path, tmp_path: Path,
                                                                         diverging) -> None:
    runs = tmp_path / "runs"
    with pytest.raises(UserError, match="diverged at epoch 2 .*no model was saved.*--lr"):
        train(TrainConfig(data=str(small_file), out=str(runs / "r"), epochs=3, max_frames=64),
              echo=lambda *a: None, progress=False)
    assert not runs.exists() or not any(runs.iterdir())


def test_a_failed_run_never_becomes_latest(small_file: Path, tmp_path: Path, monkeypatch) -> None:
    runs = tmp_path / "runs"
    good = train(TrainConfig(data=str(small_file), out=str(runs / "good"), epochs=1, max_frames=64),
                 echo=lambda *a: None, progress=False)
    import training.train as module
    monkeypatch.setattr(module, "train_epoch", lambda *a, **k: float("inf"))
    with pytest.raises(UserError, match="diverged"):
        train(TrainConfig(data=str(small_file), out=str(runs / "bad"), epochs=2, max_frames=64),
              echo=lambda *a: None, progress=False)
    assert (runs / "latest").resolve() == good.run_dir.resolve() and not (runs / "bad").exists()
    json.loads((good.run_dir / "metricas_entrenamiento.json").read_text())     # strict JSON (no NaN)


def test_overwrite_replaces_the_run_files_and_keeps_the_users(small_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    train(TrainConfig(data=str(small_file), out=str(out), epochs=1, max_frames=64, overwrite=True),
          echo=lambda *a: None, progress=False)
    assert (out / "notes.txt").read_text() == "mine" and (out / "model.pt").exists()


def test_a_split_that_is_not_a_list_is_explained(tmp_path: Path) -> None:
    data = make_synthetic_dataset(clips_per_class=4, lengths=(20, 40))
    data["split"] = {"train1": 7}
    path = write_pickle(tmp_path / "split.pkl", data)
    assert_clean_error(run_module("training.train", "--data", str(path), "--out", str(tmp_path / "r")),
                       "split 'train1' must be a list of frame_dir names, got int")


def test_a_split_entry_that_is_not_a_name_is_pointed_at(tmp_path: Path) -> None:
    # "must be a list of frame_dir names, got list" for a list holding one None.
    data = make_synthetic_dataset(clips_per_class=4, lengths=(20, 40))
    data["split"] = {"train1": [a["frame_dir"] for a in data["annotations"][:3]] + [None]}
    path = write_pickle(tmp_path / "split.pkl", data)
    assert_clean_error(run_module("training.train", "--data", str(path), "--out", str(tmp_path / "r")),
                       "split 'train1' must list frame_dir names \\(text\\), but its entry 3 is None")


def _split_file(tmp_path: Path, train_of: callable) -> Path:
    data = make_synthetic_dataset(clips_per_class=4, lengths=(20, 40))
    names = [a["frame_dir"] for a in data["annotations"]]
    data["split"] = {"train1": [n for i, n in enumerate(names) if train_of(i, data["annotations"][i])],
                     "test1": [n for i, n in enumerate(names) if i % 4 == 0]}
    return write_pickle(tmp_path / "split.pkl", data)


def test_a_split_that_validates_on_training_clips_is_refused(tmp_path: Path) -> None:
    # Before: a file whose train1 and test1 shared clips trained and reported inflated accuracy.
    path = _split_file(tmp_path, lambda i, a: True)
    assert_clean_error(run_main_here("training.train", "--data", str(path), "--split", "train1", "--epochs", "1",
                                     "--out", str(tmp_path / "r")),
                       r"clip\(s\) are in both 'train1' and 'test1' .* overstate its accuracy")
    assert not (tmp_path / "r").exists()


def test_a_split_without_a_selected_class_is_refused(tmp_path: Path) -> None:
    # Before: a class with no training clip was trained anyway (the model could never name it).
    path = _split_file(tmp_path, lambda i, a: i % 4 != 0 and a["label"] != 14)
    assert_clean_error(run_main_here("training.train", "--data", str(path), "--split", "train1", "--epochs", "1",
                                     "--out", str(tmp_path / "r")),
                       "Split 'train1' has no clip of BodyWeightSquats: the model could never learn it")


@pytest.mark.parametrize("reserved", ["No Action", "no person "])
def test_a_class_named_like_a_reserved_outcome_is_refused(tmp_path: Path, reserved: str) -> None:
    # "no person" is what a clip or a segment with nobody in view is called: a class of that name
    # could not be told from it.
    data = make_synthetic_dataset(clips_per_class=4, lengths=(20, 40))
    path = write_pickle(tmp_path / "d.pkl", data)
    labels = tmp_path / "labels.txt"
    names = [f"class{i}" for i in range(52)]
    names[46] = reserved
    labels.write_text("\n".join(names))
    proc = run_module("training.train", "--data", str(path), "--label-map", str(labels), "--classes", "46,14",
                      "--out", str(tmp_path / "r"))
    assert_clean_error(proc, f"named '{reserved.strip()}', which is reserved")


def test_more_threads_than_cores_are_capped_with_a_note(small_file: Path, tmp_path: Path) -> None:
    import os

    import torch
    before, said = torch.get_num_threads(), []
    try:
        train(TrainConfig(data=str(small_file), out=str(tmp_path / "run"), epochs=1, max_frames=32, threads=999),
              echo=said.append, progress=False)
        assert torch.get_num_threads() == len(os.sched_getaffinity(0))
    finally:
        torch.set_num_threads(before)
    assert any(line.startswith("--threads 999: this machine has") for line in said)


def test_a_file_whose_joints_are_all_scored_zero_is_refused(small_file: Path, tmp_path: Path) -> None:
    """Every keypoint_score 0: a model was trained on features that were all 0 (a confident class for
    anything); with no keypoint_score at all every joint is read as placed."""
    import pickle

    import numpy as np
    data = pickle.loads(small_file.read_bytes())
    for record in data["annotations"]:
        record["keypoint_score"] = np.zeros_like(record["keypoint_score"])
    zero = write_pickle(tmp_path / "zero_scores.pkl", data)
    with pytest.raises(UserError, match=r"No joint of the training clips .* has a keypoint_score above 0"):
        train(TrainConfig(data=str(zero), out=str(tmp_path / "run"), epochs=1), echo=lambda *a: None, progress=False)
    assert not (tmp_path / "run").exists()
    for record in data["annotations"]:
        record.pop("keypoint_score")
    unscored = write_pickle(tmp_path / "no_scores.pkl", data)
    result = train(TrainConfig(data=str(unscored), out=str(tmp_path / "run2"), epochs=1, max_frames=32),
                   echo=lambda *a: None, progress=False)
    assert (result.run_dir / "model.pt").is_file()


def test_classes_all_says_which_classes_of_the_label_map_have_no_clip(small_file: Path, tmp_path: Path) -> None:
    """``--classes all`` with a label map naming a class the file has no clip of trained a model that
    could never name it, with no word said."""
    import pickle
    data = pickle.loads(small_file.read_bytes())
    ids = {old: i for i, old in enumerate(sorted({r["label"] for r in data["annotations"]}))}
    for record in data["annotations"]:
        record["label"] = ids[record["label"]]
    names = [f"class_{i}" for i in range(len(ids))] + ["situp", "lunge"]
    (tmp_path / "mine.labels.txt").write_text("\n".join(names) + "\n")
    mine = write_pickle(tmp_path / "mine.pkl", data)
    said: list[str] = []
    result = train(TrainConfig(data=str(mine), label_map=str(tmp_path / "mine.labels.txt"), classes="all",
                               out=str(tmp_path / "run"), epochs=1, max_frames=32), echo=said.append, progress=False)
    assert f"note: --classes all learns the {len(ids)} classes the file has clips of; 2 of the label map's have " \
           "none and are not learnt (situp, lunge)" in said
    assert result.run_dir.is_dir()


def test_a_window_duration_cut_by_max_frames_is_said(small_file: Path, tmp_path: Path) -> None:
    """``--window-frames 5s --fps 60 --max-frames 120`` asked for 300 frames and silently got 120 (2 s)."""
    said: list[str] = []
    result = train(TrainConfig(data=str(small_file), out=str(tmp_path / "run"), epochs=1, max_frames=120, fps=60,
                               window_frames="5s"), echo=said.append, progress=False)
    assert result.run_dir.is_dir()
    assert any(line.startswith("note: --window-frames 5s at 60 fps is 300 frames, more than --max-frames 120: the "
                               "live window holds 120 frames (2 s)") for line in said), said
    said.clear()
    train(TrainConfig(data=str(small_file), out=str(tmp_path / "run2"), epochs=1, max_frames=120, fps=20,
                      window_frames="5s"), echo=said.append, progress=False)
    assert not any(line.startswith("note: --window-frames") for line in said)


@pytest.mark.parametrize("options, pattern", [
    ({"max_frames": 100_000_000}, r"--max-frames must be between 1 and 10000, got 100000000"),
    ({"hidden_size": 1_000_000}, r"--hidden-size 1000000.*needs about [\d,]+ GiB to train; this machine has \d+ GiB"),
    ({"num_layers": 100_000}, r"--num-layers 100000.*needs about [\d,]+ GiB"),
])
def test_sizes_beyond_this_machine_get_a_message_not_a_memory_traceback(small_file: Path, tmp_path: Path,
                                                                       options: dict, pattern: str) -> None:
    # Before: numpy's "Unable to allocate 317 GiB" or PyTorch's allocator error as a traceback.
    with pytest.raises(UserError, match=pattern):
        train(TrainConfig(data=str(small_file), out=str(tmp_path / "run"), epochs=1, **options),
              echo=lambda *a: None, progress=False)
    assert not (tmp_path / "run").exists()


def test_training_memory_follows_the_clips_not_max_frames(small_file: Path) -> None:
    from training.features import FeatureSpec
    from training.loop import encode_clips
    from training.dataset import load_skeleton_file

    clips = [c.keypoints for c in load_skeleton_file(str(small_file)).clips]
    features, lengths = encode_clips(clips, FeatureSpec(max_frames=10_000))
    assert features.shape[1] == lengths.max() <= 50, "padded to the longest clip, not to --max-frames"
    short, short_lengths = encode_clips(clips, FeatureSpec(max_frames=30))
    assert short.shape[1] == 30 and (short_lengths <= 30).all()


def test_an_extracted_file_without_its_label_map_is_pointed_to_it(tmp_path: Path) -> None:
    """realtime.extract writes mine.pkl and mine.labels.txt; training it without --label-map reads its ids as
    UCF101's, so the default classes hold nothing: the error names the label map beside it."""
    import pickle
    data = make_synthetic_dataset(clips_per_class=3, lengths=(20, 30))
    for a in data["annotations"]:
        a["label"] = a["label"] % 2
    mine = tmp_path / "mine.pkl"
    mine.write_bytes(pickle.dumps(data))
    (tmp_path / "mine.labels.txt").write_text("wave\nclap\n")
    proc = run_main_here("training.train", "--data", str(mine), "--out", str(tmp_path / "run"))
    assert_clean_error(proc, f"add --label-map {tmp_path / 'mine.labels.txt'} --classes all")


@pytest.mark.parametrize("words, joined", [(["0", "1", "2"], "0,1,2"), (["0,1", "2"], "0,1,2"),
                                           (["JumpingJack,PushUps"], "JumpingJack,PushUps"), (["all"], "all")])
def test_classes_given_as_separate_words_are_one_list(words: list[str], joined: str) -> None:
    """`--classes 0 1 2` ended in "unrecognized arguments: 1 2"."""
    from training.train import build_parser
    assert build_parser().parse_args(["--classes", *words]).classes == joined
    assert build_parser().parse_args([]).classes is None      # not given: the recipe's default
