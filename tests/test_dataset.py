from pathlib import Path

import numpy as np
import pytest

from tests.conftest import write_pickle
from training.dataset import load_skeleton_file
from training.errors import UserError
from training.synthetic import make_synthetic_dataset


def _file_with(tmp_path: Path, mutate) -> Path:
    data = make_synthetic_dataset(clips_per_class=2, lengths=(5, 9), seed=0)
    mutate(data)
    return write_pickle(tmp_path / "f.pkl", data)


def test_real_record_in_a_file_loads(tmp_path: Path, real_record: dict) -> None:
    path = write_pickle(tmp_path / "real.pkl", {"split": {"train1": [real_record["frame_dir"]]}, "annotations": [real_record]})
    loaded = load_skeleton_file(path)
    clip = loaded.clips[0]
    assert clip.keypoints.shape == (163, 17, 2) and clip.keypoints.dtype == np.float32
    assert clip.img_shape == (256, 340) and clip.label == 0
    np.testing.assert_allclose(clip.keypoints, real_record["keypoint"][0].astype(np.float32))


def test_skeleton_file_fixture_keeps_first_person(skeleton_file: Path) -> None:
    loaded = load_skeleton_file(skeleton_file)
    assert {c.label for c in loaded.clips} >= {46, 14, 51, 47, 16}
    assert all(c.keypoints.ndim == 3 and c.keypoints.shape[1:] == (17, 2) for c in loaded.clips)
    assert "train1" in loaded.split and "test1" in loaded.split


@pytest.mark.parametrize("mutate, pattern", [
    (lambda d: d.pop("annotations"), "lacks 'annotations'"),
    (lambda d: d.pop("split"), "lacks 'split'"),
    (lambda d: d["annotations"][0].pop("keypoint"), "lacks key.*keypoint"),
    (lambda d: d["annotations"][1].update(keypoint=np.zeros((1, 5, 18, 2))), r"shape \(1, 5, 18, 2\), expected \(M, T, 17, 2\)"),
    (lambda d: d["annotations"][1].update(keypoint=np.zeros((5, 17, 2))), r"expected \(M, T, 17, 2\)"),
    (lambda d: d["annotations"][2].update(keypoint_score=np.zeros((2, 3, 17))), "keypoint_score"),
    (lambda d: d["annotations"][0].update(label="jump"), "label"),
    (lambda d: d["annotations"][0]["keypoint"].__setitem__((0, 1, 3, 0), np.nan), "NaN or infinite"),
    (lambda d: d["annotations"].__setitem__(0, [1, 2]), "expected a dict"),
    (lambda d: d["annotations"][1].update(keypoint=np.zeros((1, 5, 17, 3))),
     r"\(1, 5, 17, 3\).*either a confidence \(move it to 'keypoint_score'.*or a depth \(3D skeletons are not read"),
    (lambda d: d["annotations"][1].update(keypoint=[[[[1.0, 2.0]] * 17] * 3, [[[1.0]] * 17] * 3]),
     "'keypoint' is a list that is not a table of numbers"),
    (lambda d: d["annotations"][1].update(keypoint=np.full((1, 5, 17, 2), "12.5")), "'keypoint' holds text values"),
    (lambda d: d["annotations"][1].update(keypoint=np.ones((1, 5, 17, 2), bool)), "'keypoint' holds true/false"),
    (lambda d: d["annotations"][1].update(keypoint=np.ones((1, 5, 17, 2), complex)), "'keypoint' holds complex"),
    (lambda d: d["annotations"][1].update(
        keypoint_score=np.full(d["annotations"][1]["keypoint"].shape[:3], "high")),
     "'keypoint_score' holds text values"),
    (lambda d: d["annotations"][1].update(
        keypoint_score=np.full(d["annotations"][1]["keypoint"].shape[:3], None, dtype=object)),
     "NaN or infinite keypoints or scores"),
])
def test_malformed_files_name_the_problem(tmp_path: Path, mutate, pattern: str) -> None:
    with pytest.raises(UserError, match=pattern):
        load_skeleton_file(_file_with(tmp_path, mutate))


def test_an_object_array_of_numbers_is_read_as_numbers(tmp_path: Path) -> None:
    def mutate(d):
        d["annotations"][1]["keypoint"] = d["annotations"][1]["keypoint"].astype(object)
    loaded = load_skeleton_file(_file_with(tmp_path, mutate))
    assert all(c.keypoints.dtype == np.float32 for c in loaded.clips)


@pytest.mark.parametrize("shape, expected", [
    (np.array([240, 320]), (240, 320)), ([240, 320, 3], (240, 320)), (5, (0, 0)), ("240x320", (0, 0)),
    (("a", "b"), (0, 0)), ((float("nan"), 320), (0, 0)), ((-1, -1), (0, 0)), (None, (0, 0)),
])
def test_an_odd_image_size_is_read_as_unknown_not_a_crash(tmp_path: Path, shape, expected) -> None:
    """Training does not use img_shape; an array in it used to raise "truth value of an array is
    ambiguous", a number or text a bare TypeError/ValueError, before any training."""
    def mutate(d):
        d["annotations"][0].update(img_shape=shape, original_shape=shape, frame_dir="odd")
    loaded = load_skeleton_file(_file_with(tmp_path, mutate))
    assert next(c for c in loaded.clips if c.frame_dir == "odd").img_shape == expected


def test_empty_and_all_zero_clips_are_skipped_and_counted(tmp_path: Path) -> None:
    def mutate(d):
        d["annotations"][0]["keypoint"] = np.zeros((2, 0, 17, 2), np.float16)
        d["annotations"][0]["keypoint_score"] = np.zeros((2, 0, 17), np.float16)
        d["annotations"][1]["keypoint"][0] = 0
        d["annotations"][2]["keypoint"][0] = 0.75     # a converter's "not placed" (Penn Action's hidden joints)
        d["annotations"].append(dict(d["annotations"][5]))   # a file joined from two: one clip twice
        namesake = dict(d["annotations"][6], frame_dir=d["annotations"][7]["frame_dir"])
        d["annotations"].append(namesake)                     # another clip of the same name: kept
    loaded = load_skeleton_file(_file_with(tmp_path, mutate))
    assert len(loaded.clips) == 8
    assert {k: len(v) for k, v in loaded.skipped.items()} == {"no frames": 1, "no joint placed": 2,
                                                              "the name and keypoints of an earlier annotation": 1}


def test_keypoints_normalised_to_the_image_size_are_named(tmp_path: Path) -> None:
    # Coordinates in 0..1 (as MediaPipe and many tools give them) all read as "not placed": the
    # file used to load, and training crashed in the LSTM on clips of no frame.
    def mutate(d):
        for a in d["annotations"]:
            a["keypoint"] = (a["keypoint"].astype(np.float32) / np.float32(400.0)).astype(np.float16)
    with pytest.raises(UserError, match="normalised.*Multiply x by the image width"):
        load_skeleton_file(_file_with(tmp_path, mutate))


def test_a_file_of_only_unusable_clips_is_an_error(tmp_path: Path) -> None:
    def mutate(d):
        for a in d["annotations"]:
            a["keypoint"][0] = 0
    with pytest.raises(UserError, match="no usable clip"):
        load_skeleton_file(_file_with(tmp_path, mutate))


def test_a_file_converted_from_json_reads_like_the_original(tmp_path: Path) -> None:
    """Keypoints and scores as nested lists, annotations as a tuple (a file round-tripped through
    JSON, or written by another tool): the same clips as the array file, not "shape list"."""
    original = load_skeleton_file(_file_with(tmp_path, lambda d: None))

    def as_lists(d):
        for a in d["annotations"]:
            a["keypoint"], a["keypoint_score"] = a["keypoint"].tolist(), a["keypoint_score"].tolist()
        d["annotations"] = tuple(d["annotations"])
    converted = load_skeleton_file(_file_with(tmp_path, as_lists))
    assert [c.frame_dir for c in converted.clips] == [c.frame_dir for c in original.clips]
    for a, b in zip(converted.clips, original.clips):
        np.testing.assert_allclose(a.keypoints, b.keypoints)
        np.testing.assert_allclose(a.scores, b.scores)
