"""Trust on real footage: fitted decision parameters, stillness, JSON fields, ensembles, the benchmark replay."""
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from realtime.recognizer import Recognizer
from tests.conftest import run_module, shared_file, write_pickle
from training.calibrate import FIRST_LABEL_RANGE_S, fit_first_label, fit_min_visible, fit_still_motion, motion_spans
from training.checkpoint import load_checkpoint
from training.config import TrainConfig
from training.decision import NO_ACTION
from training.features import FeatureSpec, motion_amount, visible_share
from training.model import ActionEnsemble, ModelConfig, build_model
from training.synthetic import make_synthetic_dataset, synthetic_record
from training.train import train


def held(keypoints: np.ndarray, seconds: float, fps: float, rng: np.random.Generator, jitter_px: float = 0.3) -> np.ndarray:
    """The clip's last frame held for ``seconds``, with a pose model's sub-pixel jitter: (n, 17, 2)."""
    n = int(round(seconds * fps))
    return keypoints[-1][None] + rng.normal(0.0, jitter_px, size=(n,) + keypoints.shape[1:]).astype(np.float32)


def test_motion_amount_separates_moving_from_still() -> None:
    spec = FeatureSpec(fps=25.0)
    rng = np.random.default_rng(0)
    moving = synthetic_record("JumpingJack", 50, rng)["keypoint"][0].astype(np.float32)
    still = held(moving, 2.0, 25.0, rng)
    assert motion_amount(moving, spec, 1.0) > 10 * motion_amount(still, spec, 1.0)
    assert motion_amount(moving[:2], spec, 1.0) is None                    # too few frames to tell
    assert motion_amount(np.concatenate([moving, still]), spec, 1.0) == pytest.approx(motion_amount(still, spec, 1.0))


def test_still_threshold_is_fitted_below_the_actions_own_motion() -> None:
    spec = FeatureSpec(fps=25.0)
    rng = np.random.default_rng(1)
    clips = [synthetic_record(name, 60, rng)["keypoint"][0].astype(np.float32)
             for name in ("JumpingJack", "BodyWeightSquats", "JumpRope") for _ in range(5)]
    threshold = fit_still_motion(clips, spec, 1.0)
    assert 0 < threshold < np.percentile(motion_spans(clips, spec, 1.0), 5)
    assert fit_still_motion(clips[:1][:1], spec, 30.0) == 0.0             # nothing long enough to measure: off
    # A user's own clips that start on a frozen picture (the pose kept while it does not change):
    # those spans are no action and do not pull the level down to 0 (which would turn the check off).
    frozen_starts = [np.concatenate([np.repeat(clip[:1], 50, axis=0), clip]) for clip in clips]
    assert threshold / 4 < fit_still_motion(frozen_starts, spec, 1.0) <= threshold


def test_min_visible_is_a_low_percentile_per_class() -> None:
    spec = FeatureSpec()
    full = np.ones((30, 17), np.float32)
    legs_hidden = full.copy()
    legs_hidden[:, 11:] = 0.1
    scores = [full] * 20 + [legs_hidden] * 20
    labels = np.array([0] * 20 + [1] * 20)
    low = fit_min_visible(scores, labels, 3, spec)
    assert low[0] == pytest.approx(1.0) and low[1] == pytest.approx(11 / 17) and low[2] == 0.0
    assert visible_share(legs_hidden, spec) == pytest.approx(11 / 17)
    assert visible_share(np.zeros((5, 17)), spec) is None


def test_first_label_wait_is_the_median_training_clip_within_bounds() -> None:
    spec = FeatureSpec(fps=30.0)
    clips = [np.full((n, 17, 2), 50.0, np.float32) for n in (30, 45, 54, 60, 90)]   # median 54 frames = 1.8 s
    assert fit_first_label(clips, spec) == pytest.approx(1.8)
    long_clips = [np.full((210, 17, 2), 50.0, np.float32)] * 3                     # 7 s (UCF101-like): capped
    assert fit_first_label(long_clips, spec) == FIRST_LABEL_RANGE_S[1]
    assert fit_first_label([np.full((6, 17, 2), 50.0, np.float32)] * 3, spec) == FIRST_LABEL_RANGE_S[0]
    nobody = np.zeros((90, 17, 2), np.float32)
    assert fit_first_label([nobody, np.full((45, 17, 2), 50.0, np.float32)], spec) == pytest.approx(1.5)  # empty frames do not count


@pytest.mark.parametrize("fps", [15.0, 30.0, 60.0])
def test_the_first_label_waits_the_same_seconds_at_any_frame_rate(trained_checkpoint: Path, fps: float) -> None:
    ckpt = load_checkpoint(trained_checkpoint)
    ckpt.decision = replace(ckpt.decision, first_label_s=1.6)
    rng = np.random.default_rng(3)
    frames = synthetic_record("JumpingJack", int(3 * fps), rng, fps=fps)["keypoint"][0].astype(np.float32)
    recognizer = Recognizer(ckpt, every=1, source_fps=fps)
    first = next(i / fps for i, kp in enumerate(frames) if recognizer.update(i / fps, kp) is not None)
    assert 1.5 <= first <= 1.7
    short = Recognizer(ckpt, every=1, source_fps=fps)                        # a clip shorter than the wait ...
    assert all(short.update(i / fps, kp) is None for i, kp in enumerate(frames[:int(fps)]))
    assert short.flush(1.0) is not None                                      # ... is still labelled at its end


def test_a_person_who_stops_moving_is_rejected_within_two_seconds(trained_checkpoint: Path) -> None:
    ckpt = load_checkpoint(trained_checkpoint)
    assert ckpt.decision.still_motion > 0                                 # fitted at training time
    rng = np.random.default_rng(2)
    fps = ckpt.spec.fps
    action = synthetic_record("BodyWeightSquats", int(4 * fps), rng, fps=fps)["keypoint"][0].astype(np.float32)
    frames = np.concatenate([action, held(action, 4.0, fps, rng)])
    recognizer = Recognizer(ckpt, every=1)
    decisions = [(i / fps, recognizer.update(i / fps, kp)) for i, kp in enumerate(frames)]
    labels = [(t, p.label, p.reason) for t, p in decisions if p is not None]
    hold_start = len(action) / fps
    assert all(label != NO_ACTION for t, label, _ in labels if 1.5 <= t < hold_start)   # moving: a class
    rejected_from = next(t for t, label, _ in labels if t >= hold_start and label == NO_ACTION)
    assert rejected_from - hold_start <= 2.0
    assert all(label == NO_ACTION and reason == "still" for t, label, reason in labels if t >= rejected_from)


def test_video_json_has_steady_and_raw_fields(trained_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    proc = run_module("realtime.video", str(shared_file("videos/pose_squats.mp4")), "--checkpoint",
                      str(trained_checkpoint), "--json", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith(f"model {trained_checkpoint} (given with --checkpoint)")
    report = json.loads(out.read_text())
    video = report["videos"][0]
    assert {"label", "probability", "raw_label", "rejected_share", "timeline"} <= set(video)
    entry = video["timeline"][0]
    assert {"time", "label", "probability", "raw_label", "raw_probability", "reason", "background", "topk",
            "probabilities", "window_frames", "motion"} <= set(entry)
    assert len(entry["probabilities"]) == len(report["classes"])
    for e in video["timeline"]:
        assert e["label"] in report["classes"] + [NO_ACTION]
        assert e["raw_label"] == report["classes"][int(np.argmax(e["probabilities"]))]
        assert (e["reason"] != "") == (e["label"] == NO_ACTION)


def test_an_ensemble_averages_its_members_probabilities() -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(input_size=34, hidden_size=16, num_classes=4, ensemble=3))
    assert isinstance(model, ActionEnsemble)
    model.eval()
    x, lengths = torch.randn(5, 9, 34), torch.tensor([9, 3, 1, 7, 9])
    with torch.no_grad():
        expected = torch.stack([torch.softmax(m(x, lengths), dim=1) for m in model.members]).mean(dim=0)
        torch.testing.assert_close(torch.softmax(model(x, lengths), dim=1), expected)


def split_ensemble_checkpoint(path: Path) -> Path:
    """A 2-member ensemble checkpoint of the 5 default classes whose members always disagree:
    member 0 says JumpingJack, member 1 BodyWeightSquats, whatever the input."""
    from training.checkpoint import save_checkpoint
    from training.labels import DEFAULT_CLASSES
    spec = FeatureSpec()
    model = build_model(ModelConfig(input_size=spec.feature_size, hidden_size=8, num_classes=5, ensemble=2))
    with torch.no_grad():
        for favourite, member in enumerate(model.members):
            member.head.weight.zero_()
            member.head.bias.copy_(torch.tensor([0.0] * 5).index_fill_(0, torch.tensor(favourite), 4.0))
    save_checkpoint(path, model, spec, list(DEFAULT_CLASSES), {}, class_ids=[46, 14, 51, 47, 16])
    return path


def test_an_ensemble_passes_its_members_to_the_decision_in_every_path(tmp_path: Path) -> None:
    from training.evaluate import main as evaluate_main
    from training.inference import predict_features
    ckpt = load_checkpoint(split_ensemble_checkpoint(tmp_path / "split.pt"))
    features = np.zeros((2, 10, ckpt.spec.feature_size), np.float32)
    scores = predict_features(ckpt, features, np.array([10, 4]))
    assert scores.members.shape == (2, 2, 5)
    np.testing.assert_allclose(scores.members.mean(axis=0), scores.probabilities, rtol=1e-5)
    assert scores.members[0, 0].argmax() == 0 and scores.members[1, 0].argmax() == 1

    rng = np.random.default_rng(5)
    frames = synthetic_record("JumpingJack", 90, rng, fps=ckpt.spec.fps)["keypoint"][0].astype(np.float32)
    for share, expected in ((0.0, {""}), (1.0, {"members disagree"})):
        recognizer = Recognizer(ckpt, every=5, decision=replace(ckpt.decision, members_share=share))
        reasons = {p.reason for i, kp in enumerate(frames) if (p := recognizer.update(i / ckpt.spec.fps, kp))}
        assert reasons == expected
    data = write_pickle(tmp_path / "d.pkl", make_synthetic_dataset(clips_per_class=2, lengths=(30, 60), seed=2))
    for flags, rejected in ((["--no-reject"], 0.0), (["--members-agree", "all"], 1.0)):
        report = evaluate_main(["--checkpoint", str(tmp_path / "split.pt"), "--data", str(data), *flags])
        assert report["rejected"] == rejected


def test_training_an_ensemble_writes_one_checkpoint_of_all_members(tmp_path: Path) -> None:
    data = write_pickle(tmp_path / "d.pkl", make_synthetic_dataset(clips_per_class=6, lengths=(20, 60), seed=1))
    result = train(TrainConfig(data=str(data), out=str(tmp_path / "run"), epochs=2, max_frames=64, ensemble=2),
                   echo=lambda *a: None, progress=False)
    ckpt = load_checkpoint(result.run_dir / "model.pt")
    assert isinstance(ckpt.model, ActionEnsemble) and len(ckpt.model.members) == 2
    a, b = (torch.cat([p.flatten() for p in m.parameters()]) for m in ckpt.model.members)
    assert not torch.equal(a, b)                                          # two different seeds
    assert ckpt.data["val_accuracy"] == result.epochs[result.best_epoch - 1]["val_accuracy"]
    assert len(ckpt.decision.min_visible) == len(ckpt.classes) and ckpt.class_ids == [46, 14, 51, 47, 16]


def test_benchmark_replay_is_what_realtime_video_says(trained_checkpoint: Path, tmp_path: Path) -> None:
    from bench.pose_cache import cached_track
    from bench.trust import replay
    from realtime.video_pipeline import classify_video
    clip = shared_file("videos/pose_squats.mp4")
    ckpt = load_checkpoint(trained_checkpoint)
    label, labels, times = replay(cached_track(clip, cache_dir=tmp_path), ckpt)
    video = classify_video(str(clip), ckpt, progress=False)
    assert label == video.label
    assert labels == [e["label"] for e in video.timeline] and times == [e["time"] for e in video.timeline]


def test_the_trust_table_reports_held_pictures_of_every_clip_and_one_never_rejected() -> None:
    from bench.trust import ClipOutcome, TrustReport, format_table
    report = TrustReport(in_class=[ClipOutcome("a.mp4", "squat", "squat", ["squat"], [2.0], 3.0)],
                         still_seconds=[1.0, 1.2], still_all_seconds=[1.0, 1.2, 1.1, float("inf")],
                         classes=["squat"])
    summary = report.summary()
    assert summary["still_all_clips"] == 4 and summary["still_rejected_after_s_max"] == 1.2
    assert summary["still_all_rejected_after_s_max"] == float("inf")
    table = format_table("m.pt", summary)
    assert "every real clip held (4; median, max s)" in table and "1.1, never" in table


def test_the_trust_table_reports_what_the_decision_rejects_in_the_leave_classes_out_study() -> None:
    from bench.trust import TrustReport, format_table
    report = TrustReport(auroc=[0.9, 0.94], open_set_rejected=[(0.05, 0.6), (0.07, 0.8)], classes=["squat"])
    summary = report.summary()
    assert summary["open_set_held_out_rejected"] == pytest.approx(0.7)
    assert summary["open_set_known_rejected"] == pytest.approx(0.06)
    table = format_table("m.pt", summary)
    assert "'no action': held-out classes / known (val)" in table and "0.70 / 0.06" in table
    assert "- / -" in format_table("m.pt", TrustReport(classes=["squat"]).summary())


def test_the_trust_table_reads_your_own_in_class_and_unknown_clips(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # The table could only be measured on the shared clips; a team or a user with more footage of
    # their own (the clips that decide whether the model can be trusted) could not point it there.
    import shutil

    from bench import trust
    from training.errors import UserError
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "mine" / "squat").mkdir(parents=True)
    (tmp_path / "mine" / "not_a_class").mkdir()
    shutil.copy(shared_file("videos/pose_squats.mp4"), tmp_path / "mine" / "squat" / "me.mp4")
    shutil.copy(shared_file("videos/pose_1.mp4"), tmp_path / "mine" / "not_a_class" / "ignored.mp4")
    (tmp_path / "others").mkdir()
    shutil.copy(shared_file("videos/pose_1.mp4"), tmp_path / "others" / "dance.mp4")
    summary = trust.main(["--checkpoint", "default", "--realworld", str(tmp_path / "mine"),
                          "--unknown-videos", str(tmp_path / "others"), "--auroc-seeds",
                          "--json", str(tmp_path / "t.json")])
    assert summary["in_class_clips"] == 1 and summary["clip_accuracy"] == 1.0
    assert summary["out_of_class_clips"] == 1 and summary["still_all_clips"] == 1
    assert json.loads((tmp_path / "t.json").read_text())["in_class_clips"] == 1
    with pytest.raises(UserError, match="No clip in a subfolder of .*named as one of the model's classes"):
        trust.main(["--checkpoint", "default", "--realworld", str(tmp_path / "others"), "--auroc-seeds"])
