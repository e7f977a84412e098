"""Input paths that are not readable files: one clear error naming why, before anything reads them.

Before: ``training.train --data /dev/zero`` read the device until the machine ran out of memory
(killed), ``--data`` / ``--label-map`` on a named pipe waited forever, and a link loop, a link to
a moved file, a device or a pipe given as a video were all "file not found".
"""
import os
import socket
from pathlib import Path

import pytest

from tests.conftest import assert_clean_error, run_main_here, run_module, write_pickle
from training.errors import UserError
from training.input_files import check_input_file, input_file_problem
from training.synthetic import make_synthetic_dataset

# A regression on a pipe waits for a writer forever: the subprocess's timeout turns that into a failure.
PIPE_TIMEOUT_S = 120


@pytest.fixture()
def odd_paths(tmp_path: Path) -> dict[str, Path]:
    """One path of every kind that is not a readable file."""
    paths = {"missing": tmp_path / "nowhere.pkl", "dangling": tmp_path / "moved.pkl", "loop": tmp_path / "loop_a",
             "folder": tmp_path / "folder", "empty": tmp_path / "empty.pkl", "pipe": tmp_path / "pipe.pkl",
             "device": Path("/dev/zero"), "under_file": tmp_path / "empty.pkl" / "inside.pkl",
             "too_long": tmp_path / ("x" * 300)}
    paths["dangling"].symlink_to(tmp_path / "was_here.pkl")
    paths["loop"].symlink_to(tmp_path / "loop_b")
    (tmp_path / "loop_b").symlink_to(paths["loop"])
    paths["folder"].mkdir()
    paths["empty"].touch()
    os.mkfifo(paths["pipe"])
    return paths


@pytest.mark.parametrize("kind, why", [
    ("missing", "^was not found$"),
    ("dangling", r"^is a link to '.*was_here\.pkl', which does not exist"),
    ("loop", "^is a link that leads back to itself"),
    ("folder", "^is a folder, not a file$"),
    ("empty", r"^is empty \(0 bytes\)$"),
    ("pipe", r"^is a named pipe \(FIFO\), not a file"),
    ("device", "^is a device, not a file$"),
    ("under_file", "^was not found: a part of its path is a file"),
    ("too_long", "^was not found: its name is too long"),
])
def test_every_kind_of_unreadable_path_says_why(odd_paths, kind, why):
    import re
    problem = input_file_problem(odd_paths[kind])
    assert problem is not None and re.search(why, problem), problem


def test_a_socket_and_a_readable_file(tmp_path):
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.sock"))
        assert input_file_problem(tmp_path / "s.sock") == "is a socket, not a file"
    good = tmp_path / "real.pkl"
    good.write_bytes(b"x")
    (tmp_path / "link.pkl").symlink_to(good)
    assert input_file_problem(good) is None and input_file_problem(tmp_path / "link.pkl") is None


def test_hints_only_where_they_help(odd_paths):
    with pytest.raises(UserError, match=r"^Data file '.*nowhere.pkl' was not found\. Download it"):
        check_input_file(odd_paths["missing"], "Data file", if_missing="Download it.", if_folder="Inside.")
    with pytest.raises(UserError, match=r"is a folder, not a file\. Inside\.$"):
        check_input_file(odd_paths["folder"], "Data file", if_missing="Download it.", if_folder="Inside.")
    with pytest.raises(UserError, match=r"is a device, not a file\.$"):
        check_input_file(odd_paths["device"], "Data file", if_missing="Download it.", if_folder="Inside.")


@pytest.fixture(scope="module")
def good_data(tmp_path_factory) -> Path:
    return write_pickle(tmp_path_factory.mktemp("good") / "small.pkl",
                        make_synthetic_dataset(clips_per_class=5, lengths=(20, 50), seed=2))


@pytest.mark.parametrize("module, args, pattern", [
    ("training.train", ["--data", "{pipe}", "--out", "{out}"], r"Data file '.*pipe\.pkl' is a named pipe"),
    ("training.train", ["--data", "{good}", "--label-map", "{pipe}", "--out", "{out}"],
     r"Label map '.*pipe\.pkl' is a named pipe"),
    ("training.evaluate", ["--checkpoint", "{pipe}", "--data", "{good}"], r"Checkpoint '.*pipe\.pkl' is a named pipe"),
    ("training.predict", ["--checkpoint", "default", "--data", "{pipe}"], r"Data file '.*pipe\.pkl' is a named pipe"),
    ("realtime.cam", ["--source", "{pipe}", "--no-show"], r"Cannot open '.*pipe\.pkl': it is a named pipe"),
])
def test_a_named_pipe_is_refused_not_waited_on(odd_paths, good_data, tmp_path, module, args, pattern):
    filled = [a.format(pipe=odd_paths["pipe"], good=good_data, out=tmp_path / "run") for a in args]
    assert_clean_error(run_module(module, *filled, timeout=PIPE_TIMEOUT_S), pattern)
    assert not (tmp_path / "run").exists()


def test_a_pipe_among_videos_fails_alone(odd_paths, tmp_path):
    proc = run_module("realtime.video", str(odd_paths["pipe"]), str(odd_paths["empty"]), "--checkpoint", "default",
                      timeout=PIPE_TIMEOUT_S)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "it is a named pipe (FIFO), not a file" in proc.stdout
    assert "it is empty (0 bytes)" in proc.stdout


@pytest.mark.parametrize("module, args, pattern", [
    ("training.train", ["--data", "/dev/zero"], r"Data file '/dev/zero' is a device, not a file\.$"),
    ("training.train", ["--data", "{dangling}"], r"Data file '.*moved\.pkl' is a link to '.*was_here\.pkl', which"),
    ("training.train", ["--data", "{loop}"], r"Data file '.*loop_a' is a link that leads back to itself"),
    ("training.train", ["--data", "{folder}"], r"is a folder, not a file\. Pass the \.pkl file inside it\."),
    ("training.train", ["--data", "{missing}"], r"was not found\. Download it with `python -m training\.download"),
    ("training.train", ["--data", "{empty}"], r"Data file '.*empty\.pkl' is empty \(0 bytes\)"),
    ("training.evaluate", ["--checkpoint", "/dev/zero", "--data", "{good}"], r"Checkpoint '/dev/zero' is a device, not"),
    ("training.evaluate", ["--checkpoint", "{dangling}", "--data", "{good}"], r"Checkpoint '.*moved\.pkl' is a link to"),
    ("realtime.extract", ["/dev/zero", "--out", "{tmp}/x.pkl"], r"Cannot open '/dev/zero': it is a device, not a file"),
    ("realtime.cam", ["--source", "{loop}", "--no-show"], r"Cannot open '.*loop_a': it is a link that leads back"),
    ("realtime.cam", ["--source", "{empty}", "--no-show"], r"Cannot open video '.*empty\.pkl': it is empty \(0 bytes\)"),
    ("realtime.video", ["--merge", "/dev/zero", "--json", "{tmp}/all.json"],
     r"--merge: results file '/dev/zero' is a device, not a file\."),
])
def test_links_devices_folders_and_empty_files_say_why(odd_paths, good_data, tmp_path, module, args, pattern):
    filled = [a.format(tmp=tmp_path, good=good_data, **odd_paths) for a in args]
    assert_clean_error(run_main_here(module, *filled), pattern)
    assert not (tmp_path / "x.pkl").exists() and not (tmp_path / "all.json").exists()


def test_a_link_to_a_moved_video_in_a_folder_is_reported_not_dropped(tmp_path):
    """A folder of links to videos on a drive that is not mounted "held no video"."""
    from realtime.source_names import resolve_sources

    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "gone.mp4").symlink_to(tmp_path / "unmounted" / "clip.mp4")
    (folder / "notes.txt").symlink_to(tmp_path / "unmounted" / "notes.txt")     # not a video: left out
    assert resolve_sources(str(folder)) == [str(folder / "gone.mp4")]
    proc = run_main_here("realtime.video", str(folder), "--checkpoint", "default")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"FAILED {folder / 'gone.mp4'}: Cannot open video" in proc.stdout
    assert "it is a link to '" in proc.stdout and "unmounted/clip.mp4', which does not exist" in proc.stdout


def test_a_file_url_is_read_as_its_path(tmp_path):
    """``file:///home/me/My%20clips/a.mp4`` (copied from a browser or file manager) was "file not found"."""
    from realtime.source_names import resolve_sources, resolve_video_files

    folder = tmp_path / "My clips"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(b"x")
    url = "file://" + str(folder).replace(" ", "%20")
    assert resolve_sources(url + "/a.mp4") == [str(folder / "a.mp4")]
    assert resolve_video_files(url, "realtime.video") == [str(folder / "a.mp4")]
    assert resolve_sources("FILE://localhost" + str(folder / "a.mp4")) == [str(folder / "a.mp4")]
    with pytest.raises(UserError, match="file not found"):
        resolve_sources("file://otherhost/share/a.mp4")           # another machine's file is not here
