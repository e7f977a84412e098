"""Classify one stored sample of a skeleton file: ``python -m training.predict --help``."""
from __future__ import annotations

import argparse
import difflib

from training.checkpoint import LoadedCheckpoint, add_checkpoint_argument, load_checkpoint, resolve_checkpoint
from training.cli_types import ArgumentParser, non_negative, path_text, positive
from training.dataset import load_skeleton_file
from training.decision import NO_ACTION, DecisionSpec, SteadyDecider, add_decision_arguments
from training.device import add_device_argument, resolve_device
from training.errors import UserError, run_cli
from training.features import motion_amount, travel_amount, visible_share
from training.inference import predict_keypoints, top_k
from training.selection import label_map_for, label_map_of_data, model_classes_by_label

EXAMPLES = """examples:
  python -m training.predict --data ucf101_2d.pkl --index 12
  python -m training.predict --checkpoint runs/latest/model.pt --data ucf101_2d.pkl --frame-dir v_JumpingJack_g01_c01
"""


def predict_sample(ckpt: LoadedCheckpoint, data: str, index: int | None = None, frame_dir: str | None = None,
                   label_map: str | None = None, k: int = 5, decision: DecisionSpec | None = None) -> dict:
    """True class, decided label, arg-max class and top-k of one annotation (by position or by name),
    and ``notes`` for the user when the clip shown may not be the one they meant."""
    decision = decision or ckpt.decision
    skeletons = load_skeleton_file(data)
    notes: list[str] = []
    if frame_dir is not None:
        positions = [i for i, c in enumerate(skeletons.clips) if c.frame_dir == frame_dir]
        matches = [skeletons.clips[i] for i in positions]
        skipped_for = [reason for reason, names in skeletons.skipped.items() if frame_dir in names]
        if not matches and skipped_for:
            raise UserError(f"Clip '{frame_dir}' of '{data}' cannot be predicted: it has {skipped_for[0]} "
                            "(its first person's keypoints are empty or all at the image origin).")
        if not matches:
            close = difflib.get_close_matches(frame_dir, [c.frame_dir for c in skeletons.clips], n=3)
            raise UserError(f"No clip '{frame_dir}' in '{data}'." + (f" Did you mean {', '.join(close)}?" if close else ""))
        clip = matches[0]
        if len(positions) > 1:
            notes.append(f"{len(positions)} clips of '{data}' are named '{frame_dir}' (--index "
                         f"{', '.join(map(str, positions))}); this is the first, --index {positions[1]} shows the next")
    else:
        index = 0 if index is None else index
        if not 0 <= index < len(skeletons.clips):
            raise UserError(f"--index {index} is out of range: '{data}' has {len(skeletons.clips)} usable clips (0.."
                            f"{len(skeletons.clips) - 1}).")
        clip = skeletons.clips[index]
        left_out = sum(len(names) for names in skeletons.skipped.values())
        if left_out:
            reasons = "; ".join(f"{reason}: {', '.join(names[:3])}{', ...' if len(names) > 3 else ''}"
                                for reason, names in skeletons.skipped.items())
            notes.append(f"--index counts the file's {len(skeletons.clips)} usable clips; {left_out} annotation(s) "
                         f"were left out ({reasons}), so a position can differ from the annotation's own in the "
                         "file (--frame-dir NAME picks a clip by its name)")
    model_class = model_classes_by_label(ckpt.classes, ckpt.class_ids, label_map)
    if clip.label in model_class:
        true_name = ckpt.classes[model_class[clip.label]]
    else:
        names = label_map_for(label_map) if label_map else ()
        true_name = names[clip.label] if 0 <= clip.label < len(names) else f"label {clip.label}"
    scores = predict_keypoints(ckpt, clip.keypoints)
    if scores is None:
        raise UserError(f"Clip '{clip.frame_dir}' has no frame with a person in it.")
    probabilities, background = scores.probabilities[0], float(scores.background[0])
    decider = SteadyDecider(ckpt.classes, decision, ckpt.member_known)
    d = decider.update(0.0, probabilities, background, motion_amount(clip.keypoints, ckpt.spec, decision.still_s),
                       visible_share(clip.scores, ckpt.spec), None if scores.members is None else scores.members[:, 0],
                       None if scores.second_opinion is None else scores.second_opinion[0],
                       travel=(travel_amount(clip.keypoints, ckpt.spec, decision.travel_s)
                               if decision.max_travel > 0 else None))
    return {"frame_dir": clip.frame_dir, "true": true_name, "in_model": clip.label in model_class,
            "label": d.label, "reason": d.reason, "predicted": d.raw_label, "probability": d.raw_probability,
            "background": background, "second_opinion": d.support, "topk": top_k(probabilities, ckpt.classes, k),
            "frames": len(clip.keypoints),
            "notes": notes}


def main(argv: list[str] | None = None) -> dict:
    p = ArgumentParser(prog="python -m training.predict", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_checkpoint_argument(p)
    add_device_argument(p)
    p.add_argument("--data", type=path_text, required=True, help="skeleton pickle (MMAction2/PYSKL format)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--index", type=non_negative(int), help="position of the clip among the file's usable clips")
    which.add_argument("--frame-dir", help="the clip's name, e.g. v_JumpingJack_g01_c01")
    p.add_argument("--label-map", type=path_text,
                   help="label map of the file (default: <data>.labels.txt beside it, as realtime.extract writes "
                        "it, else the label ids the checkpoint was trained on)")
    p.add_argument("--top-k", type=positive(int), default=5, help="classes listed (default 5)")
    add_decision_arguments(p)
    a = p.parse_args(argv)
    path, why = resolve_checkpoint(a.checkpoint)
    print(f"model {path} ({why})")
    ckpt = load_checkpoint(path, device=resolve_device(a.device))
    r = predict_sample(ckpt, a.data, a.index, a.frame_dir, label_map_of_data(a.data, a.label_map), a.top_k,
                       ckpt.decision_from(a))
    for note in r["notes"]:
        print(f"note: {note}")
    print(f"clip       {r['frame_dir']} ({r['frames']} frames)")
    print(f"true       {r['true']}" + ("" if r["in_model"] else "  (not a class of this model)"))
    said = r["label"] + (f"  ({r['reason']})" if r["label"] == NO_ACTION else "")
    print(f"decision   {said}" + ("" if r["second_opinion"] is None else
                                     f"   (the second model gives it {r['second_opinion']:.1%})"))
    print(f"predicted  {r['predicted']}  {r['probability']:.1%}" + (f"   background {r['background']:.1%}"
                                                                    if r["background"] else ""))
    for name, prob in r["topk"]:
        print(f"  {name:<24} {prob:6.1%} {'#' * int(round(prob * 30))}")
    return r


if __name__ == "__main__":
    run_cli(main)
