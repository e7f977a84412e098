"""Where the time goes: ``python -m bench [--quick]`` prints a table and writes bench/results.json.

Every figure is a median over repeats measured in the same run, next to its baseline, so the
ratios hold on a noisy shared machine.
"""
from __future__ import annotations

import argparse
import copy
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from bench.live_block import bench_live, bench_live_cpu
from bench.multi_pose_check import FPS_CLIPS, check_live_fps
from bench.naive import naive_train_steps, naive_video_loop
from bench.result_files import add_result_file_argument, check_result_file, write_result_file
from bench.table import LONGER_COLLECTION, format_table
from realtime.pose import pose_threads_for
from realtime.timeline import default_every
from realtime.video_jobs import VideoJob, run_jobs
from realtime.video_pipeline import VideoResult, classify_video
from training.checkpoint import BUNDLED_MODEL, load_checkpoint
from training.cli_types import ArgumentParser
from training.inference import torch_threads
from training.config import TrainConfig
from training.errors import UserError, run_cli
from training.loop import encode_clips, make_batches, train_epoch
from training.model import ActionLSTM
from training.synthetic import write_synthetic_file
from training.train import train

REPO = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = REPO.parent / "shared" / "data" / "videos"
DEFAULT_RESULTS = REPO / "bench" / "results.json"
LIVE_CLIP = "pose_1.mp4"
VIDEO_CLIPS = ("v_Shotput_g05_c02.avi", "pose_1.mp4", "clean_and_jerk.mp4")
LIVE_ROUNDS = 5           # the live block's rounds (not with --quick): its figures vary most


def repeat(fn: Callable[[], float], n: int) -> tuple[float, float]:
    """Run ``fn`` (returns a figure) n times: (median, spread = max - min)."""
    values = [fn() for _ in range(n)]
    return statistics.median(values), max(values) - min(values)


def resized_clip(src: Path, dest: Path, size: tuple[int, int], frames: int) -> Path:
    """The first ``frames`` frames of ``src`` at ``size`` (w, h), looped if short, as MJPG avi."""
    reader = cv2.VideoCapture(str(src))
    images = []
    while len(images) < frames:
        ok, image = reader.read()
        if not ok:
            reader.set(cv2.CAP_PROP_POS_FRAMES, 0)
            continue
        images.append(cv2.resize(image, size))
    writer = cv2.VideoWriter(str(dest), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, size)
    for image in images:
        writer.write(image)
    writer.release()
    return dest


def bench_video(ckpt, clips: list[Path], repeats: int) -> dict:
    """The project's realtime.video path vs the naive single-threaded loop, frames/s over the clips."""
    def project() -> float:
        t = time.perf_counter()
        n = 0
        for clip in clips:
            n += classify_video(str(clip), ckpt, progress=False).frames
        return n / (time.perf_counter() - t)

    def naive() -> float:
        t = time.perf_counter()
        n = sum(naive_video_loop(str(clip), ckpt) for clip in clips)
        return n / (time.perf_counter() - t)

    p, n = repeat(project, repeats), repeat(naive, repeats)
    return {"video_fps": p[0], "video_fps_spread": p[1], "naive_video_fps": n[0], "naive_video_fps_spread": n[1],
            "video_vs_naive_ratio": p[0] / n[0]}


def bench_video_workers(checkpoint: Path, clips: list[Path], repeats: int) -> dict:
    """``realtime.video --workers 2`` vs ``--workers 1`` over the same clips (whole runs, process start-up included)."""
    ckpt = load_checkpoint(checkpoint)

    def run(workers: int, pose_threads: int | None = None) -> float:
        jobs = [VideoJob(str(c), str(checkpoint), "cpu", None, ckpt.decision, 5, None, False, None, False, False,
                         pose_threads=pose_threads) for c in clips]
        t = time.perf_counter()
        outcomes = run_jobs(jobs, workers, ckpt, progress=False).outcomes
        seconds = time.perf_counter() - t
        failed = [o for o in outcomes if not isinstance(o, VideoResult)]
        if failed:
            raise UserError(f"video benchmark: {failed[0]}")
        return sum(o.frames for o in outcomes) / seconds

    # As shipped, one worker's pose model gets every core and two workers one each; the third run
    # (one worker, one pose thread: the shipped default before 2026-11-26) shows the scaling of processes alone.
    one, two = repeat(lambda: run(1), repeats), repeat(lambda: run(2), repeats)
    one_thread = repeat(lambda: run(1, pose_threads=1), repeats)
    return {"video_one_worker_fps": one[0], "video_two_workers_fps": two[0],
            "video_parallel_vs_single_ratio": two[0] / one[0], "video_one_worker_one_thread_fps": one_thread[0],
            "video_parallel_vs_one_thread_ratio": two[0] / one_thread[0], "video_workers_clips": len(clips)}


def window_latencies_ms(ckpt, frames: int, runs: int, batch: int = 1) -> list[float]:
    """Milliseconds per forward pass of ``batch`` windows of ``frames`` poses (inference mode, after 5 warm-ups)."""
    x = torch.randn(batch, frames, ckpt.spec.feature_size)
    lengths = torch.full((batch,), frames)
    times = []
    with torch.inference_mode():
        for _ in range(5):
            ckpt.model(x, lengths)
        for _ in range(runs):
            t = time.perf_counter()
            ckpt.model(x, lengths)
            times.append(1000 * (time.perf_counter() - t))
    return times


def bench_model_share(pose_only_fps: float, pose_one_thread_fps: float, repeats: int) -> dict:
    """The bundled model's cost per new pose in the live loop, as a share of the pose model's time per
    frame (as shipped, and with the pose model on one thread as mp.solutions runs it).

    The live loop runs the model on the schedule of ``realtime.timeline.default_every`` (5 times a
    second: every 6 poses of the model's 30 fps), so each new pose carries a sixth of one window.
    """
    bundled = load_checkpoint(BUNDLED_MODEL)
    with torch_threads(1):                 # as in the live loop
        window_ms = float(np.percentile(window_latencies_ms(bundled, bundled.spec.window_frames,
                                                            max(30, repeats * 30)), 50))
    frames_per_run = default_every(bundled)
    pose_ms = 1000.0 / pose_only_fps
    return {"bundled_window_latency_ms_p50": window_ms, "model_ms_per_window_p50": window_ms,
            "model_frames_per_run": frames_per_run, "model_ms_per_frame_p50": window_ms / frames_per_run,
            "pose_ms_per_frame": pose_ms, "model_vs_pose_share": window_ms / frames_per_run / pose_ms,
            "pose_one_thread_ms_per_frame": 1000.0 / pose_one_thread_fps,
            "model_vs_one_thread_pose_share": window_ms / frames_per_run * pose_one_thread_fps / 1000.0,
            "model_vs_pose_share_every_frame": window_ms / pose_ms}


def bench_model(ckpt, repeats: int) -> dict:
    """One full window and a batch of 64 through the checkpoint's model (inference mode)."""
    frames = ckpt.spec.max_frames
    one = window_latencies_ms(ckpt, frames, max(20, repeats * 20))
    batch = window_latencies_ms(ckpt, frames, max(3, repeats), batch=64)
    return {"window_latency_ms_p50": float(np.percentile(one, 50)),
            "window_latency_ms_p95": float(np.percentile(one, 95)),
            "batch64_latency_ms_p50": float(np.percentile(batch, 50))}


def bench_training(data: Path, repeats: int, n_batches: int | None) -> dict:
    """Samples/s of the project's loop (length buckets + packing) vs padding every clip to 300."""
    from training.dataset import load_skeleton_file
    from training.features import FeatureSpec
    from training.model import ModelConfig
    clips = load_skeleton_file(data).clips
    spec = FeatureSpec()
    features, lengths = encode_clips([c.keypoints for c in clips], spec)
    labels = np.array([c.label for c in clips])
    labels = np.unique(labels, return_inverse=True)[1].astype(np.int64)
    padding_ratio = float((spec.max_frames * len(lengths) - lengths.sum()) / lengths.sum())
    torch.manual_seed(0)
    start = ActionLSTM(ModelConfig(num_classes=int(labels.max()) + 1))

    # Same function: on the same batches from the same weights both loops give the same losses.
    check_batches = make_batches(lengths, 16, np.random.default_rng(0), bucket=False)[:3]
    a, b = copy.deepcopy(start), copy.deepcopy(start)
    project_losses = [train_epoch(a, torch.optim.Adam(a.parameters(), lr=1e-3), features, lengths, labels, [idx])
                      for idx in check_batches[:1]]
    naive_losses = naive_train_steps(b, features, lengths, labels, check_batches[:1])
    same_loss_diff = abs(project_losses[0] - naive_losses[0])

    def project() -> float:
        model = copy.deepcopy(start)
        batches = make_batches(lengths, 16, np.random.default_rng(1), bucket=True)[:n_batches]
        t = time.perf_counter()
        train_epoch(model, torch.optim.Adam(model.parameters(), lr=1e-3), features, lengths, labels, batches)
        return sum(map(len, batches)) / (time.perf_counter() - t)

    def naive() -> float:
        model = copy.deepcopy(start)
        batches = make_batches(lengths, 16, np.random.default_rng(1), bucket=False)[:n_batches]
        t = time.perf_counter()
        naive_train_steps(model, features, lengths, labels, batches)
        return sum(map(len, batches)) / (time.perf_counter() - t)

    p, n = repeat(project, repeats), repeat(naive, repeats)
    return {"train_samples_per_s": p[0], "train_samples_per_s_spread": p[1], "naive_train_samples_per_s": n[0],
            "naive_train_samples_per_s_spread": n[1], "train_vs_naive_ratio": p[0] / n[0],
            "padding_ratio": padding_ratio, "first_batch_loss_project": project_losses[0],
            "first_batch_loss_naive": naive_losses[0], "same_batch_loss_abs_diff": same_loss_diff,
            "train_clips": len(lengths), "train_mean_frames": float(lengths.mean())}


def peak_rss_mb(code: str) -> float:
    """Peak resident memory (MB) of a fresh Python process running ``code``."""
    # VmHWM of this process's own address space (ru_maxrss would include the parent's at fork time)
    script = code + ("\nprint('PEAK', [int(l.split()[1]) for l in open('/proc/self/status') "
                     "if l.startswith('VmHWM')][0])")
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    if proc.returncode != 0:
        raise UserError(f"memory probe failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr else '?'}")
    return int(proc.stdout.rsplit("PEAK", 1)[1]) / 1024


def main(argv: list[str] | None = None) -> dict:
    p = ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="examples:\n  python -m bench\n  python -m bench --quick --out /tmp/bench.json\n")
    p.add_argument("--quick", action="store_true", help="a few frames and one repeat: a smoke run for CI")
    p.add_argument("--videos", type=Path, default=SHARED_VIDEOS, help="folder with the real clips")
    add_result_file_argument(p, "--out", f"where the figures go (default {DEFAULT_RESULTS.relative_to(REPO)}, "
                                         "refreshed on every run; a file you name is kept unless --overwrite)",
                             default=DEFAULT_RESULTS)
    a = p.parse_args(argv)
    refresh = a.overwrite or a.out == DEFAULT_RESULTS
    check_result_file(a.out, "--out", refresh)
    if not a.videos.is_dir():
        raise UserError(f"Benchmark clips not found in '{a.videos}'; pass --videos FOLDER with {LIVE_CLIP}.")
    repeats = 1 if a.quick else 3
    frames = 20 if a.quick else 240
    results: dict = {"cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M"), "quick": a.quick,
                     "torch_threads": torch.get_num_threads()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print("preparing: synthetic training file and a spec-recipe checkpoint ...", flush=True)
        data = write_synthetic_file(tmp / "bench_2d.pkl", clips_per_class=8 if a.quick else 60, lengths=(30, 400),
                                    mean_length=180, seed=0)
        run = train(TrainConfig(data=str(data), out=str(tmp / "run"), epochs=1), echo=lambda *x: None, progress=False)
        ckpt = load_checkpoint(run.run_dir / "model.pt")
        clip = resized_clip(a.videos / LIVE_CLIP, tmp / "live_640x480.avi", (640, 480), frames)
        print("1/7 live floor ...", flush=True)
        bundled = load_checkpoint(BUNDLED_MODEL) if BUNDLED_MODEL.is_file() else None
        results |= bench_live(ckpt, clip, 1 if a.quick else LIVE_ROUNDS, bundled)
        results["pose_threads"] = pose_threads_for(None)[0]
        results["pose_threads_speedup"] = results["pose_only_fps"] / results["pose_only_one_thread_fps"]
        short_clip = resized_clip(a.videos / LIVE_CLIP, tmp / "live_short.avi", (640, 480), frames // 4)
        results |= bench_live_cpu(bundled or ckpt, clip, short_clip, 1 if a.quick else 3)
        print("2/7 recorded videos vs a naive loop ...", flush=True)
        clips = [a.videos / c for c in VIDEO_CLIPS]
        if a.quick:
            clips = [resized_clip(clips[0], tmp / "short.avi", (320, 240), frames)]
        results |= bench_video(ckpt, clips, repeats)
        print("3/7 realtime.video with 2 workers vs 1 ...", flush=True)
        worker_clips = clips if a.quick else sorted(c for c in a.videos.iterdir() if c.suffix in (".mp4", ".avi"))
        results |= bench_video_workers(run.run_dir / "model.pt", worker_clips * (2 if a.quick else 1),
                                       1 if a.quick else 2)
        if not a.quick:   # a collection 3 times as long: the spawned worker's start-up (about 2 s) weighs less
            longer = bench_video_workers(run.run_dir / "model.pt", worker_clips * LONGER_COLLECTION, 1)
            results |= {f"{key}_{LONGER_COLLECTION}x": value for key, value in longer.items()}
        print("4/7 model latency ...", flush=True)
        results |= bench_model(ckpt, repeats)
        if BUNDLED_MODEL.is_file():
            results |= bench_model_share(results["pose_only_fps"], results["pose_only_one_thread_fps"], repeats)
        print("5/7 training loop vs a naive padded loop ...", flush=True)
        results |= bench_training(data, repeats, 4 if a.quick else None)
        if all((a.videos / clip_path).is_file() for clip_path in FPS_CLIPS[:2]):
            print("6/7 live loop with 2 people in view (--max-people 2) ...", flush=True)
            results |= check_live_fps(a.videos.parent, str(run.run_dir / "model.pt"), people=(2,),
                                      frames=30 if a.quick else 150)
        print("7/7 peak memory ...", flush=True)
        checkpoint = run.run_dir / "model.pt"
        results["peak_rss_mb_live"] = peak_rss_mb(
            f"from realtime.cam import LiveOptions, run_live\nfrom training.checkpoint import load_checkpoint\n"
            f"run_live({str(clip)!r}, load_checkpoint({str(checkpoint)!r}), LiveOptions(show=False, quiet=True))")
        results["peak_rss_mb_train"] = peak_rss_mb(
            f"from training.config import TrainConfig\nfrom training.train import train\n"
            f"train(TrainConfig(data={str(data)!r}, out={str(tmp / 'mem')!r}, epochs=1), echo=lambda *a: None, "
            f"progress=False)")
    print(format_table(results))
    print(f"wrote {write_result_file(a.out, results, refresh)}")
    return results


if __name__ == "__main__":
    run_cli(main)
