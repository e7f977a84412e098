import numpy as np
import pytest

from mapping.convert import MEDIAPIPE_TO_COCO17, mediapipe_to_coco17, rescale_keypoints
from mapping.layouts import COCO17, COCO17_EDGES, MEDIAPIPE33, edges_as_indices, flip_permutation, index_of

# The published index tables, typed out once here only to check the derived map against them.
@pytest.mark.parametrize("coco_name, mediapipe_index", [
    ("nose", 0), ("left_eye", 2), ("right_eye", 5), ("left_ear", 7), ("right_ear", 8),
    ("left_shoulder", 11), ("right_shoulder", 12), ("left_elbow", 13), ("right_elbow", 14),
    ("left_wrist", 15), ("right_wrist", 16), ("left_hip", 23), ("right_hip", 24),
    ("left_knee", 25), ("right_knee", 26), ("left_ankle", 27), ("right_ankle", 28),
])
def test_mediapipe_to_coco_map_matches_the_published_indices(coco_name: str, mediapipe_index: int) -> None:
    assert MEDIAPIPE_TO_COCO17[COCO17.index(coco_name)] == mediapipe_index


def test_layout_sizes() -> None:
    assert len(COCO17) == 17 and len(MEDIAPIPE33) == 33 and len(set(MEDIAPIPE33)) == 33


def test_conversion_to_pixels_keeps_left_and_right() -> None:
    landmarks = np.zeros((33, 3), np.float32)
    landmarks[:, 0] = np.linspace(0, 1, 33)
    landmarks[:, 1] = 0.5
    landmarks[:, 2] = 0.9
    landmarks[MEDIAPIPE33.index("left_wrist")] = [0.75, 0.25, 0.3]
    keypoints, scores = mediapipe_to_coco17(landmarks, width=640, height=480)
    assert keypoints.shape == (17, 2) and scores.shape == (17,)
    np.testing.assert_allclose(keypoints[COCO17.index("left_wrist")], [480.0, 120.0])
    assert scores[COCO17.index("left_wrist")] == pytest.approx(0.3)
    # No mirroring: the left wrist stays where MediaPipe put it, the right one too.
    right = MEDIAPIPE33.index("right_wrist")
    assert keypoints[COCO17.index("right_wrist"), 0] == pytest.approx(landmarks[right, 0] * 640)


def test_wrong_landmark_shape() -> None:
    with pytest.raises(ValueError, match=r"\(33, 3\)"):
        mediapipe_to_coco17(np.zeros((17, 3)), 10, 10)


def test_rescale_hrnet_340x256_to_avi_320x240() -> None:
    kp = np.array([[340.0, 256.0], [170.0, 128.0], [0.0, 0.0]], np.float32)
    np.testing.assert_allclose(rescale_keypoints(kp, (256, 340), (240, 320)), [[320, 240], [160, 120], [0, 0]])


def test_flip_and_edges_are_derived_from_names() -> None:
    perm = flip_permutation(COCO17)
    assert COCO17[perm[COCO17.index("left_knee")]] == "right_knee" and perm[0] == 0
    assert sorted(perm) == list(range(17))
    edges = edges_as_indices(COCO17, COCO17_EDGES)
    assert (COCO17.index("left_hip"), COCO17.index("left_knee")) in edges
    with pytest.raises(KeyError, match="tail"):
        index_of(COCO17, ["tail"])
