"""Build your own skeleton dataset from videos, in exactly the ``ucf101_2d.pkl`` format.

``python -m realtime.extract --help``. The same pose + mapping + resampling as the live loop;
the result trains with ``python -m training.train --data OUT.pkl --label-map OUT.labels.txt``.
Each clip keeps the video's timeline, resampled to ``--fps``: frames where nobody was found are
zeros (the format's "nobody"), so a clip with a gap keeps its length; each record also carries
the ``fps`` it was sampled at.
"""
from __future__ import annotations

import argparse
import os
import pickle
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from realtime.extract_append import appended, classes_after, names_apart, read_existing
from realtime.opencv_paths import is_valid_unicode
from realtime.pose import (add_pose_threads_argument, check_pose_model, check_pose_options, chosen_pose_threads,
                           make_pose_estimator, quiet_native_libraries)
from realtime.source_names import distinct_stems, local_path_of, resolve_video_files, without_repeats
from realtime.sources import VideoFileReader, too_slow_to_follow
from realtime.tracking import PersonTracker
from realtime.window import TimeResampler, bridgeable_gap
from training.cli_types import ArgumentParser, number, output_file, path_text
from training.decision import reserved_name, why_reserved
from training.errors import UserError, run_cli
from training.features import joint_present
from training.labels import without_line_numbers
from training.outputs import (atomic_path, check_output_file, check_outputs_apart, publish_or_rescue, through_link,
                              write_text_atomic)
from training.selection import label_map_beside

EXAMPLES = """examples:
  python -m realtime.extract my_videos/ --labels-from-folders --out my_skeletons.pkl
  python -m realtime.extract squat1.mp4 squat2.mp4 --label squat --out squats.pkl
  python -m realtime.extract pushups/ --label pushup --out squats.pkl --append   # a class more in the same file
  python -m realtime.extract gym/ --labels-from-folders --max-people 3 --out gym.pkl   # (M, T, 17, 2) per clip
  python -m training.train --data my_skeletons.pkl --label-map my_skeletons.labels.txt --classes all --fps 25
"""


def resample_track(times: np.ndarray, rows: np.ndarray, found: np.ndarray, fps: float,
                   source_fps: float) -> np.ndarray:
    """A video's per-frame poses -> poses on a regular ``fps`` grid over the whole video.

    Args:
        times: (N,) frame times in seconds.
        rows: (N, V, 3) x, y, score per frame (anything where ``found`` is False).
        found: (N,) a person was found in that frame.

    Returns:
        (T, V, 3) float32 on the grid 0, 1/fps, ... up to the last frame's time: poses
        interpolated exactly as the live window does, zeros for grid times where nobody was seen.
    """
    length = int(round(times[-1] * fps)) + 1 if len(times) else 0
    out = np.zeros((length, rows.shape[1], 3), dtype=np.float32)
    resampler = TimeResampler(fps, max_gap_s=bridgeable_gap(source_fps))
    index = None                                     # grid position of the next resampled pose
    for t, row, ok in zip(times, rows, found):
        if not ok:                                   # nobody: the next pose starts a new stretch
            resampler.reset()
            index = None
            continue
        poses = resampler.push(t, row)
        if index is None or len(poses) == 1 and poses[0] is row:
            index = int(round(t * fps))              # a stretch starts where its first pose was seen
        for pose in poses:
            if index < len(out):
                out[index] = pose
            index += 1
    return out


def note_if_slow(path: str, source_fps: float, fps: float) -> None:
    """A note under the progress bar for a video too slow to follow motion (its clip is rough)."""
    if slow := too_slow_to_follow(source_fps, fps):
        tqdm.write(f"note: {path}: {slow}")


def extract_video(path: str, pose_model: str | None, fps: float, verbose: bool = False,
                  pose_threads: int | None = None) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """One video -> keypoint (1, T, 17, 2) float16 pixels and keypoint_score (1, T, 17) float16 at ``fps``."""
    times, rows, found = [], [], []
    with VideoFileReader(path) as reader, make_pose_estimator(pose_model, video=True, verbose=verbose,
                                                              threads=pose_threads) as pose:
        shape, source_fps = (reader.height, reader.width), reader.fps
        for frame in reader:
            p = pose.estimate(frame.image, frame.timestamp_s)
            times.append(frame.timestamp_s)
            found.append(p is not None)
            rows.append(np.concatenate([p.keypoints, p.scores[:, None]], axis=1) if p is not None
                        else np.zeros((17, 3), np.float32))
    note_if_slow(path, source_fps, fps)
    both = resample_track(np.array(times), np.array(rows, np.float32), np.array(found), fps, source_fps)
    return both[None, :, :, :2].astype(np.float16), both[None, :, :, 2].astype(np.float16), shape


def extract_people(path: str, fps: float, max_people: int, min_seen_s: float = 1.0, verbose: bool = False,
                   pose_threads: int | None = None) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """One video -> every tracked person: keypoint (M, T, 17, 2) and keypoint_score (M, T, 17) float16 at ``fps``.

    People are the tracker's ids (:class:`PersonTracker`), seen for at least ``min_seen_s`` seconds,
    most-seen first (the format's "first person" is the main one); at most ``max_people``. Each
    track is resampled alone, zeros where that person was out of view. Nobody at all: M = 1, zeros.
    """
    times: list[float] = []
    rows: dict[int, dict[int, np.ndarray]] = {}
    with VideoFileReader(path) as reader, make_pose_estimator(None, video=True, verbose=verbose,
                                                              max_people=max_people, threads=pose_threads) as pose:
        shape, source_fps = (reader.height, reader.width), reader.fps
        tracker = PersonTracker(source_fps)
        for index, frame in enumerate(reader):
            times.append(frame.timestamp_s)
            for person in tracker.update(pose.estimate_all(frame.image, frame.timestamp_s), frame.image):
                row = np.concatenate([person.pose.keypoints, person.pose.scores[:, None]], axis=1)
                rows.setdefault(person.id, {})[index] = row
    note_if_slow(path, source_fps, fps)
    seen_enough = [i for i in rows if len(rows[i]) >= min_seen_s * tracker.fps]
    order = sorted(seen_enough, key=lambda i: (-len(rows[i]), i))[:max_people]
    tracks = []
    for person_id in order or [None]:
        mine = rows.get(person_id, {})
        found = np.array([i in mine for i in range(len(times))])
        table = np.array([mine.get(i, np.zeros((17, 3), np.float32)) for i in range(len(times))], np.float32)
        tracks.append(resample_track(np.array(times), table, found, fps, source_fps))
    both = np.stack(tracks)
    return both[..., :2].astype(np.float16), both[..., 2].astype(np.float16), shape


def reads_back(classes: tuple[str, ...]) -> bool:
    """Whether a label map of these lines reads back as these names (see
    :func:`training.labels.without_line_numbers`)."""
    try:
        return without_line_numbers(classes, Path("(label map)")) == classes
    except UserError:
        return False


def class_folder(video: str, root: str | None) -> str:
    """The folder that names a video's class with ``--labels-from-folders``: inside a folder given
    as an input (``root``), the subfolder of it that holds the video however deep (my_videos/squat/
    session1/a.mp4 is a squat, as image-folder datasets read it), or the given folder itself for
    a video directly in it; for a video given by name or by a glob, its own folder."""
    if root is not None:
        parts = Path(os.path.relpath(os.path.realpath(video), os.path.realpath(root))).parts
        if len(parts) > 2 and parts[0] != os.pardir:
            return parts[0]
    return Path(video).parent.name


def class_names(videos: list[str], label: str | None, labels_from_folders: bool,
                one_folder_ok: bool = False, roots: dict[str, str] | None = None) -> dict[str, str]:
    """Each video's class: ``--label`` for all, or its class folder's name (:func:`class_folder`,
    ``roots``: the input folder each video was found in; one folder only when ``one_folder_ok``:
    a class added to a file that holds others).

    Raises:
        UserError: neither or both given, a class named like the rejection outcome, a name that
            is not valid text, not one line of the label map, with a comma or spaces at its ends,
            or folders that do not tell classes apart.
    """
    if (label is None) == (not labels_from_folders):
        raise UserError("Give either --label NAME (one class for every video) or --labels-from-folders.")
    names = ({v: label for v in videos} if label is not None
             else {v: class_folder(v, (roots or {}).get(v)) for v in videos})
    unreadable = sorted({n for n in names.values() if not is_valid_unicode(n)})
    if unreadable:
        where = "--label" if label is not None else f"the folder name '{unreadable[0]}'"
        raise UserError(f"Class names are written to the label map as text, but {where} is not valid UTF-8 "
                        "(bytes from another encoding); "
                        f"{'pass it in UTF-8' if label is not None else 'rename that folder'} or use --label NAME.")
    unwritable = sorted({n for n in names.values() if not n.strip() or any(unicodedata.category(c) == "Cc" for c in n)})
    if unwritable:
        raise UserError(f"The class name {unwritable[0]!r} cannot be a line of the label map (empty, or a line "
                        f"break or another control character in it); "
                        f"{'pass a plain name to --label' if label is not None else 'rename that folder'}.")
    fix = "pass another --label" if label is not None else "rename that folder"
    for name in sorted(set(names.values())):
        if "," in name:
            raise UserError(f"The class name '{name}' has a comma: --classes separates class names with commas, "
                            f"so it could never be chosen by name; {fix} (e.g. with '_' for the comma).")
        if name != name.strip():
            raise UserError(f"The class name '{name}' starts or ends with a space, which the label map does not "
                            f"keep (it would read as '{name.strip()}'); {fix}.")
    if not reads_back(tuple(sorted(set(names.values())))):
        example = sorted(set(names.values()))[0]
        raise UserError(f"Every class name starts with a number ('{example}'): the label map would read as numbered "
                        f"lines (like UCF101's classInd.txt), so the numbers would be dropped or the file refused; "
                        f"{fix} (e.g. '{example.replace(' ', '_')}').")
    reserved = reserved_name(sorted(set(names.values())))
    if reserved is not None:
        raise UserError(f"The class name is {why_reserved(reserved)}; {fix}.")
    if label is not None:
        return names
    if len(set(names.values())) < 2 and not one_folder_ok:
        folder = next(iter(names.values()), "?")
        raise UserError(f"--labels-from-folders found a single class ('{folder}'): put each class's videos in its "
                        "own subfolder (my_videos/squat/*.mp4, my_videos/pushup/*.mp4), or use --label NAME.")
    return names


def extract(inputs: list[str], out: Path, label: str | None, labels_from_folders: bool, fps: float,
            pose_model: str | None = None, overwrite: bool = False, verbose: bool = False,
            max_people: int = 1, pose_threads: int | None = None, append: bool = False
            ) -> tuple[dict, list[tuple[str, str]], list[str], KeyboardInterrupt | None, tuple[Path, Path]]:
    """Extract every video; write ``out`` and ``out.labels.txt`` (``append``: add to them, see
    :mod:`realtime.extract_append`).

    Ctrl-C (or SIGTERM) stops after the video being read: the videos finished so far are written
    as usual.

    Returns:
        The data written, the failures (video, reason), the videos not reached, what stopped the
        work (the Ctrl-C or SIGTERM interruption; None when every video was read) and the files
        written: (skeleton file, label map), ``out`` and its label map unless another process
        created one of those names meanwhile (see :func:`write_extracted`).
    """
    if append and overwrite:
        raise UserError("--append adds to --out and --overwrite replaces it: give one of them.")
    check_pose_options(pose_model, max_people)
    check_pose_model(pose_model)
    labels_path = label_map_beside(out)
    check_output_file(out, "--out", overwrite=True, suffixes=(".pkl",))   # all but "exists": a folder, a .mp4, ...
    if out.exists() and not (append or overwrite):    # before the offer of --overwrite, the name must be a .pkl
        raise UserError(f"--out '{out}' exists; add --append to add these videos' clips to it, --overwrite to "
                        "replace it, or choose another name.")
    existing = read_existing(through_link(out, "--out"), labels_path, fps) if append else None
    check_output_file(labels_path, "--out (its label map)", overwrite or existing is not None)
    found = {source: resolve_video_files(source, "realtime.extract") for source in inputs}
    folders = [source for source in inputs if Path(local_path_of(source.strip())).expanduser().is_dir()]
    roots = {v: source for source in folders for v in found[source]}      # each video's input folder
    videos, repeats = without_repeats([v for videos_in in found.values() for v in videos_in])
    if repeats:
        print(f"note: {repeats} video(s) given more than once are extracted once")
    check_outputs_apart([("--out", out), ("--out (its label map)", labels_path)], videos)
    class_of = class_names(videos, label, labels_from_folders, one_folder_ok=existing is not None, roots=roots)
    if labels_from_folders:
        counts = Counter(class_of.values())
        print("classes from folders: " + ", ".join(f"{name} ({counts[name]} video{'s' * (counts[name] > 1)})"
                                                   for name in sorted(counts)), flush=True)
    classes = classes_after(existing, set(class_of.values()))
    names = names_apart(distinct_stems(videos),      # squat/1.mp4 and pushup/1.mp4: squat_1, pushup_1
                        existing.names if existing else set())
    annotations, failed, not_reached, stopped_by = [], [], [], None
    for i, video in enumerate(tqdm(videos, desc="extracting", unit="video")):
        try:
            if max_people > 1:
                keypoint, score, (h, w) = extract_people(video, fps, max_people, verbose=verbose,
                                                               pose_threads=pose_threads)
            else:
                keypoint, score, (h, w) = extract_video(video, pose_model, fps, verbose, pose_threads)
        except UserError as exc:
            failed.append((video, str(exc)))
            tqdm.write(f"skipped {video}: {exc}")
            continue
        except KeyboardInterrupt as stop:     # Ctrl-C or SIGTERM (training.errors.Terminated)
            if not annotations:
                raise
            not_reached, stopped_by = videos[i:], stop
            break
        if not joint_present(keypoint.reshape(-1, *keypoint.shape[-2:])).any():
            failed.append((video, NO_PERSON))
            tqdm.write(f"skipped {video}: {NO_PERSON}")
            continue
        annotations.append({"frame_dir": names[video], "label": classes.index(class_of[video]),
                            "img_shape": (h, w), "original_shape": (h, w), "total_frames": keypoint.shape[1],
                            "keypoint": keypoint, "keypoint_score": score, "fps": float(fps)})
    if not annotations:
        first = f"; {failed[0][0]}: {failed[0][1]}" if failed else ""
        raise UserError(f"No video gave poses ({len(failed)} failed{first}); nothing was written.")
    data, repeated = appended(existing, annotations)
    if repeated and len(repeated) == len(annotations):
        raise UserError(f"The poses of every video are already in '{out}' (as {', '.join(repeated[:3])}"
                        f"{', ...' if len(repeated) > 3 else ''}); nothing was added.")
    if repeated:
        print(f"note: {len(repeated)} video(s) whose poses are already in '{out}' were left out "
              f"({', '.join(repeated[:3])}{', ...' if len(repeated) > 3 else ''})")
    replace = overwrite or (existing is not None and not existing.changed_since_read(out))
    if existing is not None and not replace:
        print(f"note: '{out}' changed while the videos were read (another run?); it is kept, and this result "
              "goes beside it")
    written = [(out, labels_path)]

    def publish() -> None:
        written[0] = write_extracted(out, labels_path, data, classes, replace=replace)
    publish_or_rescue(publish,                                                     # a full disk: keep the poses
                      lambda folder: write_extracted(folder / out.name, folder / labels_path.name, data, classes),
                      f"'{out}'", "The extracted poses were", "extract-rescued-")
    return data, failed, not_reached, stopped_by, written[0]


NO_PERSON = "the pose model found nobody in any frame (is a person in view, and the video lit?); left out of the file"


def write_extracted(out: Path, labels_path: Path, data: dict, classes: list[str],
                    replace: bool = True) -> tuple[Path, Path]:
    """The skeleton file and its label map, each written atomically; returns where each went
    (``replace=False``: beside ``out`` when another process created it meanwhile, with its own
    label map; the label map alone goes to ``<name>.labels-2.txt`` when only its name was taken)."""
    writer = atomic_path(out, replace)
    with writer as tmp:
        with tmp.open("wb") as f:
            pickle.dump(data, f, protocol=4)
    labels_final = write_text_atomic(labels_path if writer.final == out else label_map_beside(writer.final),
                                     "\n".join(classes) + "\n", replace)
    return writer.final, labels_final


def main(argv: list[str] | None = None) -> int:
    p = ArgumentParser(prog="python -m realtime.extract", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", help="video files, folders or globs")
    p.add_argument("--out", type=output_file, required=True, help="pickle to write (refuses to overwrite)")
    p.add_argument("--label", help="class name of every video")
    p.add_argument("--labels-from-folders", action="store_true",
                   help="class = the name of each video's class folder: the subfolder of a given folder that holds "
                        "it, however deep (my_videos/squat/day1/a.mp4: squat), else the video's own folder")
    p.add_argument("--fps", type=number(float, 1.0, 240.0), default=25.0,
                   help="resample every video to this rate (default 25, as UCF101)")
    p.add_argument("--pose-model", type=path_text,
                   help="MediaPipe Tasks .task file (default: the bundled mp.solutions model)")
    p.add_argument("--max-people", type=number(int, 1, 16), default=1,
                   help="keep up to N tracked people per video: keypoint (M, T, 17, 2), the most-seen person "
                        "first (default 1)")
    add_pose_threads_argument(p)
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out and its label map")
    p.add_argument("--append", action="store_true",
                   help="add the clips to an existing --out and its label map (its class ids stay; new classes "
                        "get the next ones; videos already in it are left out); creates it when missing")
    p.add_argument("--verbose", action="store_true", help="show MediaPipe/TFLite/OpenCV log lines")
    a = p.parse_args(argv)
    quiet_native_libraries(a.verbose)
    data, failed, not_reached, stopped_by, (out, labels) = extract(
        a.inputs, a.out, a.label, a.labels_from_folders, a.fps, a.pose_model, a.overwrite, a.verbose, a.max_people,
        chosen_pose_threads(a.pose_threads), a.append)
    n = len(data["annotations"])
    n_classes = len({rec["label"] for rec in data["annotations"]})
    print(f"wrote {out} ({n} clips of {n_classes} class(es) at {a.fps:g} fps) and {labels}")
    if not_reached:
        print(f"interrupted: the {n} video(s) finished are written; {len(not_reached)} not extracted (from "
              f"{not_reached[0]} on)")
    print(f"train with: python -m training.train --data {out} --label-map {labels} "
          f"--classes all --fps {a.fps:g}")
    if failed:
        print(f"{len(failed)} video(s) failed:")
        for path, why in failed:
            print(f"  {path}: {why}")
    if stopped_by is not None:
        raise stopped_by                   # written; the exit status (130 / 143) still says it was stopped
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
