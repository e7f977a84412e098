"""One command from a fresh install to the live recogniser: ``python -m realtime.demo --help``.

1. Model: ``--checkpoint`` (default: the newest run under runs/, else the model bundled with the
   project: no download, no training). It trains first only when asked: ``--data FILE`` trains
   on that skeleton file, ``--train`` alone trains the spec recipe on the published
   ``ucf101_2d.pkl`` (downloaded once into a cache).
2. Source: ``--source`` when given; else the webcam 0 (no camera: run it on a video).
3. The live loop (a window where a display can be opened, headless otherwise).
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from realtime.cam import LiveOptions, choose_display, run_live
from realtime.live_summary import LiveSummary
from realtime.pose import POSE_LAYOUT, quiet_native_libraries
from realtime.source_names import resolve_sources
from realtime.sources import open_capture
from training.checkpoint import add_checkpoint_argument, load_checkpoint, resolve_checkpoint
from training.cli_types import ArgumentParser, CommaJoined, number, output_file, path_text, path_value, positive
from training.config import RECIPES, resolve_config
from training.dataset import load_skeleton_file
from training.decision import add_decision_arguments
from training.device import add_device_argument, resolve_device
from training.download import UCF101_URL, download_file
from training.errors import UserError, run_cli
from training.train import train

EXAMPLES = """examples:
  python -m realtime.demo                                          # webcam, bundled model
  python -m realtime.demo --source ../shared/data/videos/pose_squats.mp4 --no-show
  python -m realtime.demo --train                                  # spec recipe on ucf101_2d.pkl (downloaded once)
  python -m realtime.demo --data ../shared/data/skeletons/penn_action_train_2d.pkl \\
      --label-map ../shared/data/skeletons/penn_action_label_map.txt --fps 30 --recipe strong
"""
SHARED_DEMO_VIDEO = "../shared/data/videos/pose_squats.mp4"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "action-recogniser"


def _step(message: str) -> float:
    print(f"==> {message}", flush=True)
    return time.perf_counter()


def cached_download(url: str, cache_dir: Path) -> Path:
    """The published file in the cache, downloaded once; a cached copy that no longer loads is replaced."""
    path = cache_dir / Path(url).name
    if path.exists():
        try:
            load_skeleton_file(path)
            print(f"==> using the cached data file {path}")
            return path
        except UserError as exc:
            print(f"==> the cached {path.name} is damaged ({exc}); downloading it again")
            path.unlink()
    t = _step(f"downloading {url} into {cache_dir} (once)")
    download_file(url, path)
    print(f"    done in {time.perf_counter() - t:.0f} s")
    return path


def train_for_demo(data: str | None, args: argparse.Namespace) -> Path:
    """Train the model the demo was asked for; returns its model.pt."""
    data_path = Path(data) if data else cached_download(args.url, args.cache_dir)
    cli = {"data": str(data_path), "label_map": args.label_map, "classes": args.classes, "recipe": args.recipe,
           "fps": args.fps, "epochs": args.epochs}
    if args.label_map and not args.classes:
        cli["classes"] = "all"
    config = resolve_config(cli)
    t = _step(f"training on {data_path} (recipe {config.recipe}, {config.epochs} epochs, classes {config.classes})")
    result = train(config)
    print(f"    trained in {time.perf_counter() - t:.0f} s -> {result.run_dir}")
    if result.stopped_early:
        raise KeyboardInterrupt          # Ctrl-C stops the demo; the epochs finished are saved in the run
    return result.run_dir / "model.pt"


def choose_source(source: str | None) -> str | int:
    """--source when given (its first video), else the webcam 0 if it opens."""
    if source is not None:
        return resolve_sources(source)[0]
    try:
        open_capture(0).release()
    except UserError as exc:
        raise UserError(f"{exc} No webcam here: run the demo on a video instead, e.g. "
                        f"`python -m realtime.demo --source {SHARED_DEMO_VIDEO} --no-show`.") from None
    return 0


def main(argv: list[str] | None = None) -> LiveSummary:
    p = ArgumentParser(prog="python -m realtime.demo", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", help="video file, folder, stream URL or camera index (default: webcam 0)")
    add_checkpoint_argument(p)
    add_device_argument(p)
    train_group = p.add_argument_group("training first (only when asked)")
    train_group.add_argument("--train", action="store_true",
                             help="train the spec recipe on the published ucf101_2d.pkl (downloaded once) first")
    train_group.add_argument("--data", type=path_text, help="train on this skeleton file first (implies --train)")
    train_group.add_argument("--label-map", type=path_text, help="the data file's label map (default: UCF101's)")
    train_group.add_argument("--classes", nargs="+", action=CommaJoined, metavar="CLASSES",
                             help="classes to train, separated by commas or spaces (default: the spec's five; 'all' "
                                  "with --label-map)")
    train_group.add_argument("--recipe", choices=list(RECIPES), help="training recipe (default spec)")
    train_group.add_argument("--fps", type=positive(), help="frame rate of the data's clips (default 25)")
    train_group.add_argument("--epochs", type=positive(int), help="epochs (default: the recipe's)")
    train_group.add_argument("--cache-dir", type=path_value, default=default_cache_dir(),
                             help="where the download is kept")
    train_group.add_argument("--url", default=UCF101_URL, help="where to download the data from")
    p.add_argument("--no-show", action="store_true", help="no window: print predictions")
    p.add_argument("--save", type=output_file, help="write the annotated video")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--duration", type=positive(), help="stop after N seconds")
    p.add_argument("--max-people", type=number(int, 1, 16), default=1,
                   help="follow up to N people, each with an id and a label (default 1)")
    p.add_argument("--verbose", action="store_true", help="show MediaPipe/TFLite/OpenCV log lines")
    add_decision_arguments(p)
    a = p.parse_args(argv)
    quiet_native_libraries(a.verbose)
    device = resolve_device(a.device)                 # a missing GPU is said before any training
    started = time.perf_counter()
    source = choose_source(a.source)
    if a.train or a.data:
        if a.checkpoint:
            raise UserError("--checkpoint names a model to use; --train/--data train a new one. Pass one of them.")
        path, why = train_for_demo(a.data, a), "trained just now"
    else:
        if any(v is not None for v in (a.label_map, a.classes, a.recipe, a.fps, a.epochs)):
            raise UserError("--label-map, --classes, --recipe, --fps and --epochs only apply when training: "
                            "add --data FILE (or --train).")
        path, why = resolve_checkpoint(a.checkpoint)
    print(f"==> model {path} ({why})", flush=True)
    ckpt = load_checkpoint(path, expected_layout=POSE_LAYOUT, device=device)
    show, screen = choose_display(a.no_show, a.save)
    print(f"==> live recognition of {', '.join(ckpt.classes)} on "
          f"{'webcam ' + str(source) if isinstance(source, int) else source}" + (" (q to quit)" if show else ""))
    decision = ckpt.decision_from(a)
    summary = run_live(source, ckpt, LiveOptions(show=show, screen=screen, save=a.save, overwrite=a.overwrite,
                                                 duration_s=a.duration, decision=decision,
                                                 max_people=a.max_people, verbose=a.verbose))
    print(f"==> {summary.describe()}")
    for line in summary.segment_lines():
        print(f"    {line}")
    print(f"==> total {time.perf_counter() - started:.0f} s")
    if summary.exit_status:                               # as realtime.cam
        raise SystemExit(summary.exit_status)
    return summary


if __name__ == "__main__":
    run_cli(main)
