"""A Python reference for the pixel-statistics judge (the product's judge is C#; this shows the fixtures are decidable).

    /usr/bin/python3 models/training/judge_reference.py models/shapes-world/fixtures

For single-object images: background = nearest palette colour to the median border pixel; object coverage =
|pixel - background| / |fill - background| (antialiased edges give fractions); colour = nearest palette colour to
the median of the most distinct quarter of object pixels; size/position from the sub-pixel bounding box; shape by
re-rendering each candidate shape into the same bounding box and keeping the one with the smallest L1 error.
"""
from __future__ import annotations

import json
import math
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402


def _extent_for(shape: str, w: float, h: float) -> float:
    if shape == "square":
        return max(w, h) / 2 / 0.85
    if shape == "triangle":
        return w / 2
    if shape == "star":
        return w / 2 / (1.1 * math.cos(math.radians(18)))
    return max(w, h) / 2


def judge(rgb: np.ndarray) -> dict:
    a = rgb.astype(float)
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    bgc = np.median(border, 0)
    bg = min(world.BACKGROUNDS, key=lambda k: np.abs(np.array(world.BACKGROUND_RGB[k]) - bgc).sum())
    diff = np.abs(a - bgc).sum(-1)
    mask = diff > 60
    core = diff >= np.percentile(diff[mask], 75)
    col = np.median(a[core], 0)
    colour = min(world.COLOURS, key=lambda k: np.abs(np.array(world.COLOUR_RGB[k]) - col).sum())
    cov = np.clip(diff / np.abs(col - bgc).sum(), 0, 1)
    ys, xs = np.nonzero(cov > 0.02)
    colp, rowp = cov.max(0), cov.max(1)
    x0, x1 = xs.min() + 1 - colp[xs.min()], xs.max() + colp[xs.max()]
    y0, y1 = ys.min() + 1 - rowp[ys.min()], ys.max() + rowp[ys.max()]
    w, h = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    best = None
    for s in world.SHAPES:
        o = world.ShapeObject(s, "red", "small", "left", (255, 255, 255), (cx, cy), _extent_for(s, w, h))
        r = world.render(world.Scene("black", (0, 0, 0), (o,)))[..., 0] / 255.0
        err = float(np.abs(r - cov).sum())
        if best is None or err < best[0]:
            best = (err, s)
    position = min(world.POSITIONS, key=lambda k: (world.POSITION_XY[k][0] - cx) ** 2 + (world.POSITION_XY[k][1] - cy) ** 2)
    size = "small" if max(w, h) / 2 < 10 else "large"
    return {"background": bg, "colour": colour, "shape": best[1], "size": size, "position": position}


def main() -> None:
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "shapes-world", "fixtures")
    with open(os.path.join(folder, "ground_truth.json")) as f:
        gt = json.load(f)
    ok = total = 0
    for e in gt["images"]:
        if len(e["objects"]) != 1:
            continue
        pred = judge(np.asarray(Image.open(os.path.join(folder, e["file"])).convert("RGB")))
        o = e["objects"][0]
        truth = {"background": e["background"], **{k: o[k] for k in ("colour", "shape", "size", "position")}}
        total += 1
        if pred == truth:
            ok += 1
        else:
            print(e["file"], "predicted", pred, "truth", truth)
    print(f"all five attributes correct: {ok}/{total} ({100 * ok / total:.1f}%)")


if __name__ == "__main__":
    main()
