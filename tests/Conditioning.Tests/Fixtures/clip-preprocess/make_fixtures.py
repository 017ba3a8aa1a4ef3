"""Reference pixel_values for ClipImagePreprocessor, computed the way transformers' CLIPImageProcessor does it.

    /usr/bin/python3 tests/Conditioning.Tests/Fixtures/clip-preprocess/make_fixtures.py

transformers is not installed here, so this mimics CLIPImageProcessor.preprocess (the slow, PIL-based processor
of transformers 4.x) step by step, after transformers.image_utils.load_image (which applies the EXIF orientation):

  convert_to_rgb   PIL image.convert("RGB") unless already RGB (alpha is dropped, not composited)
  resize           get_resize_output_image_size(default_to_square=False): short side -> shortest_edge, long side
                   -> int(shortest_edge * long / short); no resize when the short side already equals it;
                   PIL resize on the uint8 image with the configured resample (3 = BICUBIC), reducing_gap=None
  center_crop      top = (h - crop_h) // 2, left = (w - crop_w) // 2; zero padding when the crop is larger
  rescale          float64(x) * rescale_factor, cast to float32
  normalize        (x - mean) / std in float32
  output           NCHW float32

Writes, beside this script: images/*.png|jpg (the inputs), preprocessor_config.json, expected/<name>.npy
([1, 3, H, W] float32) and cases.json; and resize/<source>_<filter>_<W>x<H>.png, PIL's Image.resize of two inputs with
every filter (0 nearest .. 5 Hamming) to sizes that shrink, enlarge, and change one axis only (resize/cases.json).
Deterministic: fixed seeds, files are rewritten byte-identically.
"""
from __future__ import annotations

import io
import json
import math
import os

import numpy as np
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.join(HERE, "images")
EXPECTED = os.path.join(HERE, "expected")

CONFIG = {
    "crop_size": {"height": 44, "width": 40},
    "do_center_crop": True,
    "do_convert_rgb": True,
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "image_processor_type": "CLIPImageProcessor",
    "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "size": {"shortest_edge": 48},
}


def scene(w: int, h: int, seed: int) -> np.ndarray:
    """A photo-like RGB uint8 image: smooth gradients, a few hard-edged discs, mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        fx, fy, ph = rng.uniform(0.5, 3, 3)
        img[..., c] = 128 + 90 * np.sin(2 * math.pi * (fx * x / w + fy * y / h) + ph * 6)
    for _ in range(4):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(4, min(w, h) / 3)
        img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.integers(0, 256, 3)
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def make_inputs() -> dict:
    """name -> file name; every input is written as a file so C# decodes the same bytes."""
    os.makedirs(IMAGES, exist_ok=True)
    files = {}

    def save(name: str, image: Image.Image, ext: str, **kw) -> None:
        path = os.path.join(IMAGES, name + ext)
        image.save(path, **kw)
        files[name] = name + ext

    save("landscape_150x100", Image.fromarray(scene(150, 100, 1)), ".png")            # downscale, wide
    save("portrait_45x80", Image.fromarray(scene(45, 80, 2)), ".png")                 # upscale, tall
    save("odd_201x203", Image.fromarray(scene(201, 203, 3)), ".png")                  # odd crop offsets
    save("short_side_48_48x90", Image.fromarray(scene(48, 90, 4)), ".png")            # no resize: crop only
    save("tiny_20x30", Image.fromarray(scene(20, 30, 5)), ".png")                     # large upscale
    save("gray_90x70", Image.fromarray(scene(90, 70, 6)).convert("L"), ".png")       # L -> RGB
    rgba = Image.fromarray(scene(100, 100, 7)).convert("RGBA")
    a = np.array(rgba)
    a[..., 3] = np.tile(np.linspace(0, 255, 100).astype(np.uint8), (100, 1))         # alpha ramp, incl. 0
    save("rgba_100x100", Image.fromarray(a, "RGBA"), ".png")                          # alpha dropped
    save("palette_70x90", Image.fromarray(scene(70, 90, 8)).quantize(colors=32, method=Image.Quantize.MEDIANCUT), ".png")
    save("cmyk_80x120", Image.fromarray(scene(80, 120, 9)).convert("CMYK"), ".jpg", quality=95)
    # EXIF orientation 6 (rotate 90° clockwise to display): stored 120x80, displayed 80x120.
    exif = Image.Exif()
    exif[0x0112] = 6
    save("exif_rotate_120x80", Image.fromarray(scene(120, 80, 10)), ".jpg", quality=95, exif=exif.tobytes())
    save("rgb_jpeg_130x90", Image.fromarray(scene(130, 90, 11)), ".jpg", quality=95)
    return files


def resize_output_size(h: int, w: int, shortest_edge: int) -> tuple[int, int]:
    short, long = (w, h) if w <= h else (h, w)
    if short == shortest_edge:
        return h, w
    new_short, new_long = shortest_edge, int(shortest_edge * long / short)
    return (new_long, new_short) if w <= h else (new_short, new_long)


def center_crop(a: np.ndarray, ch: int, cw: int) -> np.ndarray:
    """a: HWC. transformers.image_transforms.center_crop."""
    h, w = a.shape[:2]
    top, left = (h - ch) // 2, (w - cw) // 2
    bottom, right = top + ch, left + cw
    if top >= 0 and bottom <= h and left >= 0 and right <= w:
        return a[top:bottom, left:right]
    nh, nw = max(ch, h), max(cw, w)
    out = np.zeros((nh, nw) + a.shape[2:], dtype=a.dtype)
    tp, lp = math.ceil((nh - h) / 2), math.ceil((nw - w) / 2)
    out[tp:tp + h, lp:lp + w] = a
    top, bottom, left, right = top + tp, bottom + tp, left + lp, right + lp
    return out[max(0, top):min(nh, bottom), max(0, left):min(nw, right)]


def preprocess(path: str, cfg: dict) -> np.ndarray:
    image = ImageOps.exif_transpose(Image.open(path))                                  # load_image
    if cfg["do_convert_rgb"] and image.mode != "RGB":
        image = image.convert("RGB")
    if cfg["do_resize"]:
        h, w = resize_output_size(image.height, image.width, cfg["size"]["shortest_edge"])
        if (h, w) != (image.height, image.width):
            image = image.resize((w, h), resample=cfg["resample"], reducing_gap=None)
    a = np.array(image)                                                                # HWC uint8
    if cfg["do_center_crop"]:
        a = center_crop(a, cfg["crop_size"]["height"], cfg["crop_size"]["width"])
    x = a.astype(np.float64) * cfg["rescale_factor"] if cfg["do_rescale"] else a
    x = x.astype(np.float32)
    if cfg["do_normalize"]:
        mean = np.array(cfg["image_mean"], dtype=np.float32)
        std = np.array(cfg["image_std"], dtype=np.float32)
        x = (x - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None].astype("<f4"))            # [1,3,H,W]


def main() -> None:
    files = make_inputs()
    os.makedirs(EXPECTED, exist_ok=True)
    with open(os.path.join(HERE, "preprocessor_config.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(CONFIG, indent=2) + "\n")
    cases = []
    for name, file in files.items():
        x = preprocess(os.path.join(IMAGES, file), CONFIG)
        np.save(os.path.join(EXPECTED, name + ".npy"), x)
        src = Image.open(os.path.join(IMAGES, file))
        cases.append({"name": name, "image": "images/" + file, "expected": "expected/" + name + ".npy",
                      "mode": src.mode, "stored_size": list(src.size), "shape": list(x.shape)})
    with open(os.path.join(HERE, "cases.json"), "w", encoding="utf-8") as f:
        json.dump({"description": __doc__.strip().splitlines()[0], "config": "preprocessor_config.json",
                   "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases")
    write_resize_cases()


def write_resize_cases() -> None:
    out = os.path.join(HERE, "resize")
    os.makedirs(out, exist_ok=True)
    cases = []
    for source in ("landscape_150x100.png", "portrait_45x80.png"):
        image = Image.open(os.path.join(IMAGES, source)).convert("RGB")
        w, h = image.size
        for size in [(64, 43), (w * 3 // 2 + 1, h * 3 // 2 + 3), (w, h // 3), (w // 3 + 1, h), (13, 11)]:
            for f in range(6):
                name = f"{os.path.splitext(source)[0]}_{f}_{size[0]}x{size[1]}.png"
                image.resize(size, resample=f, reducing_gap=None).save(os.path.join(out, name))
                cases.append({"source": "images/" + source, "filter": f, "width": size[0], "height": size[1],
                              "expected": "resize/" + name})
    with open(os.path.join(out, "cases.json"), "w", encoding="utf-8") as fh:
        json.dump({"description": "PIL Image.resize(size, resample=filter, reducing_gap=None) of RGB inputs",
                   "cases": cases}, fh, indent=1)
        fh.write("\n")
    print(f"wrote {len(cases)} resize cases")


if __name__ == "__main__":
    main()
