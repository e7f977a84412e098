"""Splitting a video collection across jobs (``--shard i/N``) and merging their JSON results.

Any scheduler can run the parts: a Slurm array (``--shard $SLURM_ARRAY_TASK_ID/8`` with
``--array=0-7``), Kubernetes indexed jobs (``$JOB_COMPLETION_INDEX``), Ray tasks or plain
shell loops. Shard ``i`` of ``N`` is every N-th video of the sorted list, starting at ``i``:
stable for a given collection, the same on every machine, and balanced.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.errors import UserError
from training.input_files import check_input_file


def shard_option(text: str) -> tuple[int, int]:
    """argparse ``type`` for ``--shard i/N`` (0 <= i < N)."""
    try:
        index_text, count_text = text.split("/")
        index, count = int(index_text), int(count_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected i/N such as 0/4 (part i of N, counting from 0), got {text!r}") \
            from None
    if count < 1 or not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"i must be in 0..N-1 and N at least 1, got {text!r}")
    return index, count


def select_shard(videos: list[str], shard: tuple[int, int] | None) -> list[str]:
    """This shard's videos: ``sorted(videos)[i::N]`` (all of them without a shard)."""
    if shard is None:
        return list(videos)
    index, count = shard
    return sorted(videos)[index::count]


def merge_result_files(paths: list[Path]) -> dict:
    """One results dict from the ``--json`` files of several shards (videos sorted by path).

    Raises:
        UserError: a file that is missing or not a results file, parts made with different
            models or decision settings, or a video that appears in two parts.
    """
    if not paths:
        raise UserError("--merge needs the shards' JSON files, e.g. --merge part-*.json --json all.json.")
    parts = []
    for path in paths:
        check_input_file(path, "--merge: results file", if_missing="Give the JSON files the shards wrote with --json.")
        try:
            part = json.loads(Path(path).read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UserError(f"--merge: '{path}' is not a JSON file written by realtime.video --json ({exc}).") from None
        if not isinstance(part, dict) or not {"classes", "decision", "videos", "failed"} <= set(part):
            raise UserError(f"--merge: '{path}' is not a results file of realtime.video --json.")
        parts.append((Path(path), part))
    first_path, first = parts[0]
    for path, part in parts[1:]:
        for key in ("checkpoint_sha256", "classes", "decision"):
            if part.get(key) != first.get(key):
                raise UserError(f"--merge: '{path}' and '{first_path}' were made with different {key.replace('_', ' ')}"
                                "; merge only parts of one run (same --checkpoint and decision flags).")
    videos, failed, not_classified, seen = [], [], [], {}
    for path, part in parts:
        for video in part["videos"]:
            if video["path"] in seen:
                raise UserError(f"--merge: video '{video['path']}' is in both '{seen[video['path']]}' and '{path}'; "
                                "pass each shard's file once.")
            seen[video["path"]] = path
            videos.append(video)
        failed.extend(part["failed"])
        not_classified.extend(part.get("not_classified") or [])
    shards = sorted({tuple(p["shard"]) for _, p in parts if p.get("shard")})
    if len({n for _, n in shards}) > 1:       # 0/2 with 1/3: videos of neither split missing or repeated unseen
        raise UserError("--merge: the parts come from different splits (" + ", ".join(f"{i}/{n}" for i, n in shards)
                        + "); merge the parts of one --shard i/N run, all with the same N.")
    merged = {key: value for key, value in first.items()
              if key not in ("videos", "failed", "shard", "interrupted", "not_classified")}
    merged |= {"videos": sorted(videos, key=lambda v: v["path"]), "failed": sorted(failed, key=lambda f: f["path"]),
               "interrupted": any(p.get("interrupted") for _, p in parts), "not_classified": sorted(not_classified),
               "merged_from": [str(p) for p, _ in parts]}
    if shards and shards[0][1] != len(shards):
        missing = sorted(set(range(shards[0][1])) - {s[0] for s in shards})
        merged["missing_shards"] = [f"{i}/{shards[0][1]}" for i in missing]
    return merged
