import functools
import http.server
import threading
from pathlib import Path

import pytest

from tests.conftest import write_pickle
from training.dataset import load_skeleton_file
from training.download import download_file, main
from training.errors import UserError
from training.synthetic import make_synthetic_dataset


@pytest.fixture
def server(tmp_path: Path):
    """A local HTTP server on 127.0.0.1 serving tmp_path/www; yields its base URL."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", www
    httpd.shutdown()
    httpd.server_close()


def test_download_verifies_and_saves(server, tmp_path: Path) -> None:
    url, www = server
    write_pickle(www / "ucf101_2d.pkl", make_synthetic_dataset(clips_per_class=2, lengths=(3, 5)))
    dest = download_file(f"{url}/ucf101_2d.pkl", tmp_path / "cache" / "ucf101_2d.pkl", progress=False)
    assert len(load_skeleton_file(dest).clips) == 10
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["ucf101_2d.pkl"], "no temporary file left"


def test_download_refuses_a_file_that_is_not_skeletons(server, tmp_path: Path) -> None:
    url, www = server
    (www / "page.pkl").write_text("<html>moved</html>")
    with pytest.raises(UserError, match="not a usable skeleton file"):
        download_file(f"{url}/page.pkl", tmp_path / "x.pkl", progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["www"], "nothing left behind"


def test_download_missing_url(server, tmp_path: Path) -> None:
    url, _ = server
    with pytest.raises(UserError, match="(?i)failed.*not found"):
        download_file(f"{url}/nothing.pkl", tmp_path / "x.pkl", progress=False)


def test_existing_file_is_kept(tmp_path: Path) -> None:
    dest = tmp_path / "keep.pkl"
    dest.write_bytes(b"mine")
    assert download_file("http://127.0.0.1:9/never", dest, progress=False) == dest
    assert dest.read_bytes() == b"mine"


def test_a_folder_as_out_gets_the_dataset_file_inside_it(server, tmp_path: Path) -> None:
    # Before: "--out data/" said "data already exists; nothing to do" and downloaded nothing.
    url, www = server
    write_pickle(www / "ucf101_2d.pkl", make_synthetic_dataset(clips_per_class=2, lengths=(3, 5)))
    (tmp_path / "data").mkdir()
    assert main(["--url", f"{url}/ucf101_2d.pkl", "--out", str(tmp_path / "data")]) == tmp_path / "data" / "ucf101_2d.pkl"
    assert len(load_skeleton_file(tmp_path / "data" / "ucf101_2d.pkl").clips) == 10


def test_an_existing_out_that_is_not_skeletons_is_kept_and_named(tmp_path: Path) -> None:
    # Before: "notes.txt already exists; nothing to do", as if the data were there.
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    with pytest.raises(UserError, match="exists and is not a skeleton file .* it is kept"):
        main(["--url", "http://127.0.0.1:9/never", "--out", str(notes)])
    assert notes.read_text() == "my notes"


def test_a_users_file_named_like_the_old_temporary_file_is_left_alone(server, tmp_path: Path) -> None:
    url, www = server
    write_pickle(www / "ucf101_2d.pkl", make_synthetic_dataset(clips_per_class=2, lengths=(3, 5)))
    mine = tmp_path / "ucf101_2d.pkl.part"
    mine.write_text("mine")
    download_file(f"{url}/ucf101_2d.pkl", tmp_path / "ucf101_2d.pkl", progress=False)
    assert mine.read_text() == "mine"


def test_out_in_a_missing_folder_is_refused_before_the_download(tmp_path: Path) -> None:
    # Before: the folder was created, then the download failed (or ran for minutes) and left it.
    with pytest.raises(UserError, match="folder .*missing' does not exist. Create it first"):
        main(["--url", "http://127.0.0.1:9/never", "--out", str(tmp_path / "missing" / "ucf101_2d.pkl")])
    assert not (tmp_path / "missing").exists()
