"""Fetch the published skeleton file once, with a progress bar: ``python -m training.download --help``.

Never used by tests against the internet: they point it at a local ``http.server``.
"""
from __future__ import annotations

import argparse
import os
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from training.cli_types import path_text
from training.dataset import load_skeleton_file
from training.errors import UserError, run_cli

UCF101_URL = "https://download.openmmlab.com/mmaction/v1.0/skeleton/data/ucf101_2d.pkl"
HMDB51_URL = "https://download.openmmlab.com/mmaction/v1.0/skeleton/data/hmdb51_2d.pkl"
CHUNK = 1 << 16


def download_file(url: str, dest: Path, timeout: float = 30.0, verify: bool = True, progress: bool = True) -> Path:
    """Download ``url`` to ``dest`` via ``dest.part``; check the size and that the pickle loads.

    An existing ``dest`` is kept as it is (the download is skipped). Nothing is left at ``dest`` if
    the transfer or the check fails.
    """
    dest = Path(dest)
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
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
            raise UserError(f"The file downloaded from {url} is not a usable skeleton file: {exc}") from None
    os.replace(part, dest)
    return dest


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(prog="python -m training.download", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="examples:\n  python -m training.download --out ucf101_2d.pkl\n"
                                       "  python -m training.download --dataset hmdb51 --out hmdb51_2d.pkl\n")
    p.add_argument("--dataset", choices=["ucf101", "hmdb51"], default="ucf101")
    p.add_argument("--url", help="download from this URL instead")
    p.add_argument("--out", type=path_text, default=None, help="destination (default: <dataset>_2d.pkl)")
    a = p.parse_args(argv)
    url = a.url or (UCF101_URL if a.dataset == "ucf101" else HMDB51_URL)
    dest = Path(a.out or f"{a.dataset}_2d.pkl")
    if dest.exists():
        print(f"{dest} already exists; nothing to do")
        return dest
    download_file(url, dest)
    print(f"saved {dest} ({dest.stat().st_size / 1e6:.1f} MB)")
    return dest


if __name__ == "__main__":
    run_cli(main)
