"""The shapes world: a deterministic generator of 64x64 scenes, their captions and a held-out split.

Every scene is a pure function of (seed, split, index): ``sample_scene`` draws the discrete attributes and the
continuous jitter from ``numpy.random.default_rng([seed, split_id, index])`` (PCG64, stable across numpy
versions), ``render`` draws it with PIL at 4x and box-filters it down (light antialiasing), and ``caption``
writes one of many templates/word orders from its own stream, so captions can be re-drawn every epoch.

Splits are disjoint random streams: ``train`` for fitting, ``val`` for model selection, ``test`` for the
held-out numbers in models/README.md and the committed PNG fixtures (models/shapes-world/fixtures/).

Part 2 (VAE, UNet, Flux) imports this module; keep the public names stable:
    SHAPES, COLOURS, SIZES, POSITIONS, BACKGROUNDS, Scene, ShapeObject,
    sample_scene, render, caption, caption_with_spec, consistent, scenes, IMAGE_SIZE.

Run ``python3 models/training/world.py --fixtures models/shapes-world/fixtures`` to write the judge fixtures.
"""
from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import dataclass, asdict, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

IMAGE_SIZE = 64
SUPERSAMPLE = 4
DEFAULT_SEED = 20240604

SHAPES = ("circle", "square", "triangle", "star")
COLOURS = ("red", "green", "blue", "yellow", "purple", "orange", "cyan", "pink")
SIZES = ("small", "large")
POSITIONS = ("left", "right", "top", "bottom", "center")
BACKGROUNDS = ("white", "black", "gray", "beige")

BACKGROUND_RGB: Dict[str, Tuple[int, int, int]] = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "gray": (128, 128, 128),
    "beige": (232, 214, 178),
}
COLOUR_RGB: Dict[str, Tuple[int, int, int]] = {
    "red": (215, 35, 35),
    "green": (40, 165, 50),
    "blue": (40, 70, 215),
    "yellow": (240, 215, 30),
    "purple": (135, 55, 175),
    "orange": (245, 135, 25),
    "cyan": (30, 195, 215),
    "pink": (240, 135, 185),
}
# Half-extent of the object's bounding box in pixels, before jitter.
SIZE_PX: Dict[str, float] = {"small": 7.0, "large": 13.0}
# Centre of the object's bounding box, before jitter. Left/right and top/bottom are 30 px apart, so two large
# objects never overlap.
POSITION_XY: Dict[str, Tuple[float, float]] = {
    "left": (17.0, 32.0),
    "right": (47.0, 32.0),
    "top": (32.0, 17.0),
    "bottom": (32.0, 47.0),
    "center": (32.0, 32.0),
}
SPLITS = {"train": 0, "val": 1, "test": 2}
TWO_OBJECT_FRACTION = 0.25
TWO_OBJECT_LAYOUTS = (("left", "right"), ("top", "bottom"))

COLOUR_JITTER = 12  # +- per channel
BACKGROUND_JITTER = 4  # +- per channel
POSITION_JITTER = 2.0  # +- px
SIZE_JITTER = 0.1  # +- relative


@dataclass(frozen=True)
class ShapeObject:
    shape: str
    colour: str
    size: str
    position: str
    rgb: Tuple[int, int, int]
    center: Tuple[float, float]  # bounding-box centre (x, y) in pixels of the 64x64 image
    extent: float  # bounding-box half-extent in pixels


@dataclass(frozen=True)
class Scene:
    background: str
    background_rgb: Tuple[int, int, int]
    objects: Tuple[ShapeObject, ...]
    split: str = "train"
    index: int = 0

    def to_json(self) -> dict:
        d = asdict(self)
        d["objects"] = [asdict(o) for o in self.objects]
        return d


def _rng(seed: int, split: str, index: int, stream: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, SPLITS[split], index, stream])


def _jitter_rgb(rng: np.random.Generator, base: Sequence[int], amount: int) -> Tuple[int, int, int]:
    d = rng.integers(-amount, amount + 1, size=3)
    return tuple(int(np.clip(b + x, 0, 255)) for b, x in zip(base, d))  # type: ignore[return-value]


def _make_object(rng: np.random.Generator, shape: str, colour: str, size: str, position: str) -> ShapeObject:
    cx, cy = POSITION_XY[position]
    cx += float(rng.uniform(-POSITION_JITTER, POSITION_JITTER))
    cy += float(rng.uniform(-POSITION_JITTER, POSITION_JITTER))
    extent = SIZE_PX[size] * float(rng.uniform(1 - SIZE_JITTER, 1 + SIZE_JITTER))
    rgb = _jitter_rgb(rng, COLOUR_RGB[colour], COLOUR_JITTER)
    return ShapeObject(shape, colour, size, position, rgb, (round(cx, 3), round(cy, 3)), round(extent, 3))


def sample_scene(index: int, split: str = "train", seed: int = DEFAULT_SEED, objects: Optional[int] = None) -> Scene:
    """Draws scene ``index`` of ``split``. ``objects`` forces 1 or 2 objects (default: 2 with probability 1/4)."""
    rng = _rng(seed, split, index)
    background = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
    background_rgb = _jitter_rgb(rng, BACKGROUND_RGB[background], BACKGROUND_JITTER)
    two = bool(rng.random() < TWO_OBJECT_FRACTION)
    if objects is not None:
        two = objects == 2
    if not two:
        obj = _make_object(
            rng,
            SHAPES[int(rng.integers(len(SHAPES)))],
            COLOURS[int(rng.integers(len(COLOURS)))],
            SIZES[int(rng.integers(len(SIZES)))],
            POSITIONS[int(rng.integers(len(POSITIONS)))],
        )
        objs: Tuple[ShapeObject, ...] = (obj,)
    else:
        layout = TWO_OBJECT_LAYOUTS[int(rng.integers(len(TWO_OBJECT_LAYOUTS)))]
        colours = rng.choice(len(COLOURS), size=2, replace=False)
        objs = tuple(
            _make_object(
                rng,
                SHAPES[int(rng.integers(len(SHAPES)))],
                COLOURS[int(colours[k])],
                SIZES[int(rng.integers(len(SIZES)))],
                layout[k],
            )
            for k in range(2)
        )
    return Scene(background, background_rgb, objs, split, index)


def scenes(n: int, split: str = "train", seed: int = DEFAULT_SEED, start: int = 0, objects: Optional[int] = None) -> List[Scene]:
    return [sample_scene(i, split, seed, objects) for i in range(start, start + n)]


# ----------------------------------------------------------------------------------------------- rendering

def _polygon(shape: str, cx: float, cy: float, r: float) -> Optional[List[Tuple[float, float]]]:
    if shape == "square":
        h = 0.85 * r
        return [(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h)]
    if shape == "triangle":
        h = 0.9 * r
        return [(cx, cy - h), (cx + r, cy + h), (cx - r, cy + h)]
    if shape == "star":
        outer, inner = 1.1 * r, 0.45 * 1.1 * r
        pts = []
        for k in range(10):
            rad = outer if k % 2 == 0 else inner
            a = -math.pi / 2 + k * math.pi / 5
            pts.append((rad * math.cos(a), rad * math.sin(a)))
        ys = [p[1] for p in pts]
        dy = (min(ys) + max(ys)) / 2  # centre the bounding box vertically
        return [(cx + x, cy + y - dy) for x, y in pts]
    return None


def render(scene: Scene) -> np.ndarray:
    """Returns the scene as a uint8 array [64, 64, 3] (RGB)."""
    s = SUPERSAMPLE
    img = Image.new("RGB", (IMAGE_SIZE * s, IMAGE_SIZE * s), scene.background_rgb)
    draw = ImageDraw.Draw(img)
    for o in scene.objects:
        cx, cy, r = o.center[0] * s, o.center[1] * s, o.extent * s
        if o.shape == "circle":
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=o.rgb)
        else:
            draw.polygon(_polygon(o.shape, cx, cy, r), fill=o.rgb)
    img = img.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BOX)
    return np.asarray(img, dtype=np.uint8).copy()


def render_image(scene: Scene) -> Image.Image:
    return Image.fromarray(render(scene), "RGB")


# ----------------------------------------------------------------------------------------------- captions

_POSITION_PHRASES = {
    "left": ("on the left", "at the left", "to the left"),
    "right": ("on the right", "at the right", "to the right"),
    "top": ("at the top", "near the top", "on the top"),
    "bottom": ("at the bottom", "near the bottom", "on the bottom"),
    "center": ("in the center", "in the middle", "at the center"),
}
_GENERIC_NOUNS = ("shape", "object")


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _noun_phrase(rng: np.random.Generator, attrs: dict, article: bool = True) -> str:
    words = []
    if "size" in attrs:
        words.append(attrs["size"])
    if "colour" in attrs:
        words.append(attrs["colour"])
    words.append(attrs.get("shape") or _GENERIC_NOUNS[int(rng.integers(2))])
    text = " ".join(words)
    return f"{_article(text)} {text}" if article else text


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _mention(rng: np.random.Generator, o: ShapeObject, p: Dict[str, float]) -> dict:
    attrs = {}
    for key, value in (("colour", o.colour), ("shape", o.shape), ("size", o.size), ("position", o.position)):
        if rng.random() < p[key]:
            attrs[key] = value
    return attrs


def caption_with_spec(scene: Scene, k: int = 0, seed: int = DEFAULT_SEED) -> Tuple[str, dict]:
    """Caption number ``k`` of the scene and its spec: which attributes the caption states.

    The spec is ``{"count": n, "background": str|None, "objects": [{attr: value}, ...]}``; ``consistent`` uses
    it to tell which other scenes the caption also describes (for multi-positive contrastive targets).
    """
    rng = _rng(seed, scene.split, scene.index, 1 + k)
    bg = scene.background if rng.random() < 0.35 else None
    # Suffix with its own separator: ", white background" / " on a white background" / " against a ...".
    bg_suffix = ""
    if bg is not None:
        bg_suffix = _pick(rng, (f", {bg} background", f" on a {bg} background", f" against a {bg} background"))
    prefix = _pick(rng, ("", "", "", "a photo of ", "an image of ", "a picture of ", "there is "))

    if len(scene.objects) == 1:
        o = scene.objects[0]
        attrs = _mention(rng, o, {"colour": 0.85, "shape": 0.85, "size": 0.55, "position": 0.7})
        style = int(rng.integers(4))
        pp = " " + _pick(rng, _POSITION_PHRASES[o.position]) if "position" in attrs else ""
        if style == 1:
            # "red circle, white background", "large red circle on the left"
            text = _noun_phrase(rng, attrs, article=False) + pp + (f", {bg} background" if bg else "")
        elif style == 2 and pp:
            # "on the left, a large red circle"
            text = pp.strip() + ", " + _noun_phrase(rng, attrs) + bg_suffix
        elif style == 3 and "colour" in attrs:
            # "a circle that is red at the top"
            plain = dict(attrs)
            colour = plain.pop("colour")
            text = prefix + _noun_phrase(rng, plain) + _pick(rng, (f" that is {colour}", f" coloured {colour}")) + pp + bg_suffix
        else:
            # "a photo of a large red circle on the left"
            text = prefix + _noun_phrase(rng, attrs) + pp + bg_suffix
        spec_objs = [attrs]
    else:
        a, b = scene.objects
        if rng.random() < 0.5:
            a, b = b, a
        p = {"colour": 0.95, "shape": 0.9, "size": 0.4, "position": 0.5}
        attrs_a, attrs_b = _mention(rng, a, p), _mention(rng, b, p)
        with_pos = "position" in attrs_a and "position" in attrs_b
        if not with_pos:
            attrs_a.pop("position", None)
            attrs_b.pop("position", None)
        np_a, np_b = _noun_phrase(rng, attrs_a), _noun_phrase(rng, attrs_b)
        if with_pos:
            np_a += " " + _pick(rng, _POSITION_PHRASES[a.position])
            np_b += " " + _pick(rng, _POSITION_PHRASES[b.position])
        style = int(rng.integers(3))
        if style == 0:
            text = prefix + f"{np_a} and {np_b}"
        elif style == 1:
            text = f"two shapes: {np_a} and {np_b}"
        else:
            text = f"{np_a}, {np_b}" if with_pos else f"{np_a} next to {np_b}"
        text += bg_suffix
        spec_objs = [attrs_a, attrs_b]
    text = " ".join(text.split())
    return text, {"count": len(scene.objects), "background": bg, "objects": spec_objs}


def caption(scene: Scene, k: int = 0, seed: int = DEFAULT_SEED) -> str:
    return caption_with_spec(scene, k, seed)[0]


def consistent(spec: dict, scene: Scene) -> bool:
    """True when every statement in the caption spec holds for the scene."""
    if spec["count"] != len(scene.objects):
        return False
    if spec["background"] is not None and spec["background"] != scene.background:
        return False

    def match(attrs: dict, o: ShapeObject) -> bool:
        return all(getattr(o, k) == v for k, v in attrs.items())

    objs = spec["objects"]
    if len(objs) == 1:
        return match(objs[0], scene.objects[0])
    a, b = scene.objects
    return (match(objs[0], a) and match(objs[1], b)) or (match(objs[0], b) and match(objs[1], a))


def caption_corpus(n_scenes: int = 4000, captions_per_scene: int = 4, split: str = "train", seed: int = DEFAULT_SEED) -> List[str]:
    """Captions used to train the tokenizers (deterministic)."""
    out = []
    for s in scenes(n_scenes, split, seed):
        for k in range(captions_per_scene):
            out.append(caption(s, k, seed))
    return out


# ----------------------------------------------------------------------------------------------- fixtures

def write_fixtures(folder: str, single: int = 300, double: int = 60, seed: int = DEFAULT_SEED) -> None:
    """Writes held-out (test split) PNGs and ground_truth.json for the C# judge."""
    os.makedirs(folder, exist_ok=True)
    entries = []
    for i in range(single + double):
        scene = sample_scene(i, "test", seed, objects=1 if i < single else 2)
        name = f"test_{i:04d}.png"
        render_image(scene).save(os.path.join(folder, name), optimize=True)
        entry = {"file": name, **scene.to_json(), "caption": caption(scene, 0, seed)}
        entries.append(entry)
    meta = {
        "description": "Held-out shapes-world scenes (split 'test') rendered by models/training/world.py. "
                       "center = bounding-box centre (x, y) in pixels, extent = bounding-box half-extent in pixels, "
                       "rgb = drawn fill colour (before antialiasing).",
        "command": f"/usr/bin/python3 models/training/world.py --fixtures {folder} --single {single} --double {double}",
        "seed": seed,
        "image_size": IMAGE_SIZE,
        "vocabulary": {"background": BACKGROUNDS, "colour": COLOURS, "shape": SHAPES, "size": SIZES, "position": POSITIONS},
        "background_rgb": BACKGROUND_RGB,
        "colour_rgb": COLOUR_RGB,
        "size_px": SIZE_PX,
        "position_xy": POSITION_XY,
        "images": entries,
    }
    images = meta.pop("images")
    with open(os.path.join(folder, "ground_truth.json"), "w") as f:
        head = json.dumps(meta, indent=1)
        f.write(head[:-2] + ',\n "images": [\n')
        f.write(",\n".join("  " + json.dumps(e) for e in images))
        f.write("\n ]\n}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", help="folder to write held-out PNGs + ground_truth.json into")
    ap.add_argument("--single", type=int, default=300)
    ap.add_argument("--double", type=int, default=60)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--show", type=int, default=0, help="print N train captions")
    args = ap.parse_args()
    if args.fixtures:
        write_fixtures(args.fixtures, args.single, args.double, args.seed)
    for s in scenes(args.show, "train", args.seed):
        print(caption(s, 0, args.seed), "|", caption(s, 1, args.seed))


if __name__ == "__main__":
    main()
