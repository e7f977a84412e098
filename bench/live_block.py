"""The live block of ``python -m bench``: the live loop against the pose model alone on the same
frames, its variants run in turn round by round, and where its CPU time goes by thread."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench import thread_cpu
from realtime.cam import LiveOptions, run_live
from realtime.pose import MediaPipePose, make_pose_estimator, pose_threads_for
from realtime.pose_stage import PoseStage
from realtime.sources import ThreadedCapture, VideoFileReader
from training.inference import torch_threads


def interleaved(variants: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Each variant once per round, in turn, ``rounds`` times: {name: its figures, one per round}.

    Side by side in time, so a slow spell of the machine (another program, the CPU clocking down)
    touches every variant alike instead of the one measured while it lasted.
    """
    figures: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            figures[name].append(fn())
    return figures


def paired_ratio(figures: dict[str, list[float]], name: str, base: str) -> float:
    """Median over rounds of ``name`` / ``base`` measured in the same round."""
    return statistics.median(a / b for a, b in zip(figures[name], figures[base]))


def bench_live(ckpt, clip: Path, rounds: int, bundled=None) -> dict:
    """(a) decode only, (b) pose alone, (c) the whole headless live loop as shipped, (d) with the
    model on every frame, (e) without drawing the overlay, (f) its floor: the capture and pose
    threads alone, nothing done with the poses; (g) the live loop with the bundled model (three
    LSTMs: what a user gets without training) when given. Same frames, interleaved round by round."""
    def decode() -> float:
        t = time.perf_counter()
        with VideoFileReader(clip) as reader:
            n = sum(1 for _ in reader)
        return n / (time.perf_counter() - t)

    images = [f.image for f in VideoFileReader(clip)]

    def pose_only(threads: int) -> float:
        with MediaPipePose(threads=threads) as pose:
            pose.estimate(images[0])  # start-up outside the timing, as in the live loop
            t = time.perf_counter()
            for image in images:
                pose.estimate(image)
            return len(images) / (time.perf_counter() - t)

    def decode_and_pose() -> float:
        """The live loop's capture thread and pose stage as run_live opens them, poses thrown away."""
        with ThreadedCapture(str(clip), realtime=False) as capture, torch_threads(1), \
                make_pose_estimator(video=True) as pose, PoseStage(capture, pose) as stage:
            started, frames = time.monotonic(), 0
            while (posed := stage.next()) is not None or not stage.finished:
                frames += posed is not None
            return frames / (time.monotonic() - started)

    def live(every: int | None, pose_threads: int | None = None, model=ckpt, draw: bool = True) -> float:
        s = run_live(str(clip), model, LiveOptions(show=False, every=every, draw=draw, quiet=True,
                                                   pose_threads=pose_threads))
        return s.frames / s.seconds

    shipped_threads = pose_threads_for(None)[0]     # what the live loop's pose model gets
    variants = {"decode_fps": decode, "pose_only_fps": lambda: pose_only(shipped_threads),
                "pose_only_one_thread_fps": lambda: pose_only(1),   # mp.solutions' own default
                "live_fps": lambda: live(None),                     # as shipped: the model 5 times a second
                "live_every_frame_fps": lambda: live(1),
                "live_one_thread_fps": lambda: live(None, pose_threads=1),   # before 2026-11-26
                "live_no_overlay_fps": lambda: live(None, draw=False),
                "decode_and_pose_fps": decode_and_pose}
    if bundled is not None:
        variants["live_bundled_fps"] = lambda: live(None, model=bundled)
    figures = interleaved(variants, rounds)
    results = ({k: statistics.median(v) for k, v in figures.items()}
               | {f"{k}_spread": max(v) - min(v) for k, v in figures.items()})
    results["live_vs_pose_ratio"] = paired_ratio(figures, "live_fps", "pose_only_fps")
    results["live_every_frame_vs_pose_ratio"] = paired_ratio(figures, "live_every_frame_fps", "pose_only_fps")
    results["live_no_overlay_vs_pose_ratio"] = paired_ratio(figures, "live_no_overlay_fps", "pose_only_fps")
    results["decode_and_pose_vs_pose_ratio"] = paired_ratio(figures, "decode_and_pose_fps", "pose_only_fps")
    if bundled is not None:
        results["live_bundled_vs_pose_ratio"] = paired_ratio(figures, "live_bundled_fps", "pose_only_fps")
    return results


def bench_live_cpu(model, clip: Path, short_clip: Path, rounds: int) -> dict:
    """Where the CPU goes, in ms per frame by thread role (:mod:`bench.thread_cpu`): the pose model
    alone vs the live loop with ``model``, each over ``clip`` less the same over ``short_clip`` (its
    first frames), so start-up cancels out; medians over ``rounds``, the two in turn. Nothing where
    per-thread times cannot be read."""
    if not thread_cpu.available():
        return {}
    threads = pose_threads_for(None)[0]

    def pose_alone(path: Path) -> Callable[[], int]:
        images = [f.image for f in VideoFileReader(path)]     # decoded beforehand, as in bench_live

        def run() -> int:
            with MediaPipePose(threads=threads) as pose:
                for image in images:
                    pose.estimate(image)
            return len(images)
        return run

    def live(path: Path) -> Callable[[], int]:
        options = LiveOptions(show=False, draw=True, quiet=True)     # as live_fps: the overlay drawn
        return lambda: run_live(str(path), model, options).frames

    results = {}
    for _ in range(rounds):
        for name, make in (("pose_alone", pose_alone), ("live", live)):
            roles, wall = thread_cpu.ms_per_extra_frame(make(clip), make(short_clip))
            figures = {f"{name}_cpu_ms_{role}": ms for role, ms in roles.items()} | {f"{name}_wall_ms": wall}
            for key, value in figures.items():
                results.setdefault(key, []).append(value)
    return {key: statistics.median(values) for key, values in results.items()}
