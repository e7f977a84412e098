"""Train the action LSTM on a MMAction2/PYSKL skeleton file: ``python -m training.train --help``."""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from training.background import KINDS
from training.calibrate import fit_decision
from training.checkpoint import save_checkpoint
from training.cli_types import ArgumentParser, CommaJoined, fraction, non_negative, number, path_text, positive
from training.config import RECIPES, TrainConfig, check_config, resolve_config
from training.dataset import SkeletonFile, keypoint_digest, load_skeleton_file
from training.device import add_device_argument, available_cores
from training.distributed import Distributed, distributed_from_environment
from training.errors import Terminated, UserError, run_cli
from training.features import FPS_RANGE, FeatureSpec, joints_seen, person_present
from training.loop import UNKNOWN_LABEL, encode_clips, evaluate, make_batches, train_epoch
from training.metrics import classification_metrics
from training.model import ModelConfig, build_model
from training.plots import plot_confusion, plot_loss, plot_metrics
from training.run_dir import choose_run_dir, point_latest, publish_run
from training.sampler import EpochSampler, new_member
from training.second_opinion import DEFAULT_MIN_SUPPORT, SecondOpinion, train_second_opinion
from training.selection import (LabelledClips, label_map_beside, label_map_for, official_split, select,
                                stratified_split)

EXAMPLES = """examples:
  python -m training.train --data ucf101_2d.pkl
  python -m training.train --data ucf101_2d.pkl --classes JumpingJack,PushUps,PullUps --epochs 10
  python -m training.train --data ucf101_2d.pkl --split train1          # official train1/test1 split
  python -m training.train --data ../shared/data/skeletons/penn_action_train_2d.pkl \\
      --label-map ../shared/data/skeletons/penn_action_label_map.txt --classes all --fps 30 --recipe strong
  python -m training.train --download --data ucf101_2d.pkl              # fetch the published file first
  torchrun --nproc_per_node=2 -m training.train --data ucf101_2d.pkl     # data-parallel, 2 processes
"""

TABLE_HEADER = f"{'epoch':>5} {'train_loss':>10} {'val_loss':>9} {'val_acc':>8} {'val_prec':>8} {'val_rec':>8} {'val_f1':>8}"


@dataclass
class TrainResult:
    """A published run. ``stopped_early``: Ctrl-C (``terminated``: SIGTERM) ended the training after
    ``len(epochs)`` epochs."""

    run_dir: Path
    epochs: list[dict]
    best_epoch: int
    seconds: float
    stopped_early: bool = False
    terminated: bool = False


def _format_row(row: dict) -> str:
    return (f"{row['epoch']:>5} {row['train_loss']:>10.4f} {row['val_loss']:>9.4f} {row['val_accuracy']:>8.3f} "
            f"{row['val_precision']:>8.3f} {row['val_recall']:>8.3f} {row['val_f1']:>8.3f}")


def member_splits(selected, file_split: dict, config: TrainConfig) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, validation) indices for every ensemble member.

    One split for all (``--split NAME``, or the stratified split of ``--seed``), or with
    ``--bagging`` member i's own stratified split of seed + i, so that together the members
    learn from every clip and each is still validated on clips it never saw.
    """
    if config.split:
        return [official_split(selected, file_split, config.split)] * config.ensemble
    seeds = [config.seed + i for i in range(config.ensemble)] if config.bagging else [config.seed] * config.ensemble
    return [stratified_split(selected.labels, config.val_fraction, s) for s in seeds]


def resolve_window(option: str, max_frames: int, clips: list[np.ndarray], fps: float) -> int:
    """``--window-frames``: "max", "auto" (75th percentile of the training clips' valid lengths),
    N frames (1..max_frames), or a duration such as "5s": that many seconds at the training ``fps``,
    at most ``max_frames`` (a recipe's duration still fits a shorter ``--max-frames``)."""
    text = str(option).strip().lower()
    if text == "max":
        return max_frames
    if text == "auto":
        lengths = [int(person_present(kp).sum()) for kp in clips]
        return int(min(max_frames, max(1, round(float(np.percentile(lengths, 75))))))
    if text.isdigit() and 1 <= int(text) <= max_frames:
        return int(text)
    seconds = _duration_s(text)
    if seconds is not None and round(seconds * fps) >= 1:
        return int(min(max_frames, round(seconds * fps)))
    raise UserError(f"--window-frames must be 'max', 'auto', a number in 1..{max_frames} or a duration such as "
                    f"'5s', got {option!r}.")


TRAINING_BYTES_PER_WEIGHT = 16    # float32 weight, its gradient and Adam's two moments


def check_model_fits(model_config: ModelConfig) -> None:
    """Refuse, before any model is built, one whose weights and optimiser state would not fit in
    half of this machine's memory (``--hidden-size 1000000`` asked PyTorch for 16 TB: a traceback).

    Raises:
        UserError: naming the size options and what they need.
    """
    need = model_config.parameter_count() * TRAINING_BYTES_PER_WEIGHT
    have = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if need > have / 2:
        raise UserError(f"The model asked for (--hidden-size {model_config.hidden_size}, --num-layers "
                        f"{model_config.num_layers}, --ensemble {model_config.ensemble}) has "
                        f"{model_config.parameter_count():,} weights and needs about {need / 2**30:,.0f} GiB to "
                        f"train; this machine has {have / 2**30:.0f} GiB. Choose smaller values (the spec recipe: "
                        "--hidden-size 128, --num-layers 1).")


def load_unknown_actions(path: str | None, data_path: str, known: list[np.ndarray], echo=print) -> list[np.ndarray]:
    """The (T, V, 2) clips of ``--unknown-data`` (every clip an action none of the classes is; its
    labels are not read), or none without the option. Clips that are also clips of the classes
    (``known``, (T, V, 2) each) are left out with a note: learnt both ways they taught nothing.

    Raises:
        UserError: the training data itself or a copy of it (its classes would be learnt as unknown
            too), or a file that is not a usable skeleton file.
    """
    if path is None:
        return []
    if Path(path).exists() and Path(data_path).exists() and os.path.samefile(path, data_path):
        raise UserError(f"--unknown-data '{path}' is the training data (--data): its clips would be learnt both as "
                        "their classes and as unknown. Give a file of other actions (python -m training.make_unknowns "
                        "makes one).")
    data = load_skeleton_file(path)
    taught = {keypoint_digest(clip) for clip in known}
    clips = [c.keypoints for c in data.clips if keypoint_digest(c.keypoints) not in taught]
    if data.clips and not clips:
        raise UserError(f"--unknown-data '{path}' holds only clips of the training data (a copy of --data?): they "
                        "would be learnt both as their classes and as unknown. Give a file of other actions "
                        "(python -m training.make_unknowns makes one).")
    if len(clips) < len(data.clips):
        echo(f"note: --unknown-data: {len(data.clips) - len(clips)} clip(s) that are also training clips of the "
             "classes are left out")
    echo(f"--unknown-data: {len(clips)} clips of actions none of the classes is, learnt by every member as "
         "unknown (equal probabilities)")
    return clips


def select_with_hint(data: SkeletonFile, config: TrainConfig) -> LabelledClips:
    """:func:`training.selection.select` with the data's own label map named in the error when it
    lies beside the data and ``--label-map`` was not given (a file from ``realtime.extract`` read
    with UCF101's map holds none of the default classes: "Choose other --classes" alone misled)."""
    try:
        return select(data, config.classes, label_map_for(config.label_map))
    except UserError as error:
        beside = label_map_beside(config.data)
        if config.label_map is not None or not beside.is_file():
            raise
        raise UserError(f"{error} Its own label map lies beside it: add --label-map {beside} --classes all "
                        "(without --label-map its labels are read as UCF101's).") from None


def _duration_s(text: str) -> float | None:
    """'5s' / '2.5s' -> seconds; anything else (or not a finite positive number) -> None."""
    if not text.endswith("s"):
        return None
    try:
        seconds = float(text[:-1])
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def train(config: TrainConfig, echo=print, progress: bool = True, distributed: Distributed | None = None) -> TrainResult:
    """Run the whole recipe and publish every output into a new run directory.

    Everything that can be checked is checked before training starts (options, the output
    folder, the data, the live window); outputs are staged and published only when complete.
    Under torchrun (``distributed``), every rank trains on its share of each global batch and
    rank 0 alone prints the log and writes the run directory.

    Raises:
        UserError: bad options or data, an output folder that cannot be used, or a training
            that diverged (a loss that became NaN or infinite); no run directory is left then.
    """
    started = time.perf_counter()
    group = distributed or Distributed()
    config = dataclasses.replace(config, world_size=group.world_size)
    if group.active:
        print(f"training process: {group.describe()}", flush=True)
    if not group.is_main:
        echo, progress = (lambda *_a, **_k: None), False
    check_config(config)
    final_dir = group.from_main(lambda: choose_run_dir(config.out, config.overwrite))
    if config.threads:
        cores = available_cores()
        if config.threads > cores:
            echo(f"--threads {config.threads}: this machine has {cores} core(s); using {cores} (more threads than "
                 "cores only slows training down)")
        torch.set_num_threads(min(config.threads, cores))
    if group.active:
        echo(f"data-parallel: world size {group.world_size} ({group.backend}); global batch {config.batch_size}, "
             f"about {config.batch_size / group.world_size:g} clips per rank per step; rank 0 writes the outputs")

    data = load_skeleton_file(config.data)
    for reason, names in data.skipped.items():
        echo(f"skipped {len(names)} clip(s) with {reason} (e.g. {names[0]})")
    selected = select_with_hint(data, config)
    if isinstance(config.classes, str) and config.classes.strip().lower() == "all":
        absent = [name for name in label_map_for(config.label_map) if name not in selected.classes]
        if absent:
            echo(f"note: --classes all learns the {len(selected.classes)} classes the file has clips of; "
                 f"{len(absent)} of the label map's have none and are not learnt ({', '.join(absent[:5])}"
                 f"{', ...' if len(absent) > 5 else ''})")
    splits = member_splits(selected, data.split, config)
    train_idx, val_idx = splits[0]
    clips = [c.keypoints for c in selected.clips]
    seen = joints_seen([selected.clips[i].scores for i in train_idx])
    if not seen:     # before: a model trained on features that were all 0
        raise UserError(f"No joint of the training clips in '{config.data}' has a keypoint_score above 0, so every "
                        "joint would be fed as 0. The file's keypoint_score must be the joints' confidence or "
                        "visibility (1 for a placed joint); a file with no keypoint_score at all reads every "
                        "joint as placed.")
    spec = FeatureSpec(max_frames=config.max_frames, fps=config.fps, velocity=config.velocity,
                       window_frames=resolve_window(config.window_frames, config.max_frames,
                                                    [clips[i] for i in train_idx], config.fps),
                       joints_used=seen)
    dropped = [j for j in spec.layout if j not in spec.joints_used]
    echo(f"{len(selected.classes)} classes, {len(train_idx)} training / {len(val_idx)} validation clips; "
         f"features {spec.feature_size} per frame, sequences up to {spec.max_frames} frames, live window "
         f"{spec.window_frames} frames at {spec.fps:g} fps"
         + (f"; joints never seen in training, fed as 0: {', '.join(dropped)}" if dropped else ""))
    asked_s = _duration_s(str(config.window_frames).strip().lower())
    if asked_s is not None and round(asked_s * config.fps) > spec.window_frames:
        echo(f"note: --window-frames {config.window_frames} at {config.fps:g} fps is {round(asked_s * config.fps)} "
             f"frames, more than --max-frames {config.max_frames}: the live window holds {spec.window_frames} frames "
             f"({spec.window_frames / config.fps:.3g} s); raise --max-frames for a longer one")

    unknown_clips = load_unknown_actions(config.unknown_data, config.data, clips, echo)
    n_classes = len(selected.classes)
    if config.leave_out and n_classes < config.ensemble:
        raise UserError(f"--leave-out needs at least as many classes as ensemble members ({n_classes} classes, "
                        f"--ensemble {config.ensemble}): every member must know some class.")
    n_background = int(round(config.background * len(train_idx) / n_classes))
    model_config = ModelConfig(input_size=spec.feature_size, hidden_size=config.hidden_size,
                               num_layers=config.num_layers, num_classes=n_classes + (n_background > 0),
                               cell=config.cell, bidirectional=config.bidirectional, dropout=config.dropout,
                               ensemble=config.ensemble, leave_out=config.leave_out)
    check_model_fits(model_config)
    known = model_config.known_classes(n_classes)                                    # (M, C)
    members = []
    for i, (t_idx, v_idx) in enumerate(splits):
        # --leave-out: member i learns its left-out classes as unknown actions and is validated on the others
        train_labels = np.where(known[i][selected.labels[t_idx]], selected.labels[t_idx], UNKNOWN_LABEL)
        v_idx = v_idx[known[i][selected.labels[v_idx]]]
        train_labels = np.concatenate([train_labels, np.full(len(unknown_clips), UNKNOWN_LABEL, train_labels.dtype)])
        sampler = EpochSampler(config, spec, [clips[j] for j in t_idx] + unknown_clips, train_labels, n_classes,
                               n_background)
        members.append(new_member(model_config, config, i, sampler,
                                  (*encode_clips([clips[j] for j in v_idx], spec), selected.labels[v_idx]), group))
    if config.ensemble > 1:
        how = ("each on its own stratified split (seeds {0}..{1}), together on every clip" if config.bagging
               else "on one split").format(config.seed, config.seed + config.ensemble - 1)
        unsure = (f"; member i learns classes i, i+{config.ensemble}, ... as unknown actions and is validated on "
                  "the others" if config.leave_out else "")
        echo(f"an ensemble of {config.ensemble} LSTMs trained {how}{unsure}; the table shows their mean")

    epochs: list[dict] = []
    echo(TABLE_HEADER)
    stopped_early = terminated = False
    try:
        for epoch in range(1, config.epochs + 1):
            epochs.append(train_one_epoch(epoch, members, config, n_classes, group, progress))
            echo(_format_row(epochs[-1]))
    except KeyboardInterrupt as stop:              # Ctrl-C or SIGTERM (training.errors.Terminated)
        if group.active or not epochs:
            raise                                  # nothing finished yet (or ranks to keep in step): nothing kept
        stopped_early, terminated = True, isinstance(stop, Terminated)
        echo(f"stopped by {'SIGTERM' if terminated else 'Ctrl-C'} during epoch {len(epochs) + 1} of {config.epochs}: "
             f"keeping the {len(epochs)} finished epoch(s) (Ctrl-C again to abandon the run)")
    model = build_model(model_config)
    for target, member in zip(model.members if config.ensemble > 1 else [model], members):
        target.load_state_dict(member.best_state)
    if not all(torch.isfinite(p).all() for p in model.parameters()):
        raise UserError("Training produced non-finite weights; no model was saved. Lower the learning rate "
                        f"(--lr, now {config.lr:g}).")
    best_epoch = int(round(np.mean([m.best_epoch for m in members])))
    confusion = np.sum([m.best_confusion for m in members], axis=0).tolist()
    seconds = time.perf_counter() - started

    kept = {k: float(np.mean([epochs[m.best_epoch - 1][k] for m in members])) for k in ("val_accuracy", "val_f1")}
    split_text = config.split or (f"stratified {1 - config.val_fraction:.0%}/{config.val_fraction:.0%} seed "
                                  f"{config.seed}" + (f"..{config.seed + config.ensemble - 1}, one per member"
                                                      if config.bagging and config.ensemble > 1 else ""))
    data_info = {"file": Path(config.data).name, "size_bytes": data.size_bytes, "n_train": len(train_idx),
                 "n_val": len(val_idx), "split": split_text, "val_accuracy": kept["val_accuracy"],
                 "val_f1": kept["val_f1"], "kept_epoch": best_epoch,
                 "kept_epochs": [m.best_epoch for m in members], "n_unknown_actions": len(unknown_clips)}
    if not group.is_main:
        group.barrier()                  # rank 0 fits the decision rules and writes the run directory
        return TrainResult(final_dir, epochs, best_epoch, seconds)
    seen = sorted({int(i) for t_idx, _ in splits for i in t_idx})    # every clip some member trained on
    decision = fit_decision([clips[i] for i in seen], [selected.clips[i].scores for i in seen],
                            selected.labels[seen], n_classes, spec, background=n_background > 0)
    second = None
    if config.second_model:
        try:
            second = fit_second_model(clips, selected.labels, splits[0], n_classes, spec, config.seed, data_info, echo)
            decision = dataclasses.replace(decision, second_opinion=DEFAULT_MIN_SUPPORT)
        except KeyboardInterrupt as stop:      # the LSTMs' epochs are kept: the run is written without it
            stopped_early, terminated = True, isinstance(stop, Terminated)
            echo(f"stopped by {'SIGTERM' if terminated else 'Ctrl-C'} while the second model trained: the run is "
                 "written without it (no 'second opinion' rule; retrain for it)")
    def write_run(folder: Path) -> None:
        save_checkpoint(folder / "model.pt", model, spec, selected.classes, data_info, config.to_dict(),
                        background=n_background > 0, decision=decision, class_ids=selected.label_ids,
                        second_opinion=second)
        write_outputs(folder, config, selected.classes, epochs, confusion, best_epoch,
                      {"data": data_info, "features": spec.to_dict(), "decision": decision.to_dict(),
                       "kept_epoch": best_epoch, "train_seconds": seconds, "world_size": group.world_size,
                       "stopped_early_after_epoch": len(epochs) if stopped_early else None,
                       "device": str(group.device),
                       "skipped_clips": {k: len(v) for k, v in data.skipped.items()}},
                      kept=[m.best_epoch for m in members])

    wanted, final_dir = final_dir, publish_run(final_dir, write_run, overwrite=config.overwrite)
    if final_dir != wanted:
        echo(f"note: '{wanted}' was filled by another run while this one trained; this run is in '{final_dir}' "
             "(nothing was replaced)")
    point_latest(final_dir)
    group.barrier()
    which = (f"epochs {', '.join(str(m.best_epoch) for m in members)}" if len(members) > 1 else f"epoch {best_epoch}")
    echo(f"kept {which}: val accuracy {kept['val_accuracy']:.3f}, F1 {kept['val_f1']:.3f}; "
         f"{seconds:.1f} s; outputs in {final_dir}/" + (f" (stopped after {len(epochs)} of {config.epochs} epochs)"
                                                      if stopped_early else ""))
    return TrainResult(final_dir, epochs, best_epoch, seconds, stopped_early, terminated)


def fit_second_model(clips: list[np.ndarray], labels: np.ndarray, split: tuple[np.ndarray, np.ndarray], n_classes: int,
                     spec: FeatureSpec, seed: int, data_info: dict, echo) -> SecondOpinion:
    """The second opinion (``training.second_opinion``) on the first member's training part; its
    accuracy on that member's validation clips goes into ``data_info``.

    Args:
        clips: (T, V, 2) pixels of every selected clip; labels: (N,) their classes.
        split: (training, validation) indices into ``clips``.
    """
    started = time.perf_counter()
    t_idx, v_idx = split
    with_person = [clip[person_present(clip)] for clip in clips]
    usable = [i for i in t_idx if len(with_person[i])]
    model = train_second_opinion([with_person[i] for i in usable], labels[usable], n_classes, spec, seed)
    checked = [i for i in v_idx if len(with_person[i])]
    accuracy = None
    if checked:
        features, lengths = encode_clips([with_person[i] for i in checked], spec)
        accuracy = float((model.probabilities(features, lengths).argmax(1) == labels[checked]).mean())
    data_info["second_opinion_val_accuracy"] = accuracy
    echo(f"second model (an MLP over where the joints were, no order in time): trained on {len(usable)} clips in "
         f"{time.perf_counter() - started:.0f} s" + ("" if accuracy is None else
                                                      f", val accuracy {accuracy:.3f}"))
    return model


def train_one_epoch(epoch: int, members: list, config: TrainConfig, n_classes: int, group: Distributed,
                    progress: bool) -> dict:
    """One epoch of every member; returns the table row (the members' mean).

    A member's best state is replaced only once the whole epoch is done, so an epoch cut short by
    Ctrl-C leaves every member as it was after the previous one.

    Raises:
        UserError: the training diverged (a loss became NaN or infinite).
    """
    losses, rows, candidates = [], [], []
    with tqdm(total=sum(m.sampler.size for m in members), desc=f"epoch {epoch}/{config.epochs}", unit="clip",
              leave=False, disable=not progress) as bar:
        for member in members:
            x_epoch, len_epoch, y_epoch = member.sampler.sample(member.rng)
            batches = make_batches(len_epoch, config.batch_size, member.rng, bucket=config.bucket)
            losses.append(train_epoch(member.model, member.optimizer, x_epoch, len_epoch, y_epoch, batches,
                                      bar.update, group))
            if member.scheduler is not None:
                member.scheduler.step()
            val_loss, predicted = evaluate([member.model], member.x_val, member.len_val, member.y_val, group)
            if not all(math.isfinite(v) for v in (losses[-1], val_loss)):
                raise UserError(f"Training diverged at epoch {epoch} (the loss became "
                                f"{losses[-1] if not math.isfinite(losses[-1]) else val_loss}); no model was "
                                f"saved. Lower the learning rate (--lr, now {config.lr:g}).")
            m = classification_metrics(member.y_val, predicted, n_classes)
            rows.append({"val_loss": val_loss, "val_accuracy": m["accuracy"], "val_precision": m["precision"],
                         "val_recall": m["recall"], "val_f1": m["f1"]})
            if not config.keep_best or val_loss < member.best_loss:
                inner = getattr(member.model, "module", member.model)             # DDP's wrapped model
                state = {k: v.detach().cpu().clone() for k, v in inner.state_dict().items()}
                candidates.append((member, val_loss, state, m["confusion_matrix"]))
    for member, val_loss, state, confusion in candidates:
        member.best_loss, member.best_epoch = val_loss, epoch
        member.best_state, member.best_confusion = state, confusion
    return {"epoch": epoch, "train_loss": float(np.mean(losses)),
            **{k: float(np.mean([r[k] for r in rows])) for k in rows[0]}}


def write_outputs(run_dir: Path, config: TrainConfig, classes: list[str], epochs: list[dict],
                  confusion: list[list[int]], best_epoch: int, run_info: dict, kept: list[int] | None = None) -> None:
    """The metrics JSON and CSV, run.json and the three plots (into the staging folder)."""
    metrics = {"config": config.to_dict(), "classes": classes, "epochs": epochs, "confusion_matrix": confusion}
    (run_dir / "metricas_entrenamiento.json").write_text(json.dumps(metrics, indent=2, allow_nan=False))
    import pandas as pd     # imported here, as the plots' libraries: a refused option need not wait for it
    pd.DataFrame(epochs).to_csv(run_dir / "metrics.csv", index=False)
    (run_dir / "run.json").write_text(json.dumps(run_info, indent=2, allow_nan=False))
    plot_loss(epochs, run_dir / "loss.png", (kept or [best_epoch]) if config.keep_best else None)
    plot_metrics(epochs, run_dir / "metrics.png")
    which = f"epoch {best_epoch}" if not kept or len(kept) == 1 else f"{len(kept)} members, each on its own split"
    plot_confusion(confusion, classes, run_dir / "confusion_matrix.png",
                   f"Validation confusion matrix ({which}, accuracy {run_info['data']['val_accuracy']:.1%})")


def background_kinds(text: str) -> str:
    """``--background-kinds``: comma-separated names from :data:`training.background.KINDS`."""
    kinds = [k.strip().lower() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if not kinds or unknown:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(KINDS)}, comma-separated; got {text!r}")
    return ",".join(kinds)


def build_parser() -> argparse.ArgumentParser:
    d = TrainConfig()
    p = ArgumentParser(prog="python -m training.train", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    flag = partial(p.add_argument, default=None)
    flag("--data", type=path_text, help=f"skeleton pickle in the MMAction2/PYSKL format (default {d.data})")
    flag("--download", action="store_true", help="download the published ucf101_2d.pkl to --data first if missing")
    flag("--label-map", type=path_text, help="text file, one class name per line (default: UCF101's 101 classes)")
    flag("--classes", nargs="+", action=CommaJoined, metavar="CLASSES",
         help=f"names or ids, separated by commas or spaces, or 'all' (default {d.classes})")
    flag("--split", help="train on this official split (e.g. train1) and validate on its test twin")
    flag("--val-fraction", type=fraction(False, False), help=f"validation share of the stratified split (default {d.val_fraction})")
    flag("--seed", type=non_negative(int), help=f"seed for the split, init and batches (default {d.seed})")
    flag("--recipe", choices=list(RECIPES), help="named set of defaults: spec (default), strong, or trust (strong as an "
                                                 "ensemble of 3: the bundled model's recipe)")
    flag("--max-frames", type=positive(int), help=f"training sequences are cut/padded to this (default {d.max_frames})")
    flag("--window-frames", help="live window: 'max' (= --max-frames, default), 'auto' (the 75th percentile of "
                                 "training clip lengths), a number of frames or seconds such as '5s' (the trust "
                                 "recipe's)")
    flag("--fps", type=number(float, *FPS_RANGE), help=f"frame rate of the training clips, used to resample live video (default {d.fps:g})")
    flag("--velocity", action=argparse.BooleanOptionalAction, help="add frame-difference features")
    flag("--hidden-size", type=positive(int), help=f"LSTM units (default {d.hidden_size})")
    flag("--num-layers", type=positive(int), help=f"LSTM layers (default {d.num_layers})")
    flag("--cell", choices=["lstm", "gru"], help="recurrent cell (default lstm)")
    flag("--bidirectional", action=argparse.BooleanOptionalAction, help="read the window both ways")
    flag("--dropout", type=fraction(True, False), help=f"dropout before the head (default {d.dropout})")
    flag("--ensemble", type=number(int, 1, 20), help="train N LSTMs from seeds seed..seed+N-1 and average them (default 1)")
    flag("--bagging", action=argparse.BooleanOptionalAction,
         help="with --ensemble: each member on its own stratified split (seed + i), so together they see every clip")
    flag("--leave-out", action=argparse.BooleanOptionalAction,
         help="with --ensemble N: member i learns every N-th class (i, i+N, ...) as an unknown action (equal "
              "probabilities), so that the members learn to be unsure of motion unlike the classes they know")
    flag("--batch-size", type=positive(int), help=f"(default {d.batch_size})")
    flag("--epochs", type=positive(int), help=f"(default {d.epochs})")
    flag("--lr", type=number(float, 0.0, 10.0, low_inclusive=False), help=f"Adam learning rate (default {d.lr})")
    flag("--weight-decay", type=non_negative(float), help=f"(default {d.weight_decay})")
    flag("--lr-schedule", choices=["none", "cosine"], help="learning-rate schedule (default none)")
    flag("--augment", action=argparse.BooleanOptionalAction, help="skeleton-space augmentation")
    flag("--pose-noise", action=argparse.BooleanOptionalAction,
         help="pose-estimator-like body proportions, jitter and lost joints")
    flag("--short-crops", action=argparse.BooleanOptionalAction,
         help="half the training crops from 1 s up, as a live window that is still filling")
    flag("--second-model", action=argparse.BooleanOptionalAction,
         help="also train a model of another kind (an MLP over where the joints were in the window, no order in "
              "time); a class is then named only when it agrees (--second-opinion; part of the trust recipe)")
    flag("--unknown-data", type=path_text, help="skeleton file of actions that are none of the classes (e.g. from "
                                                "python -m training.make_unknowns): every member learns them as unknown")
    flag("--background", type=non_negative(float), help="background ('no action') sequences per epoch, as a multiple of the mean "
                                          "clips per class; 0 = no background output (default 0)")
    flag("--background-kinds", type=background_kinds, help=f"comma-separated, from {', '.join(KINDS)} (default all)")
    flag("--keep-best", action=argparse.BooleanOptionalAction, help="keep the epoch with the lowest val loss")
    flag("--bucket", action=argparse.BooleanOptionalAction, help="batch clips of similar length (default on)")
    flag("--threads", type=positive(int), help="torch CPU threads, at most the cores available (default: torch's choice)")
    add_device_argument(p, default=None)
    flag("--out", type=path_text, help="run directory (default runs/<timestamp>); must be new or empty")
    flag("--overwrite", action="store_true", help="allow writing into a non-empty --out")
    return p


def main(argv: list[str] | None = None) -> TrainResult:
    args = vars(build_parser().parse_args(argv))
    download = args.pop("download")
    config = resolve_config(args)
    if download and not Path(config.data).exists():
        from training.download import UCF101_URL, download_file
        download_file(UCF101_URL, Path(config.data))
    with distributed_from_environment(config.device) as group:
        result = train(config, distributed=group)
    if result.stopped_early:               # the run is saved; the exit status (130 / 143) still says it was stopped
        raise Terminated() if result.terminated else KeyboardInterrupt()
    return result


if __name__ == "__main__":
    run_cli(main)
