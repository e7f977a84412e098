import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import write_pickle
from training.errors import UserError
from training.safe_pickle import safe_load_pickle


class _CreatesFile:
    """A hostile object: unpickling it would create a file."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_hostile_pickle_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    bad = write_pickle(tmp_path / "bad.pkl", {"split": {}, "annotations": [_CreatesFile(str(target))]})
    assert pickle.loads(bad.read_bytes()) is not None and target.exists(), "sanity: plain pickle runs it"
    target.unlink()
    with pytest.raises(UserError, match=r"refused.*system.*nothing in it was run"):
        safe_load_pickle(bad)
    assert not target.exists()


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_arrays_and_containers_load_under_every_protocol(tmp_path: Path, protocol: int) -> None:
    obj = {"a": [np.zeros((2, 3, 17, 2), np.float16), (240, 320), np.int64(7), np.float32(1.5)], "s": "x", "b": b"\x00"}
    loaded = safe_load_pickle(write_pickle(tmp_path / "ok.pkl", obj, protocol))
    assert loaded["a"][0].shape == (2, 3, 17, 2) and loaded["a"][0].dtype == np.float16
    assert loaded["a"][1] == (240, 320) and loaded["a"][2] == 7 and loaded["b"] == b"\x00"


@pytest.mark.parametrize("content, pattern", [
    (None, "not found"),
    (b"", "is empty"),
    (b"hello, this is text", "not a pickle"),
])
def test_unusable_files(tmp_path: Path, content: bytes | None, pattern: str) -> None:
    path = tmp_path / "data.pkl"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError, match=pattern):
        safe_load_pickle(path)


def test_a_file_of_another_kind_is_named_with_what_to_do(tmp_path: Path) -> None:
    """Not a pickle said only that; and the whole file was read first (a 4 GB video given as --data)."""
    import gzip
    import shutil

    from tests.conftest import shared_file

    cases = {"gz": (gzip.compress(pickle.dumps({"a": 1})), r"it is gzip-compressed: decompress it first"),
             "json": (b'  {"videos": []}', r"it looks like JSON text"),
             "text": (b"hello", r"it does not start with a pickle header")}
    for name, (content, pattern) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(UserError, match=rf"not a pickle \({pattern}"):
            safe_load_pickle(tmp_path / name)
    for video in ("videos/pose_1.mp4", "videos/v_Archery_g01_c01.avi"):
        with pytest.raises(UserError, match=r"it is a video: turn videos into skeletons first .*realtime\.extract"):
            safe_load_pickle(shared_file(video))
    shutil.copy(Path(__file__).resolve().parents[1] / "realtime" / "models" / "default.pt", tmp_path / "model.pt")
    with pytest.raises(UserError, match=r"it is a zip archive: a model\.pt checkpoint goes to --checkpoint"):
        safe_load_pickle(tmp_path / "model.pt")


def test_truncated_pickle(tmp_path: Path) -> None:
    whole = pickle.dumps({"annotations": [np.zeros((1, 50, 17, 2))]}, protocol=4)
    path = tmp_path / "cut.pkl"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UserError, match="truncated or corrupt"):
        safe_load_pickle(path)
