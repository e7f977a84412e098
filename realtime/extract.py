"""Build your own skeleton dataset from videos, in exactly the ``ucf101_2d.pkl`` format.

``python -m realtime.extract --help``. The same pose + mapping + resampling as the live loop;
the result trains with ``python -m training.train --data OUT.pkl --label-map OUT.labels.txt``.
"""
from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
from tqdm import tqdm

from realtime.pose import make_pose_estimator
from realtime.sources import VideoFileReader, resolve_sources
from realtime.window import TimeResampler
from training.errors import UserError, run_cli

EXAMPLES = """examples:
  python -m realtime.extract my_videos/ --labels-from-folders --out my_skeletons.pkl
  python -m realtime.extract squat1.mp4 squat2.mp4 --label squat --out squats.pkl
  python -m training.train --data my_skeletons.pkl --label-map my_skeletons.labels.txt --classes all
"""


def extract_video(path: str, pose_model: str | None, fps: float) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """One video -> keypoint (1, T, 17, 2) float16 pixels and keypoint_score (1, T, 17) float16 at ``fps``.

    Poses are resampled by their timestamps exactly as the live window does; frames without a
    person are left out (the feature function would drop them anyway).
    """
    resampler = TimeResampler(fps)
    rows: list[np.ndarray] = []   # (17, 3): x, y, score, so scores are interpolated with the joints
    with VideoFileReader(path) as reader, make_pose_estimator(pose_model, video=True) as pose:
        shape = (reader.height, reader.width)
        for frame in reader:
            p = pose.estimate(frame.image, frame.timestamp_s)
            if p is None:
                resampler.reset()
                continue
            rows.extend(resampler.push(frame.timestamp_s, np.concatenate([p.keypoints, p.scores[:, None]], axis=1)))
    both = np.array(rows, dtype=np.float32).reshape(-1, 17, 3)
    return both[None, :, :, :2].astype(np.float16), both[None, :, :, 2].astype(np.float16), shape


def extract(inputs: list[str], out: Path, label: str | None, labels_from_folders: bool, fps: float,
            pose_model: str | None = None, overwrite: bool = False) -> tuple[dict, list[tuple[str, str]]]:
    """Extract every video; write ``out`` and ``out.labels.txt``; return the data and the failures."""
    if (label is None) == (not labels_from_folders):
        raise UserError("Give either --label NAME (one class for every video) or --labels-from-folders.")
    if out.exists() and not overwrite:
        raise UserError(f"'{out}' exists; choose another --out or add --overwrite.")
    videos = [v for source in inputs for v in resolve_sources(source) if not isinstance(v, int)]
    class_of = {v: (label if label is not None else Path(v).parent.name) for v in videos}
    classes = sorted(set(class_of.values()))
    annotations, failed = [], []
    for video in tqdm(videos, desc="extracting", unit="video"):
        try:
            keypoint, score, (h, w) = extract_video(video, pose_model, fps)
        except UserError as exc:
            failed.append((video, str(exc)))
            tqdm.write(f"skipped {video}: {exc}")
            continue
        annotations.append({"frame_dir": Path(video).stem, "label": classes.index(class_of[video]),
                            "img_shape": (h, w), "original_shape": (h, w), "total_frames": keypoint.shape[1],
                            "keypoint": keypoint, "keypoint_score": score})
    if not annotations:
        raise UserError(f"No video could be read ({len(failed)} failed); nothing was written.")
    data = {"split": {"all": [a["frame_dir"] for a in annotations]}, "annotations": annotations}
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as f:
        pickle.dump(data, f, protocol=4)
    out.with_suffix(".labels.txt").write_text("\n".join(classes) + "\n")
    return data, failed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m realtime.extract", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", help="video files, folders or globs")
    p.add_argument("--out", type=Path, required=True, help="pickle to write (refuses to overwrite)")
    p.add_argument("--label", help="class name of every video")
    p.add_argument("--labels-from-folders", action="store_true", help="class = the name of each video's folder")
    p.add_argument("--fps", type=float, default=25.0, help="resample every video to this rate (default 25, as UCF101)")
    p.add_argument("--pose-model", help="MediaPipe Tasks .task file (default: the bundled mp.solutions model)")
    p.add_argument("--overwrite", action="store_true")
    a = p.parse_args(argv)
    data, failed = extract(a.inputs, a.out, a.label, a.labels_from_folders, a.fps, a.pose_model, a.overwrite)
    n = len(data["annotations"])
    print(f"wrote {a.out} ({n} clips at {a.fps:g} fps) and {a.out.with_suffix('.labels.txt')}")
    print(f"train with: python -m training.train --data {a.out} --label-map {a.out.with_suffix('.labels.txt')} "
          f"--classes all --fps {a.fps:g}")
    if failed:
        print(f"{len(failed)} video(s) failed:")
        for path, why in failed:
            print(f"  {path}: {why}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
