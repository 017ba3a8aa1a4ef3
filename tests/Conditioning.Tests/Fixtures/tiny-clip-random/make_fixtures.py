"""A randomly initialised, very small CLIP in the tiny CLIP's ONNX layout, with PyTorch golden outputs.

    OMP_NUM_THREADS=1 /usr/bin/python3 tests/Conditioning.Tests/Fixtures/tiny-clip-random/make_fixtures.py

Lets the scoring tests run the whole path (tokenizer -> ONNX Runtime -> normalise -> score) against PyTorch before
(and independently of) the trained tiny CLIP. Uses models/training/tiny_clip.py (the trained model's architecture)
with 1 layer, width 16, projection 8, 16x16 images in 8x8 patches, seed 7, and the tiny CLIP's tokenizer.

Writes beside this script, all committed (tests never run Python):
  text_model.onnx           input_ids int64 [batch, sequence] -> text_embeds [batch, 8], last_hidden_state
  vision_model.onnx         pixel_values float32 [batch, 3, 16, 16] -> image_embeds [batch, 8], last_hidden_state
  preprocessor_config.json  CLIPImageProcessor: shortest_edge 16, crop 16x16, OpenAI mean/std
  config.json               with "logit_scale" (log of the multiplier), as models/training/export_clip.py writes it
  tokenizer/                copy of models/tiny-clip/tokenizer
  images/*.png              four 16x16 inputs and one 40x24 that needs resizing
  golden.json               prompts, input_ids, text_embeds, image pixel_values (from the PNGs, PIL decoded),
                            image_embeds, logits_per_image (logit scale x cosine)
"""
from __future__ import annotations

import json
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
TRAINING = os.path.join(ROOT, "models", "training")
sys.path.insert(0, TRAINING)
import clip_bpe  # noqa: E402
from tiny_clip import TextConfig, TinyClip, VisionConfig  # noqa: E402

MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
PROMPTS = ["a red circle", "a blue square on the left", "", "A RED CIRCLE", " ".join(["red circle"] * 50)]


def to_pixels(rgb: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(rgb).float().permute(2, 0, 1)[None] * (1 / 255)
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def main() -> None:
    torch.manual_seed(7)
    torch.set_num_threads(1)
    tok_dir = os.path.join(ROOT, "models", "tiny-clip", "tokenizer")
    tok = clip_bpe.ClipBpe.from_folder(tok_dir)
    text = TextConfig(vocab_size=len(tok.vocab), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, projection_dim=8, bos_token_id=tok.bos_id, eos_token_id=tok.eos_id,
                      pad_token_id=tok.eos_id)
    vision = VisionConfig(image_size=16, patch_size=8, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                          num_attention_heads=2, projection_dim=8)
    model = TinyClip(text, vision).eval()
    with torch.no_grad():
        model.logit_scale.fill_(np.log(30.0))

    class Text(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.t = model.text_model

        def forward(self, input_ids):
            e, last, _, _ = self.t(input_ids)
            return e, last

    class Vision(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.v = model.vision_model

        def forward(self, pixel_values):
            e, last, _ = self.v(pixel_values)
            return e, last

    ids = torch.tensor([tok.encode_77(p) for p in PROMPTS], dtype=torch.long)
    torch.onnx.export(Text(), (ids[:2],), os.path.join(HERE, "text_model.onnx"), input_names=["input_ids"],
                      output_names=["text_embeds", "last_hidden_state"], opset_version=17,
                      dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"}, "text_embeds": {0: "batch_size"},
                                    "last_hidden_state": {0: "batch_size", 1: "sequence_length"}})
    torch.onnx.export(Vision(), (torch.zeros(2, 3, 16, 16),), os.path.join(HERE, "vision_model.onnx"),
                      input_names=["pixel_values"], output_names=["image_embeds", "last_hidden_state"], opset_version=17,
                      dynamic_axes={"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"},
                                    "last_hidden_state": {0: "batch_size"}})

    shutil.rmtree(os.path.join(HERE, "tokenizer"), ignore_errors=True)
    shutil.copytree(tok_dir, os.path.join(HERE, "tokenizer"))
    with open(os.path.join(HERE, "preprocessor_config.json"), "w", encoding="utf-8") as f:
        json.dump({"crop_size": {"height": 16, "width": 16}, "do_center_crop": True, "do_convert_rgb": True,
                   "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": MEAN, "image_std": STD,
                   "image_processor_type": "CLIPImageProcessor", "resample": 3, "rescale_factor": 1 / 255,
                   "size": {"shortest_edge": 16}}, f, indent=2)
        f.write("\n")
    with open(os.path.join(HERE, "config.json"), "w", encoding="utf-8") as f:
        json.dump({"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 8,
                   "logit_scale": float(model.logit_scale)}, f, indent=2)
        f.write("\n")

    rng = np.random.default_rng(3)
    os.makedirs(os.path.join(HERE, "images"), exist_ok=True)
    names = []
    for k in range(4):
        rgb = np.zeros((16, 16, 3), np.uint8)
        rgb[:] = rng.integers(0, 256, 3)
        y0, x0 = rng.integers(0, 8, 2)
        rgb[y0:y0 + 8, x0:x0 + 8] = rng.integers(0, 256, 3)
        names.append(f"image_{k}.png")
        Image.fromarray(rgb).save(os.path.join(HERE, "images", names[-1]))
    # 40x24 needs a resize to 26x16 and a crop; its golden pixel_values come from PIL's BICUBIC, so C# matches it
    # only to the preprocessor's resize tolerance.
    wide = np.clip(np.rint(128 + 100 * np.sin(np.arange(40)[None, :, None] / 5 + np.arange(24)[:, None, None] / 7
                                              + np.arange(3)[None, None, :])), 0, 255).astype(np.uint8)
    names.append("wide_40x24.png")
    Image.fromarray(wide).save(os.path.join(HERE, "images", names[-1]))

    pixels = []
    for n in names:
        im = Image.open(os.path.join(HERE, "images", n)).convert("RGB")
        if im.size != (16, 16):
            w, h = im.size
            im = im.resize((int(16 * w / h), 16), resample=Image.BICUBIC, reducing_gap=None)
            a = np.asarray(im)
            top, left = (a.shape[0] - 16) // 2, (a.shape[1] - 16) // 2
            im = Image.fromarray(a[top:top + 16, left:left + 16])
        pixels.append(to_pixels(np.asarray(im)))
    pixels = torch.cat(pixels)

    with torch.no_grad():
        t, _, _, _ = model.text_model(ids)
        i, _, _ = model.vision_model(pixels)
        logits = model.logit_scale.exp() * F.normalize(i, dim=-1) @ F.normalize(t, dim=-1).T

    def rows(x):
        return [[float(v) for v in r] for r in x.numpy().astype(np.float32)]

    with open(os.path.join(HERE, "golden.json"), "w", encoding="utf-8") as f:
        json.dump({"description": __doc__.strip().splitlines()[0], "logit_scale": float(model.logit_scale),
                   "prompts": PROMPTS, "input_ids": ids.tolist(), "text_embeds": rows(t), "images": names,
                   "pixel_values": rows(pixels.reshape(len(names), -1)), "image_embeds": rows(i),
                   "logits_per_image": rows(logits)}, f)
    print("wrote", sorted(os.listdir(HERE)))


if __name__ == "__main__":
    main()
