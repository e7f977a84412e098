"""Fetch the published skeleton file once, with a progress bar: ``python -m training.download --help``.

Never used by tests against the internet: they point it at a local ``http.server``.
"""
from __future__ import annotations

import argparse
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from training.cli_types import ArgumentParser, path_text
from training.dataset import load_skeleton_file
from training.errors import UserError, run_cli
from training.outputs import check_output_file, new_partial_file, publish

UCF101_URL = "https://download.openmmlab.com/mmaction/v1.0/skeleton/data/ucf101_2d.pkl"
HMDB51_URL = "https://download.openmmlab.com/mmaction/v1.0/skeleton/data/hmdb51_2d.pkl"
CHUNK = 1 << 16


def download_file(url: str, dest: Path, timeout: float = 30.0, verify: bool = True, progress: bool = True) -> Path:
    """Download ``url`` to ``dest`` through a hidden temporary file beside it; check the size and
    that the pickle loads, then rename it into place.

    An existing ``dest`` is kept as it is (the download is skipped). Nothing is left behind if the
    transfer or the check fails; two downloads to one ``dest`` at once do not write into one file.
    """
    dest = Path(dest)
    if dest.exists():
        return dest
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = new_partial_file(dest)
    except OSError as exc:
        raise UserError(f"Cannot write '{dest}': {exc.strerror or exc}. Choose another place for it.") from None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            expected = int(response.headers.get("Content-Length") or 0) or None
            with part.open("wb") as f, tqdm(total=expected, unit="B", unit_scale=True, unit_divisor=1024,
                                            desc=f"downloading {dest.name}", disable=not progress) as bar:
                while chunk := response.read(CHUNK):
                    f.write(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        part.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise UserError(f"Download of {url} failed ({reason}). Check the connection, or download the file "
                        f"by hand and pass --data PATH.") from None
    size = part.stat().st_size
    if expected is not None and size != expected:
        part.unlink(missing_ok=True)
        raise UserError(f"Download of {url} stopped early ({size} of {expected} bytes). Run the command again.")
    if verify:
        try:
            load_skeleton_file(part)
        except UserError as exc:
            part.unlink(missing_ok=True)
            raise UserError(f"The file downloaded from {url} is not a usable skeleton file: "
                            f"{str(exc).replace(str(part), dest.name)}") from None
    return publish(part, dest)


def destination(out: str | None, dataset: str) -> Path:
    """``--out`` -> the file to write: a folder gets the dataset's own file name inside it.

    Raises:
        UserError: the file exists but is not a pickle (it is kept: remove it or choose another
            name), or its folder is missing or not writable (checked before the download).
    """
    default_name = f"{dataset}_2d.pkl"
    dest = Path(out or default_name).expanduser()
    if dest.is_dir():
        dest = dest / default_name
    if dest.is_file():
        with dest.open("rb") as f:
            head = f.read(1)
        if head != b"\x80":
            raise UserError(f"--out '{dest}' exists and is not a skeleton file (not a pickle); it is kept. Remove "
                            "it or choose another --out.")
    else:                            # the checks every output file gets: folder there and writable, no device
        check_output_file(dest, "--out", overwrite=True)
    return dest


def main(argv: list[str] | None = None) -> Path:
    p = ArgumentParser(prog="python -m training.download", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="examples:\n  python -m training.download --out ucf101_2d.pkl\n"
                                       "  python -m training.download --dataset hmdb51 --out hmdb51_2d.pkl\n")
    p.add_argument("--dataset", choices=["ucf101", "hmdb51"], default="ucf101")
    p.add_argument("--url", help="download from this URL instead")
    p.add_argument("--out", type=path_text, default=None,
                   help="file to write, or a folder to put <dataset>_2d.pkl in (default: <dataset>_2d.pkl here)")
    a = p.parse_args(argv)
    url = a.url or (UCF101_URL if a.dataset == "ucf101" else HMDB51_URL)
    dest = destination(a.out, a.dataset)
    if dest.exists():
        print(f"{dest} already exists; nothing to do")
        return dest
    download_file(url, dest)
    print(f"saved {dest} ({dest.stat().st_size / 1e6:.1f} MB)")
    return dest


if __name__ == "__main__":
    run_cli(main)
