"""Motion capture of other actions as training data the model must not name (--unknown-data)."""
import json
from pathlib import Path

import numpy as np
import pytest

from mapping.layouts import COCO17, index_of
from tests.conftest import assert_clean_error, run_main_here, write_pickle
from training.config import TrainConfig
from training.dataset import load_skeleton_file
from training.motion_capture import (BONES, FRAME_SIZE, JOINTS, URDF_TO_METRES, joint_positions, project,
                                     read_motion)
from training.synthetic import make_synthetic_dataset
from training.train import train

REST = np.array([0.0, 0.0, 0.9, 0.0, 1.0, 0.0, 0.0, 0.0] + [1.0, 0.0, 0.0, 0.0] * 2      # root, chest, neck
                + [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0] * 2)  # hip, knee, ankle, shoulder, elbow


def _at(positions: np.ndarray, name: str) -> np.ndarray:
    return positions[..., JOINTS.index(name), :]


def _random_frames(n: int, rng: np.random.Generator) -> np.ndarray:
    frames = np.tile(REST, (n, 1))
    frames[:, 4:] += rng.normal(0.0, 0.6, size=(n, FRAME_SIZE - 4))     # any rotation, any bend
    return frames


def _write_motion(path: Path, frames: np.ndarray, loop: str = "none", step: float = 1 / 30) -> Path:
    frames = np.array(frames, dtype=float)
    frames[:, 0] = step
    path.write_text(json.dumps({"Loop": loop, "Frames": frames.tolist()}))
    return path


def test_the_rest_pose_stands_upright_with_the_right_side_towards_plus_z() -> None:
    p = joint_positions(REST[None])[0]
    leg = (1.686184 + 1.63948) * URDF_TO_METRES
    assert _at(p, "head")[1] > _at(p, "neck")[1] > _at(p, "chest")[1] > _at(p, "root")[1]
    np.testing.assert_allclose(_at(p, "left_ankle")[1], 0.9 - leg, atol=1e-9)
    assert _at(p, "right_hip")[2] > 0 > _at(p, "left_hip")[2]
    assert _at(p, "right_wrist")[1] < _at(p, "right_elbow")[1] < _at(p, "right_shoulder")[1]  # arms hang down


def test_bones_keep_their_length_in_any_pose() -> None:
    positions = joint_positions(_random_frames(50, np.random.default_rng(0)))
    for name, parent, offset in BONES:
        length = np.linalg.norm(_at(positions, name) - _at(positions, parent), axis=-1)
        np.testing.assert_allclose(length, np.linalg.norm(offset) * URDF_TO_METRES, rtol=1e-9)
    assert np.ptp(_at(positions, "left_wrist"), axis=0).min() > 0.05       # and the pose did change


def test_a_looping_motion_plays_on_from_where_the_body_got_to(tmp_path: Path) -> None:
    frames = np.tile(REST, (16, 1))
    frames[:, 1] = np.linspace(0.0, 0.5, 16)                              # walks 0.5 m in 0.5 s
    motion = read_motion(_write_motion(tmp_path / "humanoid3d_walk.txt", frames, loop="wrap"), fps=30,
                         min_seconds=3.0)
    assert motion.fps == 30 and len(motion.positions) >= 90
    root_x = _at(motion.positions, "root")[:, 0]
    assert np.all(np.diff(root_x) > 0) and root_x[-1] > 2.5               # never jumps back to the start
    once = read_motion(_write_motion(tmp_path / "humanoid3d_kick.txt", frames), fps=60, min_seconds=3.0)
    assert len(once.positions) == 31                                       # 0.5 s at 60 fps, played once


def test_cameras_on_opposite_sides_see_mirror_images(tmp_path: Path) -> None:
    positions = joint_positions(_random_frames(10, np.random.default_rng(1)))
    front, scores = project(positions, 0.0, 0.0, 340.0, (480, 640))
    back, _ = project(positions, 180.0, 0.0, 340.0, (480, 640))
    np.testing.assert_allclose(front[..., 0] - 320, -(back[..., 0] - 320), atol=1e-6)
    np.testing.assert_allclose(front[..., 1], back[..., 1], atol=1e-6)
    standing, _ = project(joint_positions(REST[None]), 37.0, 0.0, 340.0, (480, 640))
    nose, ankle = index_of(COCO17, ("nose", "left_ankle"))
    assert 290 < standing[0, ankle, 1] - standing[0, nose, 1] < 340        # about 1.6 m of a 1.7 m person
    unseen = index_of(COCO17, ("left_eye", "right_eye", "left_ear", "right_ear"))
    assert (scores[:, unseen] == 0).all() and (np.delete(scores, unseen, axis=1) == 1).all()


def test_make_unknowns_films_every_motion_from_every_side(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    motions = tmp_path / "motions"
    motions.mkdir()
    _write_motion(motions / "humanoid3d_punch.txt", _random_frames(40, rng))
    _write_motion(motions / "humanoid3d_dance_a.txt", _random_frames(20, rng), loop="wrap")
    _write_motion(motions / "humanoid3d_getup_faceup.txt", _random_frames(20, rng))   # starts as a sit-up: left out
    out = tmp_path / "unknown.pkl"
    proc = run_main_here("training.make_unknowns", "--out", str(out), "--motions", str(motions), "--views", "4")
    assert proc.returncode == 0, proc.stderr
    assert "8 clips (2 motions x 4 views)" in proc.stdout
    data = load_skeleton_file(out)
    assert len(data.clips) == 8 and not data.skipped
    assert {c.keypoints.shape[1:] for c in data.clips} == {(17, 2)}
    assert sorted({len(c.keypoints) for c in data.clips}) == [40, 96]     # 19 steps of 1/30 s, played 5 times: >= 3 s
    again = run_main_here("training.make_unknowns", "--out", str(out), "--motions", str(motions))
    assert_clean_error(again, "exists; choose another name or add --overwrite")


@pytest.mark.parametrize("option, pattern", [(["--views", "100000000"], "--views: must be between 1 and 360"),
                                             (["--fps", "1e9"], "--fps: must be between 1 and 1000")])
def test_make_unknowns_refuses_sizes_beyond_reason(tmp_path: Path, option, pattern) -> None:
    proc = run_main_here("training.make_unknowns", "--out", str(tmp_path / "u.pkl"), *option)
    assert_clean_error(proc, pattern)


@pytest.mark.parametrize("content, pattern", [
    (None, "holds no humanoid3d_"),
    ("not json", "is not a DeepMimic motion file"),
    (json.dumps({"Loop": "none", "Frames": [[0.1, 1.0, 2.0]] * 3}), r"frames of 44 finite numbers, found .*\(3, 3\)"),
    (json.dumps({"Loop": "wrap", "Frames": [[1e-9] + REST[1:].tolist()] * 3}), r"every frame must last 0.001-1 s"),
    (json.dumps({"Loop": "none", "Frames": [[1e6] + REST[1:].tolist()] * 3}), r"found 1e\+06-1e\+06 s"),
])
def test_make_unknowns_refuses_what_is_not_a_motion(tmp_path: Path, content, pattern) -> None:
    if content is not None:
        (tmp_path / "humanoid3d_x.txt").write_text(content)
    proc = run_main_here("training.make_unknowns", "--out", str(tmp_path / "u.pkl"), "--motions", str(tmp_path))
    assert_clean_error(proc, pattern)
    assert not (tmp_path / "u.pkl").exists()


def test_every_member_learns_the_unknown_data_as_unknown(tmp_path: Path) -> None:
    """Three synthetic classes to learn; clips of the two others as --unknown-data: the model gets unsure of
    new clips of those two, a model trained without them names them confidently."""
    from training.checkpoint import load_checkpoint
    from training.inference import predict_keypoints
    whole = make_synthetic_dataset(clips_per_class=16, lengths=(24, 48), seed=4)
    known = ["JumpingJack", "BodyWeightSquats", "Lunges"]
    data = write_pickle(tmp_path / "d.pkl", whole)
    others = [a for a in whole["annotations"] if not any(k in a["frame_dir"] for k in known)]
    unknown = write_pickle(tmp_path / "u.pkl", {"split": {}, "annotations": others[::2]})
    new_clips = [a["keypoint"][0].astype(np.float32) for a in others[1::2]]
    top = {}
    for name, extra in (("with", str(unknown)), ("without", None)):
        config = TrainConfig(data=str(data), classes=",".join(known), out=str(tmp_path / name), epochs=12,
                             max_frames=48, lr=1e-2, unknown_data=extra)
        result = train(config, echo=lambda *a: None, progress=False)
        ckpt = load_checkpoint(result.run_dir / "model.pt")
        top[name] = np.median([predict_keypoints(ckpt, kp).probabilities.max() for kp in new_clips])
        info = json.loads((result.run_dir / "run.json").read_text())["data"]
        assert info["n_unknown_actions"] == (16 if extra else 0)
    assert top["without"] > 0.8 and top["with"] < top["without"] - 0.3, top


def test_a_motions_path_that_is_not_a_folder_is_named(tmp_path: Path) -> None:
    proc = run_main_here("training.make_unknowns", "--out", str(tmp_path / "u.pkl"), "--motions", str(tmp_path / "no"))
    assert_clean_error(proc, "--motions '.*no' is not a folder")


def test_a_pybullet_data_folder_is_looked_into(tmp_path: Path) -> None:
    from training.make_unknowns import motion_files
    motions = tmp_path / "pybullet_data" / "data" / "motions"
    motions.mkdir(parents=True)
    _write_motion(motions / "humanoid3d_walk.txt", np.tile(REST, (3, 1)))
    assert motion_files(tmp_path / "pybullet_data", ()) == [motions / "humanoid3d_walk.txt"]


def test_without_pybullet_it_says_how_to_get_the_motions(monkeypatch) -> None:
    import training.make_unknowns as module
    monkeypatch.setattr(module, "pybullet_motions", lambda: None)
    with pytest.raises(module.UserError, match=r"pip install pybullet.*or pass --motions DIR"):
        module.motion_files(None, ())


def test_the_training_data_itself_is_refused_as_unknown_data(tmp_path: Path) -> None:
    small_file = write_pickle(tmp_path / "d.pkl", make_synthetic_dataset(clips_per_class=4, lengths=(20, 30)))
    proc = run_main_here("training.train", "--data", str(small_file), "--unknown-data", str(small_file),
                         "--out", str(tmp_path / "run"))
    assert_clean_error(proc, "--unknown-data .* is the training data")
    assert not (tmp_path / "run").exists()


def test_a_copy_of_the_training_data_is_refused_and_shared_clips_left_out(tmp_path: Path) -> None:
    """A copy of --data given as --unknown-data was accepted: every clip learnt both as its class and as
    unknown. A file that shares some clips with the training data keeps only its own."""
    import pickle

    data = make_synthetic_dataset(clips_per_class=4, lengths=(20, 30))
    small_file = write_pickle(tmp_path / "d.pkl", data)
    copy = write_pickle(tmp_path / "copy.pkl", data)
    proc = run_main_here("training.train", "--data", str(small_file), "--unknown-data", str(copy),
                         "--out", str(tmp_path / "run"))
    assert_clean_error(proc, r"--unknown-data .*copy\.pkl' holds only clips of the training data")
    assert not (tmp_path / "run").exists()
    others = make_synthetic_dataset(clips_per_class=2, lengths=(20, 30), seed=9)
    mixed = pickle.loads(pickle.dumps(others))
    mixed["annotations"] += data["annotations"][:3]
    mixed["split"] = {"all": [a["frame_dir"] + str(i) for i, a in enumerate(mixed["annotations"])]}
    for i, a in enumerate(mixed["annotations"]):
        a["frame_dir"] = a["frame_dir"] + str(i)
    said: list[str] = []
    from training.train import load_unknown_actions
    from training.dataset import load_skeleton_file
    known = [c.keypoints for c in load_skeleton_file(small_file).clips]
    kept = load_unknown_actions(str(write_pickle(tmp_path / "mixed.pkl", mixed)), str(small_file), known, said.append)
    assert len(kept) == len(others["annotations"])
    assert "note: --unknown-data: 3 clip(s) that are also training clips of the classes are left out" in said
