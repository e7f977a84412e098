"""More CPU threads for the bundled pose model: the same landmarks, never more threads than cores."""
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime import core_claims
from realtime import pose as pose_module
from realtime.core_claims import CoreClaim
from realtime.pose import MAX_POSE_THREADS, MediaPipePose, chosen_pose_threads, make_pose_estimator, pose_threads_for
from realtime.sources import VideoFileReader
from realtime.video_jobs import VideoJob, for_workers
from tests.conftest import REPO, shared_file
from training.decision import DecisionSpec


def _landmarks(frames: list[np.ndarray], threads: int) -> list[np.ndarray | None]:
    with MediaPipePose(threads=threads) as pose:
        return [None if (p := pose.estimate(f)) is None else p.landmarks for f in frames]


def test_two_threads_find_the_same_landmarks_on_a_real_clip() -> None:
    with VideoFileReader(shared_file("videos/pose_squats.mp4")) as reader:
        frames = [frame.image for _, frame in zip(range(30), reader)]
    one, two = _landmarks(frames, 1), _landmarks(frames, 2)
    assert sum(x is not None for x in one) >= 25, "the squat clip shows a person in nearly every frame"
    assert [x is None for x in one] == [x is None for x in two]
    for a, b in zip(one, two):
        if a is not None:
            np.testing.assert_array_equal(a, b)


def test_every_inference_node_of_the_graph_gets_the_threads() -> None:
    from mediapipe.calculators.tensor import inference_calculator_pb2
    from mediapipe.python.solutions import pose as mp_pose
    from realtime.pose_graph import INFERENCE_CALCULATOR_PREFIX, graph_with_threads

    config = graph_with_threads(mp_pose._BINARYPB_FILE_PATH, 3)
    nodes = [n for n in config.node if n.calculator.startswith(INFERENCE_CALCULATOR_PREFIX)]
    assert len(nodes) == 2, "the detector and the landmark model"
    for node in nodes:
        options = node.options.Extensions[inference_calculator_pb2.InferenceCalculatorOptions.ext]
        assert options.delegate.xnnpack.num_threads == 3


@pytest.mark.parametrize("cores, requested, processes, expected, noted", [
    (2, None, 1, 2, False),           # the default: every core
    (2, None, 2, 1, False),           # two workers share two cores
    (1, None, 4, 1, False),           # never below one
    (64, None, 1, MAX_POSE_THREADS, False),
    (2, 1, 1, 1, False),              # a request within the cores is kept
    (2, 8, 1, 2, True),               # more than the cores: capped, with a note
    (4, 3, 2, 2, True),               # the share of the cores per worker
])
def test_pose_threads_never_exceed_the_cores(monkeypatch, cores, requested, processes, expected, noted) -> None:
    monkeypatch.setattr(pose_module, "available_cores", lambda: cores)
    threads, note = pose_threads_for(requested, processes)
    assert threads == expected
    assert (note is not None) == noted
    if noted:
        assert f"--pose-threads {requested}" in note and f"using {expected}" in note


def test_a_capped_request_is_said_on_the_terminal(monkeypatch, capsys) -> None:
    monkeypatch.setattr(pose_module, "available_cores", lambda: 2)
    assert chosen_pose_threads(16) == 2
    assert chosen_pose_threads(None) is None, "the default is decided when the model is built"
    assert "--pose-threads 16: 2 core(s); using 2" in capsys.readouterr().out


def test_workers_are_told_how_many_pose_models_share_the_cores() -> None:
    job = VideoJob("a.mp4", "model.pt", "cpu", None, DecisionSpec(), 5, None, False, None, False, False)
    assert [j.pose_processes for j in for_workers([job, job], 2)] == [2, 2]
    assert for_workers([job], 1)[0].pose_processes == 1


def test_claims_take_free_cores_only_and_give_them_back(tmp_path: Path) -> None:
    first = CoreClaim(2, cores=2, folder=tmp_path)
    second = CoreClaim(2, cores=2, folder=tmp_path)
    assert (first.count, second.count) == (2, 0)
    first.release()
    third = CoreClaim(1, cores=2, folder=tmp_path)
    assert third.count == 1 and CoreClaim(2, cores=2, folder=tmp_path).count == 1
    third.release()


def test_a_killed_process_leaves_no_claim_behind(tmp_path: Path) -> None:
    code = ("import sys, time; from pathlib import Path; from realtime.core_claims import CoreClaim; "
            f"c = CoreClaim(2, cores=2, folder=Path({str(tmp_path)!r})); print(c.count, flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout.readline().strip() == "2"
        assert CoreClaim(2, cores=2, folder=tmp_path).count == 0, "held by the other process"
    finally:
        holder.kill()
        holder.wait()
    assert CoreClaim(2, cores=2, folder=tmp_path).count == 2, "the kernel dropped the dead process's locks"


def test_a_second_pose_model_runs_one_thread_while_the_first_holds_the_cores(monkeypatch, tmp_path: Path) -> None:
    # Two pose models with 2 threads each on 2 cores ran 14x slower than with one each.
    monkeypatch.setattr(pose_module, "available_cores", lambda: 2)
    monkeypatch.setattr(core_claims, "claims_folder", lambda: tmp_path)
    with make_pose_estimator() as first:
        with make_pose_estimator() as second:
            assert (first.threads, second.threads) == (2, 1)
        with make_pose_estimator(processes=2) as shared:
            assert shared.threads == 1
    with make_pose_estimator() as alone:
        assert alone.threads == 2, "closing gave the cores back"
    with make_pose_estimator(threads=2), make_pose_estimator() as after_a_request:
        assert after_a_request.threads == 1, "a --pose-threads request claims its cores too"


def test_a_mediapipe_whose_graph_takes_no_threads_still_gives_poses(monkeypatch, capsys) -> None:
    from realtime import pose_graph

    def no_inference_node(path: str, threads: int):
        raise RuntimeError(f"{path} has no InferenceCalculator node to give threads to")

    monkeypatch.setattr(pose_graph, "graph_with_threads", no_inference_node)
    image = cv2.imread(str(shared_file("images/mediapipe_tfjs_pose.jpg")))
    with MediaPipePose(static_image_mode=True, threads=2) as pose:
        assert pose.threads == 1 and pose.estimate(image) is not None
    assert "the pose model runs on one thread" in capsys.readouterr().out
