"""Study: a second model of another kind as an open-set signal: ``python -m bench.second_opinion --help``.

Every rejection rule tried for the trust issue read the LSTMs themselves (their probabilities,
energy, hidden states, members' agreement) or hand-made motion statistics, and every one traded
along one line on real footage: real in-class clips are as unsure as unknown actions. Models of
one kind tend to be wrong together on input unlike their training data; models of different
kinds less so. This study trains the second model of ``training.second_opinion`` (an MLP on
pooled statistics of the same joint positions: no recurrence, no order in time) on Penn
Action's training part, and asks, window by window on the shared real clips, how much
probability it gives the class the checkpoint's LSTMs name. The rule built from it
(``--second-opinion``, part of the trust recipe) is measured through the streaming path by
``bench.trust``; this study shows the raw signal without the decision layer.

Per seed (the seed also draws the 80/20 split the MLP learns from): the MLP's Penn validation
accuracy beside the checkpoint's, the share of validation clips a rule "no action when the MLP
gives the LSTMs' class less than tau" would reject, and on the real clips the clip-level AUROC of
(1 - that probability) for unknown actions against in-class clips and the share of each kind of
clip whose windows are mostly rejected. Windows are the live window's length, every 0.5 s
after the first second, resampled to the checkpoint's frame rate (an approximation of the
streaming window: no decision layer, no steadying). Poses come from :mod:`bench.pose_cache`.
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np

from bench.pose_cache import PoseTrack, cached_track
from bench.result_files import add_result_file_argument, check_result_file, write_result_file
from bench.trust import in_class_videos, unknown_action_videos
from training.augment import resample_time
from training.checkpoint import LoadedCheckpoint, add_checkpoint_argument, load_checkpoint, resolve_checkpoint
from training.cli_types import ArgumentParser, non_negative, positive
from training.dataset import load_skeleton_file
from training.errors import UserError, run_cli
from training.features import FeatureSpec, person_present
from training.inference import predict_keypoints, torch_threads
from training.labels import read_label_map
from training.loop import encode_clips
from training.second_opinion import SecondOpinion, train_second_opinion
from training.selection import stratified_split

SHARED = Path(__file__).resolve().parents[1].parent / "shared/data"
TAUS = (0.05, 0.1, 0.2, 0.3)
MIN_WINDOW_POSES = 8         # fewer poses in a window: no opinion


def window_probabilities(opinion: SecondOpinion, windows: list[np.ndarray], spec: FeatureSpec) -> np.ndarray:
    """N windows of (T, V, 2) pixels -> (N, C) the second model's probabilities (as the live path feeds it)."""
    features, lengths = encode_clips(windows, spec)
    return opinion.probabilities(features, np.maximum(lengths, 1))


def live_windows(track: PoseTrack, spec: FeatureSpec, step_s: float = 0.5, first_s: float = 1.0) -> list[np.ndarray]:
    """Windows of the live window's length ending every ``step_s`` from ``first_s`` on: the poses
    found in each, resampled to ``spec.fps``; (T, V, 2) each. Windows with fewer than
    :data:`MIN_WINDOW_POSES` poses are left out; none holds more than ``spec.window_frames``."""
    length_s = spec.window_frames / spec.fps
    windows = []
    for end in np.arange(first_s, track.duration_s + 1e-9, step_s):
        inside = (track.timestamps > end - length_s) & (track.timestamps <= end) & track.found
        if inside.sum() < MIN_WINDOW_POSES:
            continue
        times = track.timestamps[inside]
        poses = min(spec.window_frames, max(2, int(round((times[-1] - times[0]) * spec.fps)) + 1))
        windows.append(resample_time(track.keypoints[inside], poses))
    return windows


def auroc(in_class: list[float], unknown: list[float]) -> float:
    """Chance that an unknown clip scores above an in-class one (ties count half), as
    ``bench.trust`` measures it (scikit-learn's ROC AUC); NaN without both kinds."""
    if not in_class or not unknown:
        return float("nan")
    from sklearn.metrics import roc_auc_score
    return float(roc_auc_score([0] * len(in_class) + [1] * len(unknown), [*in_class, *unknown]))


def clip_figures(ckpt: LoadedCheckpoint, opinion: SecondOpinion, track: PoseTrack) -> dict | None:
    """The LSTMs' and the MLP's view of one real clip; None when no window has a person."""
    windows = live_windows(track, ckpt.spec)
    if not windows:
        return None
    lstm = np.array([predict_keypoints(ckpt, w).probabilities[0] for w in windows])
    mlp = window_probabilities(opinion, windows, ckpt.spec)
    named = lstm.argmax(1)
    support = mlp[np.arange(len(named)), named]
    return {"windows": len(windows), "support": float(support.mean()),
            "lstm": ckpt.classes[int(np.bincount(named).argmax())],
            "mlp": ckpt.classes[int(np.bincount(mlp.argmax(1)).argmax())],
            "rejected": {str(tau): float((support < tau).mean()) for tau in TAUS}}


def one_seed(ckpt: LoadedCheckpoint, data: Path, label_map: Path, videos: Path, seed: int) -> dict:
    """Train the MLP on the seed's 80% of ``data``; measure it on the other 20% and the real clips."""
    in_class, unknown = in_class_videos(videos, ckpt.classes), unknown_action_videos(videos)
    if not in_class or not unknown:
        raise UserError(f"'{videos}' lacks real clips to measure on: it needs realworld/<class>/ clips of the "
                        "checkpoint's classes and the clips of other actions of bench.trust (see ../shared/data).")
    names = read_label_map(str(label_map))
    skeletons = load_skeleton_file(data)
    usable = [c for c in skeletons.clips if 0 <= c.label < len(names) and names[c.label] in ckpt.classes]
    if not usable:
        raise UserError(f"'{data}' has no clip of the checkpoint's classes (with the label map '{label_map}').")
    clips = [c.keypoints[person_present(c.keypoints)] for c in usable]
    labels = np.array([ckpt.classes.index(names[c.label]) for c in usable])
    train_part, val_part = stratified_split(labels, 0.2, seed)
    opinion = train_second_opinion([clips[i] for i in train_part], labels[train_part], len(ckpt.classes),
                                   ckpt.spec, seed)
    val_windows = [clips[i][-ckpt.spec.window_frames:] for i in val_part]
    mlp = window_probabilities(opinion, val_windows, ckpt.spec)
    lstm = np.array([predict_keypoints(ckpt, w).probabilities[0] for w in val_windows])
    support = mlp[np.arange(len(val_part)), lstm.argmax(1)]
    result = {"seed": seed, "val_mlp_accuracy": float((mlp.argmax(1) == labels[val_part]).mean()),
              "val_lstm_accuracy": float((lstm.argmax(1) == labels[val_part]).mean()),
              "val_rejected": {str(tau): float((support < tau).mean()) for tau in TAUS}, "clips": []}
    for path, truth in in_class:
        result["clips"].append({"video": path.name, "class": truth} | (clip_figures(ckpt, opinion, cached_track(path)) or {}))
    for path in unknown:
        result["clips"].append({"video": path.name, "class": None} | (clip_figures(ckpt, opinion, cached_track(path)) or {}))
    seen = [c for c in result["clips"] if "support" in c]
    in_class_seen = [c for c in seen if c["class"] is not None]
    unknown_seen = [c for c in seen if c["class"] is None]
    result["auroc"] = auroc([1 - c["support"] for c in in_class_seen], [1 - c["support"] for c in unknown_seen])
    for kind, group in (("in_class", in_class_seen), ("unknown", unknown_seen)):
        result[f"{kind}_clips_rejected"] = {str(tau): float(np.mean([c["rejected"][str(tau)] > 0.5 for c in group]))
                                            if group else float("nan") for tau in TAUS}
    return result


def format_seed(r: dict) -> str:
    lines = [f"seed {r['seed']}: Penn validation MLP {r['val_mlp_accuracy']:.3f}, LSTMs {r['val_lstm_accuracy']:.3f}; "
             f"clip AUROC {r['auroc']:.2f}"]
    for c in r["clips"]:
        if "support" in c:
            lines.append(f"  {c['class'] or 'unknown':<16} {c['video'][:40]:<40} MLP gives the LSTMs' class "
                         f"{c['support']:.2f}   LSTMs: {c['lstm']:<15} MLP: {c['mlp']}")
    for tau in TAUS:
        t = str(tau)
        lines.append(f"  tau {tau:<4}: Penn val rejected {r['val_rejected'][t]:.3f}, real in-class clips "
                     f"{r['in_class_clips_rejected'][t]:.2f}, unknown {r['unknown_clips_rejected'][t]:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    p = ArgumentParser(prog="python -m bench.second_opinion", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="example:\n  python -m bench.second_opinion --checkpoint default --seeds 0 1 2\n")
    add_checkpoint_argument(p)
    p.add_argument("--data", type=Path, default=SHARED / "skeletons/penn_action_train_2d.pkl")
    p.add_argument("--label-map", type=Path, default=SHARED / "skeletons/penn_action_label_map.txt")
    p.add_argument("--videos", type=Path, default=SHARED / "videos")
    p.add_argument("--seeds", type=non_negative(int), nargs="+", default=[0, 1, 2])
    p.add_argument("--threads", type=positive(int), default=2)
    add_result_file_argument(p, "--json", "write every seed's figures as JSON")
    a = p.parse_args(argv)
    check_result_file(a.json, "--json", a.overwrite)
    path, why = resolve_checkpoint(a.checkpoint)
    print(f"model {path} ({why})")
    ckpt = load_checkpoint(path)
    results = []
    with torch_threads(a.threads):
        for seed in a.seeds:
            results.append(one_seed(ckpt, a.data, a.label_map, a.videos, seed))
            print(format_seed(results[-1]), flush=True)
    summary = {"auroc_mean": statistics.mean(r["auroc"] for r in results)} | {
        f"{kind}_rejected_mean_tau_{tau}": statistics.mean(r[f"{kind}_clips_rejected"][str(tau)] for r in results)
        for kind in ("in_class", "unknown") for tau in TAUS}
    print(f"mean over seeds {a.seeds}: clip AUROC {summary['auroc_mean']:.2f}; " + "; ".join(
        f"tau {tau}: in-class {summary[f'in_class_rejected_mean_tau_{tau}']:.2f} / unknown "
        f"{summary[f'unknown_rejected_mean_tau_{tau}']:.2f}" for tau in TAUS))
    write_result_file(a.json, {"seeds": results, "summary": summary}, a.overwrite)
    return summary


if __name__ == "__main__":
    run_cli(main)
