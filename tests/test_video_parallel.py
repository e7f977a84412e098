"""realtime.video over a collection: --workers N gives the one-worker result; --shard i/N parts
merge (--merge) into the whole run's result."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import EXIT_STATUS, assert_clean_error, run_module, shared_file, stop_like

pytestmark = pytest.mark.slow
SOURCES = ("pose_squats.mp4", "v_Archery_g01_c01.avi", "ta_chi.mp4", "clean_and_jerk.mp4")


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four short real clips (their first 30 frames) in one folder, two of them in a subfolder."""
    folder = tmp_path_factory.mktemp("collection")
    (folder / "more").mkdir()
    for i, name in enumerate(SOURCES):
        capture = cv2.VideoCapture(str(shared_file(f"videos/{name}")))
        fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        target = (folder / "more" if i % 2 else folder) / (Path(name).stem + ".mp4")
        writer = None
        for _ in range(30):
            ok, frame = capture.read()
            if not ok:
                break
            if writer is None:
                writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                         (frame.shape[1], frame.shape[0]))
            writer.write(frame)
        writer.release()
    return folder


def classify(collection: Path, checkpoint: Path, out: Path, *extra: str) -> dict:
    proc = run_module("realtime.video", str(collection), "--checkpoint", str(checkpoint), "--json", str(out),
                      "--no-progress", *extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text())


def comparable(video: dict) -> dict:
    """A video's result without its timings (which differ from run to run)."""
    return {k: v for k, v in video.items() if k != "stage_seconds"}


@pytest.fixture(scope="module")
def one_worker(collection: Path, trained_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return classify(collection, trained_checkpoint, tmp_path_factory.mktemp("one") / "one.json")


def test_two_workers_give_the_one_worker_result_in_the_same_order(collection: Path, trained_checkpoint: Path,
                                                                  one_worker: dict, tmp_path: Path) -> None:
    two = classify(collection, trained_checkpoint, tmp_path / "two.json", "--workers", "2")
    assert len(one_worker["videos"]) == len(SOURCES) and not one_worker["failed"]
    assert [v["path"] for v in two["videos"]] == [v["path"] for v in one_worker["videos"]]
    assert [comparable(v) for v in two["videos"]] == [comparable(v) for v in one_worker["videos"]]
    assert any(v["timeline"] for v in two["videos"])           # predictions were made and compared


@pytest.fixture(scope="module")
def shard_parts(collection: Path, trained_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The collection classified as two shards: part-0.json and part-1.json in one folder."""
    folder = tmp_path_factory.mktemp("parts")
    for i in range(2):
        classify(collection, trained_checkpoint, folder / f"part-{i}.json", "--shard", f"{i}/2")
    return folder


def test_shards_split_the_collection_and_merge_into_the_whole(shard_parts: Path, one_worker: dict,
                                                              tmp_path: Path) -> None:
    parts = [json.loads((shard_parts / f"part-{i}.json").read_text()) for i in range(2)]
    names = [[v["path"] for v in part["videos"]] for part in parts]
    everything = sorted(v["path"] for v in one_worker["videos"])
    assert names[0] == everything[0::2] and names[1] == everything[1::2]        # stable: sorted, interleaved
    proc = run_module("realtime.video", "--merge", str(shard_parts / "part-0.json"), str(shard_parts / "part-1.json"),
                      "--json", str(tmp_path / "all.json"), "--csv", str(tmp_path / "all.csv"))
    assert proc.returncode == 0, proc.stderr
    merged = json.loads((tmp_path / "all.json").read_text())
    assert [comparable(v) for v in merged["videos"]] == \
        [comparable(v) for v in sorted(one_worker["videos"], key=lambda v: v["path"])]
    assert merged["classes"] == one_worker["classes"] and "missing_shards" not in merged
    assert (tmp_path / "all.csv").read_text().count("\n") > len(SOURCES)


def test_merge_refuses_parts_of_different_runs_and_reports_missing_shards(collection: Path, trained_checkpoint: Path,
                                                                         shard_parts: Path, tmp_path: Path) -> None:
    classify(collection, trained_checkpoint, tmp_path / "other.json", "--shard", "1/2", "--threshold", "0.5")
    mixed = run_module("realtime.video", "--merge", str(shard_parts / "part-0.json"), str(tmp_path / "other.json"),
                       "--json", str(tmp_path / "all.json"))
    assert_clean_error(mixed, "different decision")
    assert not (tmp_path / "all.json").exists()
    partial = run_module("realtime.video", "--merge", str(shard_parts / "part-0.json"), "--json",
                         str(tmp_path / "all.json"))
    assert partial.returncode == 1 and "shards 1/2 are missing" in partial.stdout
    twice = run_module("realtime.video", "--merge", str(shard_parts / "part-0.json"), str(shard_parts / "part-0.json"),
                       "--json", str(tmp_path / "twice.json"))
    assert_clean_error(twice, "is in both")


@pytest.mark.parametrize("args, message", [
    (["--shard", "2/2"], "i must be in 0..N-1"),
    (["--shard", "half"], "expected i/N"),
    (["--workers", "0"], "--workers"),
    (["--device", "tpu"], "--device"),
])
def test_bad_parallel_options_are_refused_before_any_work(args: list[str], message: str, tmp_path: Path) -> None:
    proc = run_module("realtime.video", str(tmp_path), *args)
    assert_clean_error(proc, message)


def test_merge_needs_an_output_and_real_result_files(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text('{"hello": 1}')
    assert_clean_error(run_module("realtime.video", "--merge", str(tmp_path / "notes.json")), "--merge writes")
    assert_clean_error(run_module("realtime.video", "--merge", str(tmp_path / "notes.json"), "--json",
                                  str(tmp_path / "o.json")), "not a results file")


@pytest.mark.parametrize("kind", ["ctrl-c", "sigterm"])
def test_an_interrupt_keeps_the_videos_already_classified(collection: Path, trained_checkpoint: Path,
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          kind: str) -> None:
    # SIGTERM is how a Slurm time limit, `timeout` or `docker stop` ends a run: before, it lost
    # every video already classified.
    from realtime import video as video_module
    from realtime import video_jobs
    from training.errors import run_cli
    real, calls = video_jobs.classify_video, []

    def stop_on_the_third(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 3:
            stop_like(kind)
        return real(*args, **kwargs)

    monkeypatch.setattr(video_jobs, "classify_video", stop_on_the_third)
    out = tmp_path / "r.json"
    with pytest.raises(SystemExit) as stopped:
        run_cli(lambda: video_module.main([str(collection), "--checkpoint", str(trained_checkpoint), "--json",
                                           str(out), "--no-progress"]))
    assert stopped.value.code == EXIT_STATUS[kind]
    report = json.loads(out.read_text())
    assert report["interrupted"] and [v["path"] for v in report["videos"]] == calls[:2]
    assert len(report["not_classified"]) == len(SOURCES) - 2 and calls[2] in report["not_classified"]


def test_an_interrupt_with_two_workers_keeps_what_was_finished_and_names_the_rest(
        collection: Path, trained_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from realtime import video as video_module
    from realtime import video_jobs
    calls = []

    def ctrl_c_here(*args, **kwargs):          # this process's own first video is interrupted
        calls.append(args[0])
        raise KeyboardInterrupt

    monkeypatch.setattr(video_jobs, "classify_video", ctrl_c_here)
    out = tmp_path / "r.json"
    with pytest.raises(SystemExit) as stopped:
        video_module.main([str(collection), "--checkpoint", str(trained_checkpoint), "--json", str(out),
                           "--no-progress", "--workers", "2"])
    assert stopped.value.code == 130
    report = json.loads(out.read_text())
    kept = [v["path"] for v in report["videos"]]
    assert report["interrupted"] and calls and calls[0] in report["not_classified"]
    assert not set(kept) & set(report["not_classified"])
    assert len(kept) + len(report["not_classified"]) == len(SOURCES)
    assert all(v["frames"] > 0 for v in report["videos"])     # what the other worker finished is whole


def test_longest_videos_are_handed_out_first(tmp_path: Path) -> None:
    from realtime.video_jobs import longest_first
    paths = []
    for name, frames in (("short", 5), ("long", 20), ("middle", 10)):
        path = tmp_path / f"{name}.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (32, 32))
        for _ in range(frames):
            writer.write(np.zeros((32, 32, 3), np.uint8))
        writer.release()
        paths.append(str(path))
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    assert longest_first(paths + [str(tmp_path / "broken.mp4")]) == [1, 2, 0, 3]


def test_merge_refuses_parts_of_different_splits(tmp_path: Path) -> None:
    """0/2 with 1/3 merged: a third of the collection was neither in the file nor reported missing."""
    import json
    from realtime.shards import merge_result_files
    from training.errors import UserError
    common = {"checkpoint_sha256": "x", "classes": ["a"], "decision": {}, "failed": []}
    for name, shard, video in (("p0.json", [0, 2], "a.mp4"), ("p1.json", [1, 3], "b.mp4")):
        (tmp_path / name).write_text(json.dumps({**common, "shard": shard, "videos": [{"path": video}]}))
    with pytest.raises(UserError, match=r"different splits \(0/2, 1/3\)"):
        merge_result_files([tmp_path / "p0.json", tmp_path / "p1.json"])
