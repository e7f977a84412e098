"""Several people: ``python -m bench.multi_pose_check`` measures the multi-person backend on real data.

1. COCO photos (``skeletons/mmpose_test_coco.json``, 4 images, 14 annotated people): the share of
   annotated people found (a predicted skeleton matched one-to-one, mean joint error under 0.2 of
   the person's size) and their PCK@0.2, against the single-person ``mp.solutions.pose`` path;
2. ``videos/multi/vtest.avi`` (pedestrians, up to ~8 small people): people found per frame, ids
   created, track lengths and id jumps (an id whose skeleton moves more than one body size from
   one frame to the next: it was handed to someone else), all without ground truth;
3. the live loop's frame rate at 640x480 with 1, 2 and 4 people in view (real clips tiled into one
   frame), headless, every frame processed.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from bench.pose_check import DEFAULT_DATA, _need
from bench.result_files import add_result_file_argument, check_result_file, write_result_file
from realtime.multi_pose import MultiPersonPose
from realtime.pose import MediaPipePose, Pose
from realtime.person_crop import body_size
from realtime.tracking import PersonTracker
from training.cli_types import ArgumentParser
from training.errors import run_cli

MATCH_ERROR = 0.2          # a skeleton belongs to an annotated person if its mean error is below 0.2 x their size
FPS_CLIPS = ("realworld/jumping_jacks/THChen2002__medaipipe__Jumping_Jacks.mp4",
             "realworld/jump_rope/Hooneybadger__jump-rope-detector__videos_alternative_jump_video_02.mp4",
             "realworld/situp/THChen2002__medaipipe__situps.mp4",
             "realworld/golf_swing/wmcnally__golfdb__test_video.mp4")


@dataclass
class CocoPeople:
    """People found on the COCO photos."""

    annotated: int            # people in the annotation file
    with_keypoints: int       # of which have at least one labelled joint (PCK is defined for them)
    found: int                # of those, matched by a predicted skeleton
    pck20: float              # mean PCK@0.2 over the found people
    predicted: int            # skeletons returned in all
    per_person: list[dict]


def match_people(poses: list[Pose], annotations: list[dict]) -> list[dict]:
    """One-to-one match of predicted skeletons to annotated people (Hungarian on mean joint error / size).

    Returns one dict per annotated person with keypoints: matched (bool), error (mean / size), pck20.
    """
    people = [a for a in annotations if a["num_keypoints"] > 0]
    rows = []
    cost = np.full((len(people), max(1, len(poses))), 1e6)
    for i, a in enumerate(people):
        kp = np.array(a["keypoints"], np.float32).reshape(17, 3)
        visible, size = kp[:, 2] > 0, max(a["bbox"][2], a["bbox"][3])
        for j, pose in enumerate(poses):
            cost[i, j] = np.linalg.norm(kp[visible, :2] - pose.keypoints[visible], axis=1).mean() / size
    pairs = dict(zip(*linear_sum_assignment(cost))) if poses else {}
    for i, a in enumerate(people):
        kp = np.array(a["keypoints"], np.float32).reshape(17, 3)
        visible, size = kp[:, 2] > 0, max(a["bbox"][2], a["bbox"][3])
        j = pairs.get(i)
        error = float(cost[i, j]) if j is not None else float("inf")
        matched = error < MATCH_ERROR
        pck = float((np.linalg.norm(kp[visible, :2] - poses[j].keypoints[visible], axis=1) <= 0.2 * size).mean()) \
            if matched else 0.0
        rows.append({"id": a["id"], "size_px": round(size), "matched": matched, "error": round(error, 3),
                     "pck20": round(pck, 3)})
    return rows


def check_coco_people(data: Path, max_people: int = 20) -> dict[str, CocoPeople]:
    """Both backends on the four COCO photos (static mode)."""
    coco = json.loads(_need(data / "skeletons/mmpose_test_coco.json").read_text())
    images = [(info, cv2.imread(str(_need(data / "images" / info["file_name"])))) for info in coco["images"]]
    out = {}
    with MultiPersonPose(max_people=max_people, video=False) as multi, MediaPipePose(static_image_mode=True) as single:
        for name, estimate in (("multi-person", multi.estimate_all),
                               ("single-person", lambda image: [p] if (p := single.estimate(image)) else [])):
            rows, predicted = [], 0
            for info, image in images:
                poses = estimate(image)
                predicted += len(poses)
                rows += match_people(poses, [a for a in coco["annotations"] if a["image_id"] == info["id"]])
            found = [r for r in rows if r["matched"]]
            out[name] = CocoPeople(len(coco["annotations"]), len(rows), len(found),
                                   float(np.mean([r["pck20"] for r in found])) if found else 0.0, predicted, rows)
    return out


def check_crowd_video(data: Path, max_people: int = 8, frames: int | None = None) -> dict:
    """Tracking on vtest.avi: people per frame, ids, track lengths, id jumps (no ground truth)."""
    path = _need(data / "videos/multi/vtest.avi")
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 10.0
    counts, last_seen, lengths, jumps, n = [], {}, {}, 0, 0
    with MultiPersonPose(max_people=max_people, video=True) as pose:
        tracker = PersonTracker(fps)
        while frames is None or n < frames:
            ok, image = capture.read()
            if not ok:
                break
            people = tracker.update(pose.estimate_all(image), image)
            counts.append(len(people))
            for person in people:
                lengths[person.id] = lengths.get(person.id, 0) + 1
                before = last_seen.get(person.id)
                if before is not None and before[0] == n - 1:
                    centre = person.pose.keypoints.mean(0)
                    if np.linalg.norm(centre - before[1]) > body_size(person.pose.keypoints):
                        jumps += 1
                last_seen[person.id] = (n, person.pose.keypoints.mean(0))
            n += 1
    capture.release()
    track_s = np.array(list(lengths.values()), float) / fps
    return {"frames": n, "people_per_frame_mean": float(np.mean(counts)) if counts else 0.0,
            "people_per_frame_max": int(max(counts, default=0)), "ids": len(lengths),
            "track_s_median": float(np.median(track_s)) if len(track_s) else 0.0,
            "tracks_over_3s": int((track_s > 3).sum()), "id_jumps": jumps}


def tiled_clip(data: Path, people: int, dest: Path, frames: int = 150, size: tuple[int, int] = (640, 480)) -> Path:
    """A 640x480 clip with ``people`` real clips side by side (1: whole frame, 2: halves, 4: quarters)."""
    grid = {1: (1, 1), 2: (2, 1), 4: (2, 2)}[people]
    cell = (size[0] // grid[0], size[1] // grid[1])
    captures = [cv2.VideoCapture(str(_need(data / "videos" / c))) for c in FPS_CLIPS[:people]]
    writer = cv2.VideoWriter(str(dest), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, size)
    for _ in range(frames):
        canvas = np.zeros((size[1], size[0], 3), np.uint8)
        for k, capture in enumerate(captures):
            ok, image = capture.read()
            if not ok:
                capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, image = capture.read()
            h, w = image.shape[:2]
            scale = min(cell[0] / w, cell[1] / h)
            small = cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
            x0 = (k % grid[0]) * cell[0] + (cell[0] - small.shape[1]) // 2
            y0 = (k // grid[0]) * cell[1] + (cell[1] - small.shape[0]) // 2
            canvas[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
        writer.write(canvas)
    writer.release()
    for capture in captures:
        capture.release()
    return dest


def check_live_fps(data: Path, checkpoint: str = "default", people: tuple[int, ...] = (1, 2, 4),
                   frames: int = 150) -> dict:
    """The live loop (headless, every frame, overlay drawn) with N people in a 640x480 frame."""
    from realtime.cam import LiveOptions, run_live
    from realtime.pose import POSE_LAYOUT
    from training.checkpoint import load_checkpoint, resolve_checkpoint
    ckpt = load_checkpoint(resolve_checkpoint(checkpoint)[0], expected_layout=POSE_LAYOUT)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in people:
            clip = tiled_clip(data, n, Path(tmp) / f"people_{n}.avi", frames)
            for backend, max_people in (("single", 1), ("multi", max(2, n))):
                if backend == "single" and n > 1:
                    continue
                options = LiveOptions(show=False, quiet=True, draw=True, max_people=max_people)
                summary = run_live(str(clip), ckpt, options)
                out[f"{backend}_{n}_people_fps"] = round(summary.fps, 1)
    return out


def main(argv: list[str] | None = None) -> dict:
    p = ArgumentParser(prog="python -m bench.multi_pose_check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="examples:\n  python -m bench.multi_pose_check\n"
                                       "  python -m bench.multi_pose_check --json people.json\n")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder (default ../shared/data)")
    add_result_file_argument(p, "--json", "also write every number as JSON")
    a = p.parse_args(argv)
    check_result_file(a.json, "--json", a.overwrite)
    coco = check_coco_people(a.data)
    for name, r in coco.items():
        print(f"COCO photos, {name}: found {r.found} of {r.with_keypoints} people with labelled joints "
              f"({r.found / r.with_keypoints:.0%}; {r.annotated} annotated), PCK@0.2 {r.pck20:.3f}, "
              f"{r.predicted} skeletons returned")
    crowd = check_crowd_video(a.data)
    print("vtest.avi: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in crowd.items()))
    fps = check_live_fps(a.data)
    print("live loop 640x480: " + ", ".join(f"{k} {v}" for k, v in fps.items()))
    results = {"coco": {k: v.__dict__ for k, v in coco.items()}, "crowd": crowd, "fps": fps}
    write_result_file(a.json, results, a.overwrite)
    return results


if __name__ == "__main__":
    run_cli(main)
