"""Measure MediaPipe + the COCO-17 mapping against real references: ``python -m bench.pose_check``.

Five references nobody on the team wrote (see ../shared/data/MANIFEST.md): MediaPipe's own
expected landmarks (image and squats video), COCO ground truth on four photos, MoveNet's COCO-17
track of a dance clip, and the HRNet skeleton of a real UCF101 clip (the training domain).
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from bench.result_files import add_result_file_argument, check_result_file, write_result_file
from mapping.agreement import bbox_size, mean_error, pck
from mapping.convert import rescale_keypoints
from mapping.layouts import COCO17, MEDIAPIPE33
from realtime.pose import MediaPipePose
from realtime.sources import VideoFileReader
from training.cli_types import ArgumentParser
from training.errors import UserError, run_cli
from training.safe_pickle import safe_load_pickle
from training.features import FeatureSpec, build_features

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass
class Agreement:
    """One reference's result: a headline, and per-keypoint numbers (name -> value)."""

    name: str
    frames: int
    detected: int
    headline: dict[str, float]
    per_keypoint: dict[str, dict[str, float]] = field(default_factory=dict)


def _need(path: Path) -> Path:
    if not path.exists():
        raise UserError(f"Reference '{path}' not found; pass --data pointing at the shared data folder.")
    return path


def _track(video: Path, every: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """Run tracking-mode MediaPipe over a video.

    Returns:
        coco (N, 17, 2) pixels, landmarks33 (N, 33, 2) pixels, found (N,) bool, (height, width).
    """
    coco, lm33, found = [], [], []
    with VideoFileReader(video) as reader, MediaPipePose(static_image_mode=False) as pose:
        size = (reader.height, reader.width)
        for frame in reader:
            p = pose.estimate(frame.image)
            found.append(p is not None)
            coco.append(p.keypoints if p else np.zeros((17, 2), np.float32))
            lm33.append(p.landmarks[:, :2] * [reader.width, reader.height] if p else np.zeros((33, 2)))
    return np.array(coco), np.array(lm33), np.array(found), size


def _per_keypoint(names: tuple[str, ...], **columns: np.ndarray) -> dict[str, dict[str, float]]:
    return {n: {k: float(v[i]) for k, v in columns.items()} for i, n in enumerate(names)}


def check_image_landmarks(data: Path) -> Agreement:
    """MediaPipe on its own test image vs its expected 33 landmarks (its tolerance: 15 px)."""
    ref = json.loads(_need(data / "skeletons/mediapipe_pose_jpg_expected_landmarks.json").read_text())
    image = cv2.imread(str(_need(data / "images/mediapipe_tfjs_pose.jpg")))
    with MediaPipePose(static_image_mode=True) as pose:
        p = pose.estimate(image)
    if p is None:
        return Agreement("mediapipe image (33 lm)", 1, 0, {"within_15px": 0.0})
    expected = np.array(ref["expected_pixel_xy"], dtype=np.float32)[None]
    got = (p.landmarks[:, :2] * [image.shape[1], image.shape[0]])[None]
    err = mean_error(got, expected)
    return Agreement("mediapipe image (33 lm)", 1, 1,
                     {"mean_px": float(err.mean()), "max_px": float(err.max()), "within_15px": float((err <= 15).mean())},
                     _per_keypoint(MEDIAPIPE33, error_px=err))


def check_squats_video(data: Path) -> Agreement:
    """Tracking mode on pose_squats.mp4 vs BlazePose-full's expected 33 landmarks per frame."""
    ref = np.array(json.loads(_need(data / "skeletons/blazepose33_pose_squats.full.json").read_text()))[..., :2]
    _, got, found, _ = _track(_need(data / "videos/pose_squats.mp4"))
    n = min(len(ref), len(got))
    ref, got, found = ref[:n], got[:n], found[:n]
    size = bbox_size(ref)
    valid = np.repeat(found[:, None], 33, axis=1)
    err = mean_error(got, ref, valid)
    share = pck(got, ref, size, 0.05, valid)
    return Agreement("squats video (33 lm)", n, int(found.sum()),
                     {"mean_px": float(np.nanmean(err)), "pck@0.05": float(np.nanmean(share)),
                      "within_15px": float(np.nanmean(pck(got, ref, np.full(n, 15.0), 1.0, valid)))},
                     _per_keypoint(MEDIAPIPE33, error_px=err, pck05=share))


def check_coco_photos(data: Path) -> Agreement:
    """Static mode on four COCO photos vs ground truth; the GT person nearest MediaPipe's is used."""
    coco = json.loads(_need(data / "skeletons/mmpose_test_coco.json").read_text())
    predicted, reference, visible, sizes = [], [], [], []
    with MediaPipePose(static_image_mode=True) as pose:
        for info in coco["images"]:
            image = cv2.imread(str(_need(data / "images" / info["file_name"])))
            p = pose.estimate(image)
            if p is None:
                continue
            people = [a for a in coco["annotations"] if a["image_id"] == info["id"] and a["num_keypoints"] > 0]
            best, best_d = None, np.inf
            for a in people:
                kp = np.array(a["keypoints"], dtype=np.float32).reshape(17, 3)
                vis = kp[:, 2] > 0
                d = np.linalg.norm(kp[vis, :2] - p.keypoints[vis], axis=1).mean()
                if d < best_d:
                    best, best_d = a, d
            kp = np.array(best["keypoints"], dtype=np.float32).reshape(17, 3)
            predicted.append(p.keypoints)
            reference.append(kp[:, :2])
            visible.append(kp[:, 2] > 0)
            sizes.append(max(best["bbox"][2], best["bbox"][3]))
    pred, ref, vis, size = map(np.array, (predicted, reference, visible, sizes))
    p10, p20 = pck(pred, ref, size, 0.1, vis), pck(pred, ref, size, 0.2, vis)
    return Agreement("COCO photos (GT)", len(coco["images"]), len(pred),
                     {"pck@0.1": float(np.nanmean(p10)), "pck@0.2": float(np.nanmean(p20))},
                     _per_keypoint(COCO17, pck10=p10, pck20=p20))


def check_movenet_track(data: Path) -> Agreement:
    """Tracking mode on pose_1.mp4 vs MoveNet's COCO-17 track."""
    frames = json.loads(_need(data / "skeletons/movenet_coco17_pose_1.json").read_text())
    ref = np.array([[[f[n]["x"], f[n]["y"]] for n in COCO17] for f in frames], dtype=np.float32)
    got, _, found, _ = _track(_need(data / "videos/pose_1.mp4"))
    n = min(len(ref), len(got))
    ref, got, found = ref[:n], got[:n], found[:n]
    valid = np.repeat(found[:, None], 17, axis=1)
    size = bbox_size(ref)
    p10, p20 = pck(got, ref, size, 0.1, valid), pck(got, ref, size, 0.2, valid)
    return Agreement("dance video vs MoveNet", n, int(found.sum()),
                     {"pck@0.1": float(np.nanmean(p10)), "pck@0.2": float(np.nanmean(p20))},
                     _per_keypoint(COCO17, pck10=p10, pck20=p20))


def check_ucf101_hrnet(data: Path) -> Agreement:
    """Tracking mode on the UCF101 avi vs its HRNet skeleton (rescaled 340x256 -> 320x240).

    Also the domain gap the model sees: mean |difference| of the two sequences after the
    training normalisation, over the frames where MediaPipe found the person.
    """
    record = safe_load_pickle(_need(data / "skeletons/example_UCF101_skeleton_v_ApplyEyeMakeup_g01_c01.pkl"))
    got, _, found, (h, w) = _track(_need(data / "videos/v_ApplyEyeMakeup_g01_c01.avi"))
    hrnet = rescale_keypoints(record["keypoint"][0].astype(np.float32), tuple(record["img_shape"]), (h, w))
    n = min(len(hrnet), len(got))
    hrnet, got, found = hrnet[:n], got[:n], found[:n]
    valid = np.repeat(found[:, None], 17, axis=1)
    size = bbox_size(hrnet)
    p10, p20 = pck(got, hrnet, size, 0.1, valid), pck(got, hrnet, size, 0.2, valid)
    spec = FeatureSpec(max_frames=n)
    a, la = build_features(hrnet[found], spec)
    b, lb = build_features(got[found], spec)
    gap = np.abs(a[:la] - b[:lb]).reshape(la, 17, 2).mean(axis=(0, 2))   # (17,) in normalised units
    return Agreement("UCF101 clip vs HRNet", n, int(found.sum()),
                     {"pck@0.1": float(np.nanmean(p10)), "pck@0.2": float(np.nanmean(p20)),
                      "norm_gap": float(gap.mean())},
                     _per_keypoint(COCO17, pck10=p10, pck20=p20, norm_gap=gap))


CHECKS = (check_image_landmarks, check_squats_video, check_coco_photos, check_movenet_track, check_ucf101_hrnet)


def format_table(results: list[Agreement]) -> str:
    """A headline row per reference, then per-keypoint PCK@0.1 for the COCO-17 references."""
    lines = [f"{'reference':<26} {'frames':>6} {'found':>6}  headline"]
    for r in results:
        head = "  ".join(f"{k} {v:.3f}" if v < 10 else f"{k} {v:.1f}" for k, v in r.headline.items())
        lines.append(f"{r.name:<26} {r.frames:>6} {r.detected:>6}  {head}")
    coco = [r for r in results if r.per_keypoint and "pck10" in next(iter(r.per_keypoint.values()))]
    if coco:
        lines += ["", "PCK@0.1 per COCO-17 keypoint:", f"{'keypoint':<16}" + "".join(f"{r.name[:22]:>24}" for r in coco)]
        for name in COCO17:
            lines.append(f"{name:<16}" + "".join(f"{r.per_keypoint[name]['pck10']:>24.2f}" for r in coco))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[Agreement]:
    p = ArgumentParser(prog="python -m bench.pose_check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="examples:\n  python -m bench.pose_check\n  python -m bench.pose_check --json agreement.json\n")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder (default ../shared/data)")
    add_result_file_argument(p, "--json", "also write every number as JSON")
    a = p.parse_args(argv)
    check_result_file(a.json, "--json", a.overwrite)
    results = [check(a.data) for check in CHECKS]
    print(format_table(results))
    write_result_file(a.json, [r.__dict__ for r in results], a.overwrite)
    return results


if __name__ == "__main__":
    run_cli(main)
