"""The second model of another kind (``--second-model``): what it reads, how it travels in the checkpoint,
how the decision layer uses it, and that every path (stream, evaluate, predict) hears it."""
from pathlib import Path

import numpy as np
import pytest
import torch

from realtime.recognizer import Recognizer
from tests.conftest import assert_clean_error, run_module, write_pickle
from training.checkpoint import load_checkpoint
from training.config import RECIPES, TrainConfig
from training.decision import NO_ACTION, DecisionSpec, SteadyDecider, add_decision_arguments, decision_from_arguments
from training.errors import UserError
from training.evaluate import decide_clips
from training.features import FeatureSpec, build_features
from training.second_opinion import (DEFAULT_MIN_SUPPORT, STATISTICS, clip_statistics, pooled_statistics,
                                     train_second_opinion)
from training.synthetic import make_synthetic_dataset
from training.train import train

CLASSES = ["squat", "pushup", "situp"]


def _quiet(*_a, **_k) -> None:
    pass


@pytest.fixture(scope="module")
def second_model_checkpoint(tmp_path_factory) -> Path:
    """A checkpoint trained briefly with --second-model on the synthetic motion file."""
    folder = tmp_path_factory.mktemp("second")
    data = write_pickle(folder / "motion.pkl", make_synthetic_dataset(clips_per_class=12, lengths=(30, 120), seed=5))
    result = train(TrainConfig(data=str(data), out=str(folder / "run"), epochs=2, max_frames=64, second_model=True),
                   echo=_quiet, progress=False)
    return result.run_dir / "model.pt"


def test_statistics_read_where_the_joints_were_not_in_which_order() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(40, 68)).astype(np.float32)     # 17 joints x 2, then velocity columns
    stats = pooled_statistics(features, 30, 17)
    assert stats.shape == (STATISTICS * 34,)
    coords = features[:30, :34]
    np.testing.assert_allclose(stats[:34], coords.mean(0), rtol=1e-6)
    np.testing.assert_allclose(stats[102:], coords.max(0))
    shuffled = features.copy()
    shuffled[:30] = features[rng.permutation(30)]
    np.testing.assert_allclose(pooled_statistics(shuffled, 30, 17), stats, rtol=1e-5)   # no order in time
    changed_padding = features.copy()
    changed_padding[30:] = 99.0
    np.testing.assert_array_equal(pooled_statistics(changed_padding, 30, 17), stats)     # padding unread


def _posture_clips(rng: np.random.Generator, n: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Clips of three held postures (arms up / arms out / arms down) with a sway: separable by position."""
    base = np.random.default_rng(0).uniform(100, 200, size=(17, 2)).astype(np.float32)   # one body for every call
    clips, labels = [], []
    for label in range(3):
        pose = base.copy()
        pose[7:11, 1] += (-60, -60, 0, 0) if label == 0 else (0, 0, 0, 0) if label == 1 else (50, 50, 80, 80)
        for _ in range(n):
            length = int(rng.integers(40, 90))
            sway = np.sin(np.linspace(0, 6, length))[:, None, None] * rng.uniform(2, 6)
            clips.append(pose[None] + sway + rng.normal(0, 2, size=(length, 17, 2)).astype(np.float32))
            labels.append(label)
    return clips, np.array(labels)


def test_it_learns_postures_and_the_same_seed_gives_the_same_model() -> None:
    spec = FeatureSpec(max_frames=120, fps=25.0)
    rng = np.random.default_rng(1)
    clips, labels = _posture_clips(rng, 10)
    first = train_second_opinion(clips, labels, 3, spec, seed=3, epochs=15, variants=4)
    again = train_second_opinion(clips, labels, 3, spec, seed=3, epochs=15, variants=4)
    for a, b in zip(first.state_dict().values(), again.state_dict().values()):
        torch.testing.assert_close(a, b)
    fresh, fresh_labels = _posture_clips(np.random.default_rng(2), 5)
    rows = [build_features(c, spec) for c in fresh]
    features = np.stack([f for f, _ in rows])
    predicted = first.probabilities(features, np.array([n for _, n in rows])).argmax(1)
    assert (predicted == fresh_labels).mean() >= 0.9
    np.testing.assert_allclose(clip_statistics(fresh[0], spec), pooled_statistics(*rows[0], spec.num_joints))


def _stream(spec: DecisionSpec, lstm: np.ndarray, second: np.ndarray | None, seconds: float, rate_hz: float = 10.0):
    decider = SteadyDecider(CLASSES, spec)
    return [decider.update(i / rate_hz, lstm, second_opinion=second) for i in range(int(seconds * rate_hz))]


def test_a_class_the_second_model_does_not_support_becomes_no_action_after_the_hold() -> None:
    lstm, against = np.array([0.9, 0.05, 0.05]), np.array([0.02, 0.9, 0.08])
    decisions = _stream(DecisionSpec(second_opinion=0.1), lstm, np.array([0.5, 0.3, 0.2]), 3.0)
    assert {d.label for d in decisions} == {"squat"} and decisions[-1].support == pytest.approx(0.5)
    decider = SteadyDecider(CLASSES, DecisionSpec(second_opinion=0.1))
    agreeing = [decider.update(i / 10, lstm, second_opinion=np.array([0.5, 0.3, 0.2])) for i in range(30)]
    doubting = [decider.update(3.0 + i / 10, lstm, second_opinion=against) for i in range(40)]
    assert agreeing[-1].label == "squat"
    first_rejected = next(i for i, d in enumerate(doubting) if d.label == NO_ACTION) / 10
    # the smoothed support falls from 0.5 to 0.1 after 1.8 s (time constant 1 s), then the doubt is held for 1 s
    assert 2.5 <= first_rejected <= 3.0
    assert doubting[-1].reason == "second opinion" and doubting[-1].support < 0.1
    assert {d.label for d in doubting[int(first_rejected * 10):]} == {NO_ACTION}


def test_the_rule_is_off_at_zero_and_without_a_second_model() -> None:
    lstm, against = np.array([0.9, 0.05, 0.05]), np.array([0.02, 0.9, 0.08])
    assert {d.label for d in _stream(DecisionSpec(second_opinion=0.0), lstm, against, 3.0)} == {"squat"}
    no_model = _stream(DecisionSpec(second_opinion=0.5), lstm, None, 3.0)
    assert {d.label for d in no_model} == {"squat"} and no_model[-1].support is None
    raw = _stream(DecisionSpec(second_opinion=0.1, steady=False), lstm, against, 3.0)
    assert {d.label for d in raw} == {"squat"}


def test_the_flag_sets_the_bar_and_refuses_a_checkpoint_without_a_second_model() -> None:
    import argparse
    parser = argparse.ArgumentParser()
    add_decision_arguments(parser)
    spec = DecisionSpec(second_opinion=0.1)
    assert decision_from_arguments(spec, parser.parse_args(["--second-opinion", "0.3"])).second_opinion == 0.3
    assert decision_from_arguments(spec, parser.parse_args([])).second_opinion == 0.1
    assert decision_from_arguments(spec, parser.parse_args(["--no-reject"])).second_opinion == 0.0
    off = decision_from_arguments(DecisionSpec(), parser.parse_args(["--second-opinion", "0"]), False)
    assert off.second_opinion == 0
    with pytest.raises(UserError, match="--second-opinion needs a checkpoint with a second model"):
        decision_from_arguments(DecisionSpec(), parser.parse_args(["--second-opinion", "0.2"]), False)
    with pytest.raises(SystemExit):
        parser.parse_args(["--second-opinion", "1.5"])


def test_the_trust_recipe_trains_one_and_the_spec_recipe_does_not() -> None:
    assert RECIPES["trust"]["second_model"] is True and TrainConfig().second_model is False


def test_training_stores_it_with_its_bar_and_every_path_hears_it(second_model_checkpoint: Path) -> None:
    ckpt = load_checkpoint(second_model_checkpoint)
    assert ckpt.second_opinion is not None and ckpt.decision.second_opinion == DEFAULT_MIN_SUPPORT
    assert 0.0 <= ckpt.data["second_opinion_val_accuracy"] <= 1.0
    clip = make_synthetic_dataset(clips_per_class=1, lengths=(60, 61), seed=9)["annotations"][0]["keypoint"][0]
    recognizer = Recognizer(ckpt, every=1, min_frames=1)
    for i, kp in enumerate(clip):
        recognizer.update(i / ckpt.spec.fps, kp)
    entry = recognizer.latest.to_json()
    assert 0.0 <= entry["second_opinion"] <= 1.0
    # the stream's window and the whole clip give the second model the same input (the clip fits the window)
    features, length = build_features(clip, ckpt.spec, pad=False)
    offline = ckpt.second_opinion.probabilities(features[None], np.array([length]))[0]
    window_features, window_length = recognizer.window.features()
    streamed = ckpt.second_opinion.probabilities(window_features[None], np.array([window_length]))[0]
    np.testing.assert_allclose(streamed, offline, atol=1e-6)
    # a bar no class can reach: the stream, evaluate's and predict's path all say no action
    strict = DecisionSpec(**{**ckpt.decision.to_dict(), "second_opinion": 1.0})
    decided = decide_clips(ckpt, [clip], [np.ones(clip.shape[:2])], strict)
    assert decided.predicted.tolist() == [-1] and decided.reasons == ["second opinion"]
    strict_stream = Recognizer(ckpt, every=1, min_frames=1, decision=strict)
    for i, kp in enumerate(clip):
        strict_stream.update(i / ckpt.spec.fps, kp)
    assert strict_stream.latest.label == NO_ACTION and strict_stream.latest.reason == "second opinion"


def test_the_cli_paths_report_it(second_model_checkpoint: Path, tmp_path: Path) -> None:
    data = write_pickle(tmp_path / "motion.pkl", make_synthetic_dataset(clips_per_class=2, lengths=(40, 80), seed=2))
    proc = run_module("training.predict", "--checkpoint", str(second_model_checkpoint), "--data", str(data),
                      "--index", "0", "--second-opinion", "1")
    assert proc.returncode == 0, proc.stderr
    assert f"{NO_ACTION}  (second opinion)" in proc.stdout and "the second model gives it" in proc.stdout
    proc = run_module("training.evaluate", "--checkpoint", str(second_model_checkpoint), "--data", str(data),
                      "--second-opinion", "1")
    assert proc.returncode == 0, proc.stderr
    assert f"said '{NO_ACTION}' for 100.0% of the clips (second opinion 10)" in proc.stdout


def test_a_checkpoint_without_one_refuses_the_flag_in_one_line(trained_checkpoint: Path, tmp_path: Path) -> None:
    data = write_pickle(tmp_path / "motion.pkl", make_synthetic_dataset(clips_per_class=2, lengths=(40, 80), seed=2))
    proc = run_module("training.predict", "--checkpoint", str(trained_checkpoint), "--data", str(data),
                      "--index", "0", "--second-opinion", "0.2")
    assert proc.returncode != 0
    assert_clean_error(proc, "--second-opinion needs a checkpoint with a second model")


@pytest.mark.parametrize("damage, pattern", [
    (lambda e: e["args"].update(input_size=10), "damaged second model"),
    (lambda e: e["args"].update(num_classes=2), "damaged second model"),
    (lambda e: e["state_dict"].pop("net.0.weight"), "damaged second model"),
    (lambda e: e["state_dict"]["net.0.weight"].fill_(float("nan")), "NaN or infinite"),
    (lambda e: e.update(args="x"), "damaged second model"),
])
def test_a_damaged_second_model_is_a_clear_error(second_model_checkpoint: Path, tmp_path: Path, damage,
                                                 pattern: str) -> None:
    payload = torch.load(second_model_checkpoint, weights_only=True)
    damage(payload["second_opinion"])
    broken = tmp_path / "broken.pt"
    torch.save(payload, broken)
    with pytest.raises(UserError, match=pattern):
        load_checkpoint(broken)


def test_ctrl_c_while_the_second_model_trains_keeps_the_lstms(tmp_path: Path, monkeypatch) -> None:
    """The LSTMs' epochs are not lost: the run is written without the second model, and says so."""
    import training.train as train_module

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt
    monkeypatch.setattr(train_module, "train_second_opinion", interrupted)
    data = write_pickle(tmp_path / "motion.pkl", make_synthetic_dataset(clips_per_class=8, lengths=(30, 80), seed=3))
    said = []
    result = train(TrainConfig(data=str(data), out=str(tmp_path / "run"), epochs=2, max_frames=64, second_model=True),
                   echo=lambda *a, **_k: said.append(" ".join(map(str, a))), progress=False)
    assert result.stopped_early and not result.terminated and len(result.epochs) == 2
    ckpt = load_checkpoint(result.run_dir / "model.pt")
    assert ckpt.second_opinion is None and ckpt.decision.second_opinion == 0.0
    assert any("while the second model trained" in line for line in said)
