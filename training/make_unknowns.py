"""Skeletons of actions the model must not name, from motion capture: ``python -m training.make_unknowns --help``.

Writes a skeleton file in the ``ucf101_2d.pkl`` format whose clips are DeepMimic's captured
motions (walking, running, punching, kicking, two dances, cartwheels, ...; see
:mod:`training.motion_capture`) filmed from many directions. ``training.train --unknown-data FILE``
trains every member to be unsure of them (equal probabilities, as for the classes ``--leave-out``
hides), so the model meets real human motion that is none of its classes.
"""
from __future__ import annotations

import argparse
import importlib.util
import pickle
from pathlib import Path

import numpy as np
from tqdm import tqdm

from training.cli_types import ArgumentParser, number, output_file, path_text
from training.errors import UserError, run_cli
from training.features import FPS_RANGE
from training.motion_capture import project, read_motion
from training.outputs import atomic_path, check_output_file

# Motions that hold one of Penn Action's classes: getting up from lying on the back starts as a
# sit-up, from lying face down as a push-up. Left out so the model is not taught to doubt those.
HOLDS_A_KNOWN_ACTION = ("humanoid3d_getup_faceup", "humanoid3d_getup_facedown")
IMAGE_SIZE = (480, 640)          # (height, width) of the imagined camera's picture
MAX_VIEWS = 360                  # one per degree; more would only repeat views (and fill the memory)


def pybullet_motions() -> Path | None:
    """The motion folder of an installed ``pybullet`` (``pip install pybullet``), without importing it."""
    spec = importlib.util.find_spec("pybullet_data")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "data" / "motions"
    return folder if folder.is_dir() else None


def motion_files(folder: Path | None, exclude: tuple[str, ...]) -> list[Path]:
    """The humanoid motion files of ``folder`` (default: PyBullet's), sorted, less ``exclude``.

    Raises:
        UserError: no folder, or no motion in it.
    """
    if folder is None:
        folder = pybullet_motions()
        if folder is None:
            raise UserError("No motion capture found: install PyBullet (`pip install pybullet`, which ships "
                            "DeepMimic's motions) or pass --motions DIR holding humanoid3d_*.txt files.")
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"--motions '{folder}' is not a folder; give the folder holding the humanoid3d_*.txt files.")
    if not any(folder.glob("humanoid3d_*.txt")) and (folder / "data" / "motions").is_dir():
        folder = folder / "data" / "motions"              # the pybullet_data folder itself was given
    files = sorted(p for p in folder.glob("humanoid3d_*.txt") if p.stem not in exclude)
    if not files:
        raise UserError(f"--motions '{folder}' holds no humanoid3d_*.txt motion file (DeepMimic's format).")
    return files


def unknown_action_file(files: list[Path], views: int, fps: float, rng: np.random.Generator,
                        progress: bool = True) -> dict:
    """Each motion filmed ``views`` times -> a dict in the ``ucf101_2d.pkl`` format.

    View k of a motion is taken from azimuth ``360 k / views`` plus a random offset, 5 degrees
    below to 25 above the person, the person 150-400 px tall in a 640x480 picture. Labels
    number the motions in file order; ``frame_dir`` names motion and view.
    """
    annotations = []
    for label, path in enumerate(tqdm(files, desc="filming motions", unit="motion", disable=not progress)):
        motion = read_motion(path, fps)
        offset = rng.uniform(0.0, 360.0 / views)
        for k in range(views):
            azimuth = offset + 360.0 * k / views
            keypoints, scores = project(motion.positions, azimuth, rng.uniform(-5.0, 25.0), rng.uniform(150.0, 400.0),
                                        IMAGE_SIZE)
            annotations.append({
                "frame_dir": f"{motion.name}_view{k:02d}_az{azimuth:03.0f}", "label": label,
                "img_shape": IMAGE_SIZE, "original_shape": IMAGE_SIZE, "total_frames": len(keypoints),
                "keypoint": keypoints[None].astype(np.float16), "keypoint_score": scores[None].astype(np.float16)})
    return {"split": {"all": [a["frame_dir"] for a in annotations]}, "annotations": annotations}


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="python -m training.make_unknowns",
        description="Skeletons of actions outside the model's classes (motion capture filmed from many "
                    "directions), for training.train --unknown-data.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  pip install pybullet            # ships DeepMimic's captured motions\n"
               "  python -m training.make_unknowns --out runs/unknown_actions.pkl\n"
               "  python -m training.train --data penn_action_train_2d.pkl --label-map penn_action_label_map.txt \\\n"
               "      --classes all --fps 30 --recipe trust --unknown-data runs/unknown_actions.pkl")
    parser.add_argument("--out", type=output_file, required=True, help="skeleton file to write (.pkl)")
    parser.add_argument("--motions", type=path_text, default=None,
                        help="folder of DeepMimic humanoid3d_*.txt motions, or a pybullet_data folder (default: the "
                             "installed PyBullet's)")
    parser.add_argument("--views", type=number(int, 1, MAX_VIEWS), default=12,
                        help=f"camera directions per motion, 1-{MAX_VIEWS} (default 12)")
    parser.add_argument("--fps", type=number(float, *FPS_RANGE), default=30.0,
                        help="frame rate of the written clips; use the training's --fps (default 30, Penn Action)")
    parser.add_argument("--exclude", default=",".join(HOLDS_A_KNOWN_ACTION),
                        help="motions to leave out, comma-separated file stems (default: the two get-ups, which "
                             "start as a sit-up and a push-up)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the camera placements (default 0)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    return parser


def main(argv: list[str] | None = None) -> Path:
    args = build_parser().parse_args(argv)
    out = Path(args.out)
    check_output_file(out, "--out", args.overwrite, suffixes=(".pkl",))
    exclude = tuple(s.strip() for s in args.exclude.split(",") if s.strip())
    files = motion_files(Path(args.motions) if args.motions else None, exclude)
    data = unknown_action_file(files, args.views, args.fps, np.random.default_rng(args.seed))
    writer = atomic_path(out, replace=args.overwrite)
    with writer as tmp, tmp.open("wb") as f:
        pickle.dump(data, f, protocol=4)
    print(f"wrote {len(data['annotations'])} clips ({len(files)} motions x {args.views} views) to {writer.final}")
    return writer.final


if __name__ == "__main__":
    run_cli(main)
