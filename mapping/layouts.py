"""Keypoint layouts as tables of names; every index map is derived from these names."""
from __future__ import annotations

# COCO-17, the layout of ucf101_2d.pkl (HRNet) and of every feature vector in this project.
COCO17: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)

# MediaPipe Pose / BlazePose 33 landmarks, in the order the model outputs them.
MEDIAPIPE33: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)

# Bones for drawing a COCO-17 skeleton, as pairs of names.
COCO17_EDGES: tuple[tuple[str, str], ...] = (
    ("nose", "left_eye"), ("nose", "right_eye"), ("left_eye", "left_ear"), ("right_eye", "right_ear"),
    ("left_shoulder", "right_shoulder"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"), ("left_hip", "right_hip"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
)

# Each limb joint and the joint it hangs from (for bone-length changes in augmentation).
COCO17_PARENTS: tuple[tuple[str, str], ...] = (
    ("left_elbow", "left_shoulder"), ("left_wrist", "left_elbow"),
    ("right_elbow", "right_shoulder"), ("right_wrist", "right_elbow"),
    ("left_knee", "left_hip"), ("left_ankle", "left_knee"),
    ("right_knee", "right_hip"), ("right_ankle", "right_knee"),
)


def index_of(layout: tuple[str, ...], names: tuple[str, ...] | list[str]) -> list[int]:
    """Indices of ``names`` in ``layout``; a name missing from the layout is a ``KeyError``."""
    position = {name: i for i, name in enumerate(layout)}
    missing = [n for n in names if n not in position]
    if missing:
        raise KeyError(f"{', '.join(missing)} not in layout ({len(layout)} joints)")
    return [position[n] for n in names]


def mirrored_name(name: str) -> str:
    """The joint on the other side of the body: left_knee <-> right_knee; nose stays nose."""
    if name.startswith("left_"):
        return "right_" + name[len("left_"):]
    if name.startswith("right_"):
        return "left_" + name[len("right_"):]
    return name


def flip_permutation(layout: tuple[str, ...]) -> list[int]:
    """Index permutation that swaps left and right joints of ``layout`` (for mirror augmentation)."""
    return index_of(layout, [mirrored_name(n) for n in layout])


def edges_as_indices(layout: tuple[str, ...], edges: tuple[tuple[str, str], ...]) -> list[tuple[int, int]]:
    """Bones given by names -> pairs of indices into ``layout``."""
    return [tuple(index_of(layout, list(pair))) for pair in edges]  # type: ignore[misc]
