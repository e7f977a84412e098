"""What was shown when: segments of one label over a clip's timeline (realtime.segments), and
``realtime.video`` on a real video holding two actions one after the other."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime.segments import MAX_GAP_S, format_segments, label_segments, silence_s
from tests.conftest import run_module, shared_file
from training.decision import NO_ACTION, NO_PERSON, RESERVED_LABELS, DecisionSpec, SteadyDecider


def entries(start: float, labels: list[str], step: float = 0.2, probability: float = 0.6,
            reason: str = "") -> list[dict]:
    """Timeline entries every ``step`` seconds from ``start``, one per label."""
    return [{"time": round(start + i * step, 3), "label": lab, "probability": probability, "reason": reason}
            for i, lab in enumerate(labels)]


def assert_tiles(segments: list[dict], start: float, end: float) -> None:
    """Segments cover [start, end] without holes or overlaps, in order."""
    assert segments[0]["start"] == pytest.approx(start, abs=1e-3)
    assert segments[-1]["end"] == pytest.approx(end, abs=1e-3)
    for before, after in zip(segments, segments[1:]):
        assert before["end"] == pytest.approx(after["start"]) and before["start"] <= before["end"]


def test_two_actions_give_two_segments_that_meet() -> None:
    timeline = entries(2.0, ["squat"] * 10 + ["pushup"] * 10)
    segments = label_segments(timeline, end_s=6.1)
    assert [(s["label"], s["predictions"]) for s in segments] == [("squat", 10), ("pushup", 10)]
    assert segments[0]["end"] == segments[1]["start"] == pytest.approx(4.0)    # the first pushup prediction
    assert_tiles(segments, 2.0, 6.1)


def test_a_silence_is_no_person_and_a_label_across_it_starts_again() -> None:
    timeline = entries(2.0, ["squat"] * 5) + entries(6.0, ["squat"] * 5)      # nobody from 2.8 s to 6.0 s
    segments = label_segments(timeline, end_s=7.0)
    assert [s["label"] for s in segments] == ["squat", NO_PERSON, "squat"]
    assert (segments[0]["end"], segments[1]["start"], segments[1]["end"]) == (3.0, 3.0, 6.0)   # 0.2 s past 2.8
    assert segments[1]["predictions"] == 0 and segments[1]["probability"] == 0.0
    assert_tiles(segments, 2.0, 7.0)


def test_a_person_who_leaves_before_the_end_leaves_no_person_after_them() -> None:
    segments = label_segments(entries(2.0, ["squat"] * 5), end_s=10.0)
    assert [(s["label"], s["start"], s["end"]) for s in segments] == [("squat", 2.0, 3.0), (NO_PERSON, 3.0, 10.0)]
    short_wait = label_segments(entries(2.0, ["squat"] * 5), end_s=2.8 + MAX_GAP_S - 0.1)
    assert [s["label"] for s in short_wait] == ["squat"] and short_wait[0]["end"] == pytest.approx(4.2)


def test_one_prediction_between_two_silences_lasts_one_prediction() -> None:
    # A passer-by seen for one prediction showed as "34.8 - 34.8 s  no action": a segment of no length.
    timeline = entries(2.0, ["squat"] * 5) + entries(5.0, ["no action"]) + entries(8.0, ["squat"] * 5)
    segments = label_segments(timeline, end_s=9.0)
    assert [(s["label"], s["start"], s["end"]) for s in segments] == [
        ("squat", 2.0, 3.0), (NO_PERSON, 3.0, 5.0), ("no action", 5.0, 5.2), (NO_PERSON, 5.2, 8.0), ("squat", 8.0, 9.0)]
    assert_tiles(segments, 2.0, 9.0)
    alone = label_segments(entries(2.0, ["squat"]), end_s=9.0)      # no spacing seen yet: as it was
    assert [(s["label"], s["start"], s["end"]) for s in alone] == [("squat", 2.0, 2.0), (NO_PERSON, 2.0, 9.0)]


def test_a_model_run_rarely_is_not_taken_for_nobody() -> None:
    # --every 60 at 30 fps: a prediction every 2 s, each silence longer than 1.5 s; before, every
    # one of them became a "no person" segment.
    assert silence_s(6, 30.0) == MAX_GAP_S and silence_s(60, 30.0) == pytest.approx(6.0)
    assert silence_s(6, 30.0, source_fps=0.5) == pytest.approx(6.0), "a time-lapse's frames are 2 s apart"
    assert silence_s(6, 30.0, source_fps=25.0) == MAX_GAP_S
    timeline = entries(2.0, ["squat"] * 6, step=2.0)
    assert [s["label"] for s in label_segments(timeline, 14.0, silence_s(60, 30.0))] == ["squat"]
    assert NO_PERSON in [s["label"] for s in label_segments(timeline, 14.0)]


def test_realtime_video_with_a_rare_model_gives_one_segment_for_one_action() -> None:
    """A real squat clip (13 s, person in every frame), the model every 45 window poses (1.5 s)."""
    from realtime.video_pipeline import classify_video
    from training.checkpoint import load_checkpoint, resolve_checkpoint
    ckpt = load_checkpoint(resolve_checkpoint("default")[0])
    result = classify_video(str(shared_file("videos/pose_squats.mp4")), ckpt, every=45, progress=False)
    assert len(result.timeline) >= 5 and NO_PERSON not in [s["label"] for s in result.segments]


def test_probability_is_the_mean_and_a_rejection_keeps_its_commonest_reason() -> None:
    timeline = (entries(2.0, [NO_ACTION] * 3, probability=0.9, reason="still")
                + entries(2.6, [NO_ACTION], probability=0.3, reason="members disagree")
                + entries(2.8, ["squat"] * 2, probability=0.5))
    segments = label_segments(timeline, end_s=3.2)
    assert segments[0]["label"] == NO_ACTION and segments[0]["reason"] == "still"
    assert segments[0]["probability"] == pytest.approx(0.75)
    assert segments[1]["reason"] == "" and segments[1]["probability"] == pytest.approx(0.5)


def test_no_prediction_no_segment_and_the_terminal_lines_are_bounded() -> None:
    assert label_segments([], end_s=5.0) == []
    many = label_segments(entries(2.0, ["squat", "pushup"] * 10), end_s=6.0)
    lines = format_segments(many, limit=12, rest_hint=" (in --json)")
    assert len(many) == 20 and len(lines) == 13 and lines[-1] == "... 8 more segments (in --json)"
    assert format_segments(many, limit=19)[-1] == "... 1 more segment"      # realtime.cam has no --json
    assert format_segments(many[:1]) == []                 # one label throughout: the clip's line says it
    assert "squat" in lines[0] and "2.0 -" in lines[0]


def test_no_person_is_reserved_like_no_action() -> None:
    assert NO_PERSON in RESERVED_LABELS and NO_ACTION in RESERVED_LABELS
    for name in ("no person", " No Person "):
        with pytest.raises(ValueError, match="reserved"):
            SteadyDecider(["squat", name], DecisionSpec())


def letterboxed(paths: list[Path], out: Path, size: tuple[int, int] = (640, 360), fps: float = 30.0) -> list[float]:
    """Join real clips into one video (each scaled into ``size``, letterboxed); the cut times (s)."""
    width, height = size
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    cuts, frames = [], 0
    for path in paths:
        capture = cv2.VideoCapture(str(path))
        while True:
            ok, image = capture.read()
            if not ok:
                break
            scale = min(width / image.shape[1], height / image.shape[0])
            small = cv2.resize(image, (int(image.shape[1] * scale), int(image.shape[0] * scale)))
            canvas = np.zeros((height, width, 3), np.uint8)
            y, x = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
            canvas[y:y + small.shape[0], x:x + small.shape[1]] = small
            writer.write(canvas)
            frames += 1
        capture.release()
        cuts.append(frames / fps)
    writer.release()
    return cuts


@pytest.fixture(scope="module")
def two_actions(tmp_path_factory) -> tuple[Path, float]:
    """Jumping jacks, then rope skipping: two real clips joined into one video; (video, cut time)."""
    jacks = shared_file("videos/realworld/jumping_jacks/THChen2002__medaipipe__Jumping_Jacks.mp4")
    rope = shared_file("videos/realworld/jump_rope/"
                       "Hooneybadger__jump-rope-detector__videos_alternative_jump_video_02.mp4")
    video = tmp_path_factory.mktemp("segments") / "workout.mp4"
    cut, _ = letterboxed([jacks, rope], video)
    return video, cut


def test_video_with_two_real_actions_reports_both_in_order(two_actions: tuple[Path, float], tmp_path: Path) -> None:
    """The clip label is one of them; the segments say which came when, in the JSON and on the terminal."""
    video, cut = two_actions
    proc = run_module("realtime.video", str(video), "--checkpoint", "default", "--json", str(tmp_path / "r.json"),
                      "--no-progress")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((tmp_path / "r.json").read_text())["videos"][0]
    segments = result["segments"]
    assert_tiles(segments, result["timeline"][0]["time"], result["frames"] / result["fps"])
    named = [s for s in segments if s["label"] not in RESERVED_LABELS]
    assert named[0]["label"] == "jumping_jacks" and named[0]["start"] < cut
    assert named[-1]["label"] == "jump_rope" and named[-1]["end"] > cut + 2.0
    assert sum(s["predictions"] for s in segments) == len(result["timeline"])
    assert "jumping_jacks" in proc.stdout and "jump_rope" in proc.stdout and " s  " in proc.stdout


def test_the_live_loop_reports_the_same_segments_as_realtime_video(two_actions: tuple[Path, float]) -> None:
    """realtime.cam / realtime.demo keep no timeline, only the segments, built as predictions come;
    on a file (no dropped frames) they equal realtime.video's, which adds one prediction at the end."""
    from realtime.cam import LiveOptions, run_live
    from realtime.video_pipeline import classify_video
    from training.checkpoint import load_checkpoint, resolve_checkpoint
    ckpt = load_checkpoint(resolve_checkpoint("default")[0])
    video, _ = two_actions
    offline = classify_video(str(video), ckpt, progress=False).segments
    live = run_live(str(video), ckpt, LiveOptions(show=False, quiet=True))
    assert len(live.segments()) > 1 and live.segment_lines()
    last = len(live.segments()) - 1      # the offline flush may end the last segment later or add one
    assert live.segments()[:last] == offline[:last]
    assert (live.segments()[last]["label"], live.segments()[last]["start"]) == (offline[last]["label"],
                                                                              offline[last]["start"])


def test_the_live_summary_lists_what_each_person_was_shown_doing_most_predicted_first() -> None:
    from realtime.live_summary import PEOPLE_LISTED, LiveSummary
    from realtime.segments import SegmentBuilder
    summary = LiveSummary(last_time_s=20.0)
    for person_id in range(1, PEOPLE_LISTED + 3):            # id 1 predicted least, the last id most
        builder = SegmentBuilder()
        for k in range(person_id * 2):
            builder.add(2.0 + 0.2 * k, "squat", 0.8)
        summary.people_shown[person_id] = builder
        summary.people_last_seen_s[person_id] = 2.0 + 0.2 * person_id * 2
    lines = summary.segment_lines()
    headers = [line for line in lines if line.endswith(":")]
    assert headers[0] == f"#{PEOPLE_LISTED + 2}:" and len(headers) == PEOPLE_LISTED
    assert lines[1].split()[:4] == ["2.0", "-", f"{2.0 + 0.2 * (PEOPLE_LISTED + 2) * 2:.1f}", "s"], lines[1]
    assert "squat" in lines[1], "a person with one segment still gets their line"
    assert lines[-1] == "2 more people with predictions (not listed)"
    assert LiveSummary().segment_lines() == [], "nobody: nothing"
