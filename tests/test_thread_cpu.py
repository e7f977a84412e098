"""The benchmark's CPU-by-thread breakdown puts each thread's CPU time under the right role and
cancels what a run pays once (bench.thread_cpu: where the live loop's time goes beside pose alone)."""
import threading
import time

import pytest

from bench import thread_cpu
from tests.conftest import shared_file
from realtime.pose_stage import POSE_THREAD_NAME
from realtime.sources import CAPTURE_THREAD_NAME

pytestmark = pytest.mark.skipif(not thread_cpu.available(), reason="per-thread CPU times need Linux /proc")


def burn(seconds: float) -> None:
    """Keep this thread on the CPU for ``seconds`` of its own CPU time."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def test_threads_are_grouped_by_the_names_the_project_and_mediapipe_give_them() -> None:
    python_names = {10: "MainThread", 11: CAPTURE_THREAD_NAME, 12: POSE_THREAD_NAME, 13: "Thread-7"}
    assert thread_cpu.role_of(10, "python", python_names) == "main"
    assert thread_cpu.role_of(11, "python", python_names) == "capture"
    assert thread_cpu.role_of(12, "python", python_names) == "pose_stage"
    assert thread_cpu.role_of(13, "python", python_names) == "other"
    assert thread_cpu.role_of(20, "mediapipe/20", python_names) == "executors"   # named itself
    assert thread_cpu.role_of(21, "mediapipe/20", python_names) == "worker"      # started by 20
    assert thread_cpu.role_of(22, "python3", python_names) == "other"


def test_cpu_time_lands_on_the_thread_that_used_it_even_when_that_thread_has_ended() -> None:
    def work_then_idle() -> None:
        burn(0.3)
        time.sleep(10 * thread_cpu.POLL_S)   # the poller reads the finished total before the thread ends
        # (without it the last reading could be a poll older, and under a loaded machine much older)

    def run() -> int:
        capture = threading.Thread(target=work_then_idle, name=CAPTURE_THREAD_NAME)
        capture.start()
        capture.join()          # ended before the run returns: counted from the poller's readings
        burn(0.1)
        return 10

    roles, wall, frames = thread_cpu.cpu_by_role(run)
    assert frames == 10 and wall >= 0.35
    assert set(roles) == set(thread_cpu.ROLES)
    assert 0.2 <= roles["capture"] <= 0.45
    assert 0.05 <= roles["main"] <= 0.25
    assert roles["pose_stage"] == 0.0 and roles["worker"] == 0.0


def test_what_a_run_pays_once_cancels_out_of_the_per_frame_figures() -> None:
    def frames(n: int):
        def run() -> int:
            burn(0.2)                  # start-up, paid once whatever the length
            for _ in range(n):
                burn(0.01)             # 10 ms a frame
            return n
        return run

    roles, wall_ms = thread_cpu.ms_per_extra_frame(frames(40), frames(10))
    assert 8.0 <= roles["main"] <= 12.5     # without cancelling: (0.2 + 0.4) s / 40 frames = 15 ms
    assert 6.0 <= wall_ms <= 25.0


def test_the_live_loop_s_threads_are_all_found_by_their_roles(tmp_path) -> None:
    from bench.run import resized_clip
    from realtime.cam import LiveOptions, run_live
    from training.checkpoint import BUNDLED_MODEL, load_checkpoint
    clip = resized_clip(shared_file("videos/pose_1.mp4"), tmp_path / "clip.avi", (640, 480), 90)
    ckpt = load_checkpoint(BUNDLED_MODEL)
    roles, wall, frames = thread_cpu.cpu_by_role(lambda: run_live(str(clip), ckpt, LiveOptions(show=False,
                                                                                              quiet=True)).frames)
    assert frames == 90
    # decoding 90 frames of 640x480 takes tens of ms; the pose model seconds: every role has its ticks
    for role in ("main", "capture", "pose_stage", "executors", "worker"):
        assert roles[role] > 0, f"no CPU time found for {role}: {roles}"
    assert roles["executors"] + roles["worker"] > roles["other"]
