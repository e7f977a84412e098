"""Classify one stored sample of a skeleton file: ``python -m training.predict --help``."""
from __future__ import annotations

import argparse

from training.checkpoint import find_latest_checkpoint, load_checkpoint
from training.dataset import load_skeleton_file
from training.errors import UserError, run_cli
from training.inference import predict_keypoints, top_k
from training.selection import label_map_for

EXAMPLES = """examples:
  python -m training.predict --data ucf101_2d.pkl --index 12
  python -m training.predict --checkpoint runs/latest/model.pt --data ucf101_2d.pkl --frame-dir v_JumpingJack_g01_c01
"""


def predict_sample(checkpoint: str | None, data: str, index: int | None = None, frame_dir: str | None = None,
                   label_map: str | None = None, k: int = 5) -> dict:
    """True class, predicted class and top-k of one annotation (by position or by name)."""
    ckpt = load_checkpoint(checkpoint or find_latest_checkpoint())
    skeletons = load_skeleton_file(data)
    if frame_dir is not None:
        matches = [c for c in skeletons.clips if c.frame_dir == frame_dir]
        if not matches:
            import difflib
            close = difflib.get_close_matches(frame_dir, [c.frame_dir for c in skeletons.clips], n=3)
            raise UserError(f"No clip '{frame_dir}' in '{data}'." + (f" Did you mean {', '.join(close)}?" if close else ""))
        clip = matches[0]
    else:
        index = 0 if index is None else index
        if not 0 <= index < len(skeletons.clips):
            raise UserError(f"--index {index} is out of range: '{data}' has {len(skeletons.clips)} usable clips (0.."
                            f"{len(skeletons.clips) - 1}).")
        clip = skeletons.clips[index]
    names = label_map_for(label_map)
    true_name = names[clip.label] if 0 <= clip.label < len(names) else f"label {clip.label}"
    probabilities = predict_keypoints(ckpt, clip.keypoints)
    ranked = top_k(probabilities, ckpt.classes, k)
    return {"frame_dir": clip.frame_dir, "true": true_name, "in_model": true_name in ckpt.classes,
            "predicted": ranked[0][0], "probability": ranked[0][1], "topk": ranked, "frames": len(clip.keypoints)}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m training.predict", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", help="model.pt (default: the newest run under runs/)")
    p.add_argument("--data", required=True, help="skeleton pickle (MMAction2/PYSKL format)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--index", type=int, help="position of the clip among the file's usable clips")
    which.add_argument("--frame-dir", help="the clip's name, e.g. v_JumpingJack_g01_c01")
    p.add_argument("--label-map", help="label map of the file (default: UCF101)")
    p.add_argument("--top-k", type=int, default=5)
    a = p.parse_args(argv)
    r = predict_sample(a.checkpoint, a.data, a.index, a.frame_dir, a.label_map, a.top_k)
    print(f"clip       {r['frame_dir']} ({r['frames']} frames)")
    print(f"true       {r['true']}" + ("" if r["in_model"] else "  (not a class of this model)"))
    print(f"predicted  {r['predicted']}  {r['probability']:.1%}")
    for name, prob in r["topk"]:
        print(f"  {name:<24} {prob:6.1%} {'#' * int(round(prob * 30))}")
    return r


if __name__ == "__main__":
    run_cli(main)
