"""Motion capture of actions that are not the model's classes, as 2D COCO-17 skeletons.

The source is DeepMimic's humanoid motion clips (real people captured in 3D: walking, running,
punching, kicking, dancing, cartwheels, ...; shipped with PyBullet in
``pybullet_data/data/motions/humanoid3d_*.txt``). Each file is JSON: ``{"Loop": "wrap"|"none",
"Frames": [[duration, root xyz (3), root rotation (4), chest (4), neck (4), right hip (4),
right knee (1), right ankle (4), right shoulder (4), right elbow (1), left hip (4), left knee (1),
left ankle (4), left shoulder (4), left elbow (1)], ...]}``: rotations are quaternions (w, x, y, z)
relative to the parent joint, knees and elbows one angle about the joint's z axis. The world has
y up; the body faces +x with its right side towards +z.

:func:`joint_positions` runs the forward kinematics of DeepMimic's humanoid (bone offsets of its
``humanoid.urdf``, scaled to metres) and :func:`project` films the result from a camera placed
anywhere around the person, giving the (T, 17, 2) pixel keypoints of the training files.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mapping.layouts import COCO17
from training.errors import UserError
from training.features import FPS_RANGE

URDF_TO_METRES = 0.25        # DeepMimic's humanoid.urdf is drawn 4x life size; its motions are in metres

# Each joint, the joint it hangs from, and where it sits in that joint's frame (humanoid.urdf units).
BONES: tuple[tuple[str, str, tuple[float, float, float]], ...] = (
    ("chest", "root", (0.0, 0.944604, 0.0)),
    ("neck", "chest", (0.0, 0.895576, 0.0)),
    ("head", "neck", (0.0, 0.7, 0.0)),                      # the centre of the head sphere
    ("right_hip", "root", (0.0, 0.0, 0.339548)),
    ("right_knee", "right_hip", (0.0, -1.686184, 0.0)),
    ("right_ankle", "right_knee", (0.0, -1.63948, 0.0)),
    ("right_shoulder", "chest", (-0.0962, 0.974, 0.73244)),
    ("right_elbow", "right_shoulder", (0.0, -1.099152, 0.0)),
    ("right_wrist", "right_elbow", (0.0, -1.035788, 0.0)),
    ("left_hip", "root", (0.0, 0.0, -0.339548)),
    ("left_knee", "left_hip", (0.0, -1.686184, 0.0)),
    ("left_ankle", "left_knee", (0.0, -1.63948, 0.0)),
    ("left_shoulder", "chest", (-0.0962, 0.974, -0.73244)),
    ("left_elbow", "left_shoulder", (0.0, -1.099152, 0.0)),
    ("left_wrist", "left_elbow", (0.0, -1.035788, 0.0)),
)
# The rotations of a frame after the root's, in file order, and how many numbers each takes.
FRAME_ROTATIONS: tuple[tuple[str, int], ...] = (
    ("chest", 4), ("neck", 4), ("right_hip", 4), ("right_knee", 1), ("right_ankle", 4),
    ("right_shoulder", 4), ("right_elbow", 1), ("left_hip", 4), ("left_knee", 1), ("left_ankle", 4),
    ("left_shoulder", 4), ("left_elbow", 1),
)
FRAME_SIZE = 1 + 3 + 4 + sum(n for _, n in FRAME_ROTATIONS)          # 44 numbers per frame
JOINTS: tuple[str, ...] = ("root",) + tuple(name for name, _, _ in BONES)
# COCO-17 joints read off the humanoid. Like the Penn Action file, the "nose" is the head's centre
# and the eyes and ears are not observed (score 0, placed on the head point).
COCO_FROM_HUMANOID: dict[str, str] = {
    "nose": "head", "left_shoulder": "left_shoulder", "right_shoulder": "right_shoulder",
    "left_elbow": "left_elbow", "right_elbow": "right_elbow", "left_wrist": "left_wrist",
    "right_wrist": "right_wrist", "left_hip": "left_hip", "right_hip": "right_hip", "left_knee": "left_knee",
    "right_knee": "right_knee", "left_ankle": "left_ankle", "right_ankle": "right_ankle",
}


@dataclass
class Motion:
    """One captured motion: (T, J, 3) joint positions in metres (``JOINTS`` order) at ``fps``."""

    name: str
    positions: np.ndarray
    fps: float


def quaternion_matrices(q: np.ndarray) -> np.ndarray:
    """(..., 4) quaternions (w, x, y, z), not necessarily unit -> (..., 3, 3) rotation matrices."""
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


def z_rotations(angle: np.ndarray) -> np.ndarray:
    """(...,) angles in radians -> (..., 3, 3) rotations about the z axis (a knee or an elbow)."""
    c, s = np.cos(angle), np.sin(angle)
    zero, one = np.zeros_like(angle), np.ones_like(angle)
    return np.stack([np.stack([c, -s, zero], -1), np.stack([s, c, zero], -1), np.stack([zero, zero, one], -1)], -2)


def joint_positions(frames: np.ndarray) -> np.ndarray:
    """Forward kinematics: (T, 44) DeepMimic humanoid frames -> (T, J, 3) positions in metres."""
    rotation = {"root": quaternion_matrices(frames[:, 4:8])}
    local, start = {}, 8
    for name, size in FRAME_ROTATIONS:
        values = frames[:, start:start + size]
        local[name] = quaternion_matrices(values) if size == 4 else z_rotations(values[:, 0])
        start += size
    position = {"root": frames[:, 1:4]}
    for name, parent, offset in BONES:
        position[name] = position[parent] + rotation[parent] @ (np.asarray(offset) * URDF_TO_METRES)
        rotation[name] = rotation[parent] @ local[name] if name in local else rotation[parent]
    return np.stack([position[name] for name in JOINTS], axis=1)


def read_motion(path: Path, fps: float = 30.0, min_seconds: float = 3.0) -> Motion:
    """A DeepMimic motion file -> its joint positions resampled to ``fps``.

    A looping motion (``"Loop": "wrap"``) is played on until it lasts ``min_seconds``, each
    repetition carried on from where the body got to (a walk keeps walking forward).

    Raises:
        UserError: a file that is not such a motion.
    """
    try:
        data = json.loads(Path(path).read_text())
        frames = np.asarray(data["Frames"], dtype=np.float64)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(f"'{path}' is not a DeepMimic motion file ({error}).") from None
    if frames.ndim != 2 or frames.shape[1] != FRAME_SIZE or len(frames) < 2 or not np.isfinite(frames).all():
        raise UserError(f"'{path}' is not a DeepMimic humanoid motion: expected frames of {FRAME_SIZE} finite "
                        f"numbers, found an array of shape {frames.shape}.")
    positions = joint_positions(frames)
    durations = frames[:-1, 0]
    shortest, longest = 1.0 / FPS_RANGE[1], 1.0 / FPS_RANGE[0]
    if (durations < shortest).any() or (durations > longest).any():
        raise UserError(f"'{path}': every frame must last {shortest:g}-{longest:g} s (the first number of each "
                        f"frame); found {durations.min():g}-{durations.max():g} s.")
    seconds = float(durations.sum())
    if data.get("Loop") == "wrap":
        cycle = positions[1:]
        drift = positions[-1, 0] - positions[0, 0]
        drift[1] = 0.0                                          # carried forward along the ground only
        repeats = [positions]
        while seconds * len(repeats) < min_seconds:
            repeats.append(cycle + drift * len(repeats))
        positions = np.concatenate(repeats)
        durations = np.concatenate([durations] * len(repeats))
    times = np.concatenate([[0.0], np.cumsum(durations)])[:len(positions)]
    length = max(2, int(round(times[-1] * fps)) + 1)
    wanted = np.linspace(0.0, times[-1], length)
    flat = positions.reshape(len(positions), -1)
    resampled = np.stack([np.interp(wanted, times, flat[:, k]) for k in range(flat.shape[1])], axis=1)
    return Motion(Path(path).stem, resampled.reshape(length, len(JOINTS), 3), fps)


def project(positions: np.ndarray, azimuth_deg: float, elevation_deg: float, height_px: float,
            image_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Film (T, J, 3) joint positions from a camera ``azimuth_deg`` around the person and
    ``elevation_deg`` above (weak perspective): (T, 17, 2) COCO-17 pixels and (T, 17) scores.

    The body stands ``height_px`` tall (1.7 m) with its starting point at the image's centre,
    a little below the middle; its movement over the ground stays in the picture as filmed.
    """
    a, e = np.deg2rad(azimuth_deg), np.deg2rad(elevation_deg)
    turn = np.array([[np.cos(a), 0.0, np.sin(a)], [0.0, 1.0, 0.0], [-np.sin(a), 0.0, np.cos(a)]])
    tilt = np.array([[np.cos(e), -np.sin(e), 0.0], [np.sin(e), np.cos(e), 0.0], [0.0, 0.0, 1.0]])
    camera = positions @ (tilt @ turn).T                        # x: depth, y: up, z: image right
    pixels_per_metre = height_px / 1.7
    h, w = image_size
    start = camera[0, JOINTS.index("root")]
    u = (camera[..., 2] - start[2]) * pixels_per_metre + w / 2
    v = -(camera[..., 1] - start[1]) * pixels_per_metre + h * 0.55
    humanoid = np.stack([u, v], axis=-1)                        # (T, J, 2)
    keypoints = np.zeros((len(positions), len(COCO17), 2))
    scores = np.zeros((len(positions), len(COCO17)))
    head = humanoid[:, JOINTS.index("head")]
    for k, coco in enumerate(COCO17):
        source = COCO_FROM_HUMANOID.get(coco)
        keypoints[:, k] = humanoid[:, JOINTS.index(source)] if source else head
        scores[:, k] = 1.0 if source else 0.0
    return keypoints, scores
