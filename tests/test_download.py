import functools
import http.server
import threading
from pathlib import Path

import pytest

from tests.conftest import write_pickle
from training.dataset import load_skeleton_file
from training.download import download_file
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
    assert not (tmp_path / "cache" / "ucf101_2d.pkl.part").exists()


def test_download_refuses_a_file_that_is_not_skeletons(server, tmp_path: Path) -> None:
    url, www = server
    (www / "page.pkl").write_text("<html>moved</html>")
    with pytest.raises(UserError, match="not a usable skeleton file"):
        download_file(f"{url}/page.pkl", tmp_path / "x.pkl", progress=False)
    assert not (tmp_path / "x.pkl").exists() and not (tmp_path / "x.pkl.part").exists()


def test_download_missing_url(server, tmp_path: Path) -> None:
    url, _ = server
    with pytest.raises(UserError, match="(?i)failed.*not found"):
        download_file(f"{url}/nothing.pkl", tmp_path / "x.pkl", progress=False)


def test_existing_file_is_kept(tmp_path: Path) -> None:
    dest = tmp_path / "keep.pkl"
    dest.write_bytes(b"mine")
    assert download_file("http://127.0.0.1:9/never", dest, progress=False) == dest
    assert dest.read_bytes() == b"mine"
