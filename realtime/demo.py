"""One command from a fresh install to the live recogniser: ``python -m realtime.demo --help``.

1. Model: the newest run under runs/; if there is none, train the default model first, from
   --data when given, else from the published ucf101_2d.pkl (downloaded once into a cache).
2. Source: --source when given; else the webcam 0 (if no camera opens, pass --source VIDEO).
3. The live loop (a window where a display exists, headless otherwise).
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from realtime.cam import LiveOptions, LiveSummary, run_live
from realtime.pose import POSE_LAYOUT
from realtime.sources import open_capture, resolve_sources
from realtime.video_io import display_available
from training.checkpoint import find_latest_checkpoint, load_checkpoint
from training.config import TrainConfig
from training.download import UCF101_URL, download_file
from training.errors import UserError, run_cli
from training.train import train

EXAMPLES = """examples:
  python -m realtime.demo                                  # webcam; trains on ucf101_2d.pkl first if needed
  python -m realtime.demo --source ../shared/data/videos/pose_squats.mp4
  python -m realtime.demo --data ucf101_2d.pkl --source clip.mp4 --no-show --save demo.mp4
"""


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "action-recogniser"


def _step(message: str) -> float:
    print(f"==> {message}", flush=True)
    return time.perf_counter()


def ensure_checkpoint(data: str | None, cache_dir: Path, url: str, epochs: int | None = None) -> Path:
    """The newest trained checkpoint, training the default model first when there is none."""
    try:
        path = find_latest_checkpoint()
        print(f"==> using the newest model: {path}")
        return path
    except UserError:
        pass
    if data is None:
        data_path = cache_dir / Path(url).name
        if data_path.exists():
            print(f"==> using the cached data file {data_path}")
        else:
            t = _step(f"no model and no data yet: downloading {url} into {cache_dir} (once)")
            download_file(url, data_path)
            print(f"    done in {time.perf_counter() - t:.0f} s")
    else:
        data_path = Path(data)
    config = TrainConfig(data=str(data_path), **({"epochs": epochs} if epochs else {}))
    t = _step(f"training the default model on {data_path} ({config.epochs} epochs, classes {config.classes})")
    result = train(config)
    print(f"    trained in {time.perf_counter() - t:.0f} s -> {result.run_dir}")
    return result.run_dir / "model.pt"


def choose_source(source: str | None) -> str | int:
    """--source when given (its first video), else the webcam 0 if it opens."""
    if source is not None:
        return resolve_sources(source)[0]
    try:
        open_capture(0).release()
    except UserError as exc:
        raise UserError(f"{exc} No webcam here: run the demo on a video instead, e.g. "
                        "`python -m realtime.demo --source ../shared/data/videos/pose_squats.mp4`.") from None
    return 0


def main(argv: list[str] | None = None) -> LiveSummary:
    p = argparse.ArgumentParser(prog="python -m realtime.demo", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", help="video file, folder or camera index (default: webcam 0)")
    p.add_argument("--data", help="train from this skeleton file if no model exists (default: download ucf101_2d.pkl)")
    p.add_argument("--cache-dir", type=Path, default=default_cache_dir(), help="where the download is kept")
    p.add_argument("--url", default=UCF101_URL, help="where to download the data from")
    p.add_argument("--epochs", type=int, help="epochs if a model must be trained (default: the recipe's 5)")
    p.add_argument("--no-show", action="store_true", help="no window: print predictions")
    p.add_argument("--save", type=Path, help="write the annotated video")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--duration", type=float, help="stop after N seconds")
    a = p.parse_args(argv)
    started = time.perf_counter()
    source = choose_source(a.source)
    checkpoint = ensure_checkpoint(a.data, a.cache_dir, a.url, a.epochs)
    ckpt = load_checkpoint(checkpoint, expected_layout=POSE_LAYOUT)
    show = not a.no_show and display_available()
    if not a.no_show and not show:
        print("==> no display found: running headless and printing predictions"
              + (f"; the annotated video goes to {a.save}" if a.save else " (add --save out.mp4 to keep the video)"))
    print(f"==> live recognition of {', '.join(ckpt.classes)} on "
          f"{'webcam ' + str(source) if isinstance(source, int) else source}" + (" (q to quit)" if show else ""))
    summary = run_live(source, ckpt, LiveOptions(show=show, save=a.save, overwrite=a.overwrite, duration_s=a.duration,
                                                 smooth=3))
    print(f"==> {summary.describe()}")
    print(f"==> total {time.perf_counter() - started:.0f} s")
    return summary


if __name__ == "__main__":
    run_cli(main)
