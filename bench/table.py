"""The table ``python -m bench`` prints from its results (one row per figure, next to its baseline)."""
from __future__ import annotations

from collections.abc import Callable

from bench import thread_cpu

LONGER_COLLECTION = 3     # the workers' collection measured again this many times over (not with --quick)


def live_cpu_rows(r: dict, row: Callable[..., str]) -> list[str]:
    """The table's CPU-by-thread block (none where it was not measured)."""
    if "live_wall_ms" not in r:
        return []
    lines = [row("  CPU ms per frame, by thread:", "live", "pose alone"),
             row("    wall time per frame", f"{r['live_wall_ms']:.2f}", f"{r['pose_alone_wall_ms']:.2f}")]
    for role, what in thread_cpu.ROLES.items():
        lines.append(row(f"    {what}", f"{r[f'live_cpu_ms_{role}']:.2f}", f"{r[f'pose_alone_cpu_ms_{role}']:.2f}"))
    return lines


def format_table(r: dict) -> str:
    def row(name: str, value: str, base: str = "", ratio: str = "", goal: str = "") -> str:
        return f"{name:<34} {value:>16} {base:>18} {ratio:>8} {goal:>10}"
    lines = [f"machine: {r['cores']} cores, torch threads {r['torch_threads']}, {r['date']}"
             + ("  (QUICK smoke run: figures not meaningful)" if r["quick"] else ""),
             row("what", "median (spread)", "baseline", "ratio", "goal"),
             row("decode only, 640x480", f"{r['decode_fps']:.0f} fps ({r['decode_fps_spread']:.0f})"),
             row(f"pose alone, {r['pose_threads']} thread(s) vs 1", f"{r['pose_only_fps']:.1f} fps",
                 f"{r['pose_only_one_thread_fps']:.1f} fps", f"{r['pose_threads_speedup']:.2f}"),
             row("live pipeline vs pose alone", f"{r['live_fps']:.1f} fps ({r['live_fps_spread']:.1f})",
                 f"{r['pose_only_fps']:.1f} fps", f"{r['live_vs_pose_ratio']:.2f}", ">= 0.95"),
             row("  model on every frame", f"{r['live_every_frame_fps']:.1f} fps", f"{r['pose_only_fps']:.1f} fps",
                 f"{r['live_every_frame_vs_pose_ratio']:.2f}"),
             *([row("  without drawing the overlay", f"{r['live_no_overlay_fps']:.1f} fps",
                    f"{r['pose_only_fps']:.1f} fps", f"{r['live_no_overlay_vs_pose_ratio']:.2f}"),
                row("  floor: decode + pose threads only", f"{r['decode_and_pose_fps']:.1f} fps",
                    f"{r['pose_only_fps']:.1f} fps", f"{r['decode_and_pose_vs_pose_ratio']:.2f}")]
               if "decode_and_pose_fps" in r else []),
             *([row("  the bundled model (3 LSTMs)", f"{r['live_bundled_fps']:.1f} fps", f"{r['pose_only_fps']:.1f} fps",
                    f"{r['live_bundled_vs_pose_ratio']:.2f}")] if "live_bundled_fps" in r else []),
             row("  vs live, pose on 1 thread", f"{r['live_fps']:.1f} fps", f"{r['live_one_thread_fps']:.1f} fps",
                 f"{r['live_fps'] / r['live_one_thread_fps']:.2f}"),
             row("  vs pose alone on 1 thread", f"{r['live_fps']:.1f} fps", f"{r['pose_only_one_thread_fps']:.1f} fps",
                 f"{r['live_fps'] / r['pose_only_one_thread_fps']:.2f}"),
             *live_cpu_rows(r, row),
             row("realtime.video vs naive loop", f"{r['video_fps']:.1f} fps ({r['video_fps_spread']:.1f})",
                 f"{r['naive_video_fps']:.1f} fps", f"{r['video_vs_naive_ratio']:.2f}", ">= 1.40"),
             row("video, 2 workers vs 1", f"{r['video_two_workers_fps']:.1f} fps",
                 f"{r['video_one_worker_fps']:.1f} fps", f"{r['video_parallel_vs_single_ratio']:.2f}", ">= 1.60"),
             row("  vs 1 worker, 1 pose thread", f"{r['video_two_workers_fps']:.1f} fps",
                 f"{r['video_one_worker_one_thread_fps']:.1f} fps", f"{r['video_parallel_vs_one_thread_ratio']:.2f}"),
             *([row(f"  the clips {LONGER_COLLECTION} times over", f"{r[f'video_two_workers_fps_{LONGER_COLLECTION}x']:.1f} fps",
                    f"{r[f'video_one_worker_fps_{LONGER_COLLECTION}x']:.1f} fps",
                    f"{r[f'video_parallel_vs_single_ratio_{LONGER_COLLECTION}x']:.2f}"),
                row("    vs 1 worker, 1 pose thread", f"{r[f'video_two_workers_fps_{LONGER_COLLECTION}x']:.1f} fps",
                    f"{r[f'video_one_worker_one_thread_fps_{LONGER_COLLECTION}x']:.1f} fps",
                    f"{r[f'video_parallel_vs_one_thread_ratio_{LONGER_COLLECTION}x']:.2f}")]
               if f"video_two_workers_fps_{LONGER_COLLECTION}x" in r else []),
             row("model, one (1,300,34) window", f"p50 {r['window_latency_ms_p50']:.2f} ms",
                 f"p95 {r['window_latency_ms_p95']:.2f} ms"),
             row("model, batch of 64 windows", f"p50 {r['batch64_latency_ms_p50']:.1f} ms"),
             row("bundled model (3 LSTMs), one window", f"p50 {r['bundled_window_latency_ms_p50']:.2f} ms"
                 if "bundled_window_latency_ms_p50" in r else "-", "(1 thread)"),
             *([row("bundled model per new pose", f"p50 {r['model_ms_per_frame_p50']:.2f} ms",
                    f"pose {r['pose_ms_per_frame']:.1f} ms", f"{r['model_vs_pose_share']:.3f}", "<= 0.05"),
                row("  vs pose on 1 thread", f"p50 {r['model_ms_per_frame_p50']:.2f} ms",
                    f"pose {r['pose_one_thread_ms_per_frame']:.1f} ms", f"{r['model_vs_one_thread_pose_share']:.3f}"),
                row("  (model on every frame)", f"p50 {r['model_ms_per_window_p50']:.2f} ms", "",
                    f"{r['model_vs_pose_share_every_frame']:.3f}")] if "model_ms_per_frame_p50" in r else []),
             row("training loop vs padded loop", f"{r['train_samples_per_s']:.0f} clip/s",
                 f"{r['naive_train_samples_per_s']:.0f} clip/s", f"{r['train_vs_naive_ratio']:.2f}", ">= 1.50"),
             row("  padding ratio of the file", f"{r['padding_ratio']:.2f}", "(padded/valid)"),
             row("  same batch, |loss diff|", f"{r['same_batch_loss_abs_diff']:.2e}"),
             *([row("live loop, 2 people, 640x480", f"{r['multi_2_people_fps']:.1f} fps", "", "", ">= 15")]
               if "multi_2_people_fps" in r else []),
             row("peak RSS live / training", f"{r['peak_rss_mb_live']:.0f} MB", f"{r['peak_rss_mb_train']:.0f} MB")]
    return "\n".join(lines)
