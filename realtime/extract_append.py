"""``realtime.extract --append``: add clips to a skeleton file the command wrote before.

A dataset grows a class at a time (today's squats, tomorrow's push-ups), and before this the only
way to add to ``mine.pkl`` was ``--overwrite``, which threw its clips away. Appending keeps every
clip and every class id of the file (new classes get the next ids, at the end of its label map),
names new clips apart from the file's (``squat_1`` is ``squat_1-2`` when taken), leaves out a
video whose poses are already in the file, and refuses a frame rate other than the file's own.
The file is replaced only once the whole new file is written; if it changed while the videos
were read (another run appending to it), the result goes beside it instead of over that run's.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.dataset import keypoint_digest
from training.errors import UserError
from training.labels import read_label_map
from training.safe_pickle import safe_load_pickle


@dataclass
class ExistingFile:
    """A skeleton file read for appending.

    Attributes:
        data: the file as read: ``{"split": ..., "annotations": [...]}``.
        classes: its label map, in id order.
        stamp: (modification time in ns, size) when it was read.
    """

    data: dict
    classes: list[str]
    stamp: tuple[int, int]

    @property
    def names(self) -> set[str]:
        return {str(a["frame_dir"]) for a in self.data["annotations"]}

    def changed_since_read(self, path: Path) -> bool:
        try:
            stat = path.stat()
        except OSError:
            return True
        return (stat.st_mtime_ns, stat.st_size) != self.stamp


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def read_existing(out: Path, labels_path: Path, fps: float) -> ExistingFile | None:
    """The file to append to, checked; None when ``out`` does not exist yet (appending creates it).

    Raises:
        UserError: not a file of this format, its label map missing, or clips at another frame rate.
    """
    if not out.exists():
        return None
    stamp = _stamp(out)
    data = safe_load_pickle(out)
    if not (isinstance(data, dict) and isinstance(data.get("annotations"), list)
            and isinstance(data.get("split"), dict)):
        raise UserError(f"--append: '{out}' is not a skeleton file with 'split' and 'annotations' (the format "
                        "realtime.extract writes); append to a file it wrote, or choose a new --out.")
    if not labels_path.exists():
        raise UserError(f"--append: '{out}' has no label map beside it ('{labels_path}'), so its clips' class ids "
                        "cannot be named; put the label map back, or choose a new --out.")
    classes = list(read_label_map(labels_path))
    ids = [a.get("label") for a in data["annotations"] if isinstance(a, dict)]
    beyond = sorted({i for i in ids if not isinstance(i, int) or not 0 <= i < len(classes)}, key=str)
    if beyond:
        raise UserError(f"--append: '{out}' has class ids {beyond} that its label map '{labels_path}' "
                        f"({len(classes)} names) does not name; they do not belong together.")
    rates = sorted({float(a["fps"]) for a in data["annotations"] if isinstance(a, dict) and a.get("fps")})
    if rates and rates != [float(fps)]:
        theirs = ", ".join(f"{r:g}" for r in rates)
        raise UserError(f"--append: the clips of '{out}' are sampled at {theirs} fps and these would be at "
                        f"{fps:g}; pass --fps {rates[0]:g} so that they train together.")
    return ExistingFile(data, classes, stamp)


def classes_after(existing: ExistingFile | None, new: set[str]) -> list[str]:
    """The label map of the result: the file's classes in their order (their ids stay), then the
    new ones, sorted."""
    before = existing.classes if existing else []
    return before + sorted(new - set(before))


def names_apart(names: dict[str, str], taken: set[str]) -> dict[str, str]:
    """Clip names (video -> name, already apart from each other) that none of ``taken`` has:
    ``-2``, ``-3``, ... added where needed, never onto another new clip's name."""
    out, used = {}, set(taken) | set(names.values())
    for video, name in names.items():
        final, k = name, 2
        while name in taken and final in used:
            final, k = f"{name}-{k}", k + 1
        used.add(final)
        out[video] = final
    return out


def appended(existing: ExistingFile | None, annotations: list[dict]) -> tuple[dict, list[str]]:
    """The new file's contents: the existing clips, then ``annotations`` less those whose poses
    are already in the file; and the names of the clips left out for that.

    The split keeps the file's own lists; the new clips join its ``all`` list.
    """
    if existing is None:
        return {"split": {"all": [a["frame_dir"] for a in annotations]}, "annotations": annotations}, []
    known = {keypoint_digest(np.asarray(a["keypoint"])): str(a["frame_dir"]) for a in existing.data["annotations"]
             if isinstance(a, dict) and "keypoint" in a}
    kept, repeated = [], []
    for a in annotations:
        same = known.get(keypoint_digest(a["keypoint"]))
        (repeated if same is not None else kept).append(same if same is not None else a)
    split = {k: list(v) for k, v in existing.data["split"].items()}
    split["all"] = split.get("all", []) + [a["frame_dir"] for a in kept]
    return {**existing.data, "split": split, "annotations": existing.data["annotations"] + kept}, repeated
