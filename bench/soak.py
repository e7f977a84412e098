"""Does the live loop hold up for hours? ``python -m bench.soak --minutes N``.

Runs ``realtime.cam``'s loop headless on a video file played in a loop (``--loop``: the kiosk
mode) with the overlay drawn as for a screen, and reports, every minute, the frames per second
of that minute and the process's resident memory. Passes when memory grows by less than 5% from
the first minute to the last and the last minute's fps is at least 90% of the first's.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from bench.result_files import add_result_file_argument, check_result_file, write_result_file
from realtime.cam import LiveOptions, run_live
from realtime.live_summary import LiveSummary
from realtime.pose import POSE_LAYOUT, quiet_native_libraries
from training.checkpoint import add_checkpoint_argument, load_checkpoint, resolve_checkpoint
from training.cli_types import ArgumentParser, positive
from training.errors import UserError, run_cli
from training.input_files import check_input_file

SHARED_VIDEO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "videos" / "pose_1.mp4"
RSS_GROWTH_LIMIT = 0.05
FPS_KEEP = 0.90


def rss_mb() -> float:
    """Resident memory of this process (VmRSS), MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def soak(source: Path, checkpoint: Path, minutes: float, every_s: float = 60.0, echo=print) -> dict:
    """Run the loop for ``minutes``; one row per ``every_s`` seconds: {minute, fps, rss_mb}."""
    ckpt = load_checkpoint(checkpoint, expected_layout=POSE_LAYOUT)
    rows: list[dict] = []
    last = {"frames": 0, "seconds": 0.0}

    def report(summary: LiveSummary, elapsed: float) -> None:
        frames, seconds = summary.frames - last["frames"], elapsed - last["seconds"]
        last.update(frames=summary.frames, seconds=elapsed)
        row = {"minute": round(elapsed / 60, 2), "fps": frames / seconds if seconds else 0.0, "rss_mb": rss_mb(),
               "dropped": summary.dropped}
        rows.append(row)
        echo(f"{row['minute']:6.2f} min  {row['fps']:6.1f} fps  RSS {row['rss_mb']:7.1f} MB", flush=True)

    options = LiveOptions(show=False, draw=True, quiet=True, loop=True, duration_s=minutes * 60,
                          report=report, report_every_s=every_s)
    summary = run_live(str(source), ckpt, options)
    if len(rows) < 2:
        raise UserError(f"The run lasted {summary.seconds:.0f} s: too short for two reports; use more --minutes.")
    growth = rows[-1]["rss_mb"] / rows[0]["rss_mb"] - 1.0
    fps_ratio = rows[-1]["fps"] / rows[0]["fps"] if rows[0]["fps"] else 0.0
    return {"source": str(source), "minutes": minutes, "rows": rows, "rss_growth": growth, "fps_last_vs_first": fps_ratio,
            "frames": summary.frames, "stopped": summary.stopped_because,
            "passed": growth < RSS_GROWTH_LIMIT and fps_ratio >= FPS_KEEP}


def main(argv: list[str] | None = None) -> dict:
    p = ArgumentParser(prog="python -m bench.soak", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="examples:\n  python -m bench.soak --minutes 10\n"
                                       "  python -m bench.soak --minutes 60 --source kiosk.mp4 --json soak.json\n")
    p.add_argument("--minutes", type=positive(), default=10.0, help="how long to run (default 10)")
    p.add_argument("--source", type=Path, default=SHARED_VIDEO, help="video file played in a loop")
    p.add_argument("--every", type=positive(), default=60.0, help="seconds between reports (default 60)")
    add_checkpoint_argument(p)
    add_result_file_argument(p, "--json", "write the rows and the verdict as JSON")
    a = p.parse_args(argv)
    quiet_native_libraries()
    check_result_file(a.json, "--json", a.overwrite)
    check_input_file(a.source, "Soak source", if_missing="Pass --source VIDEO.")
    path, why = resolve_checkpoint(a.checkpoint)
    print(f"model {path} ({why}); soaking {a.minutes:g} min on {a.source} (looped)", flush=True)
    result = soak(a.source, path, a.minutes, a.every)
    print(f"RSS growth {result['rss_growth']:+.1%} (limit +{RSS_GROWTH_LIMIT:.0%}), last/first fps "
          f"{result['fps_last_vs_first']:.2f} (>= {FPS_KEEP:.2f}): {'PASS' if result['passed'] else 'FAIL'}")
    write_result_file(a.json, result, a.overwrite)
    return result


if __name__ == "__main__":
    run_cli(main)
