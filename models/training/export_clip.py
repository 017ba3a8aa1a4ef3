"""Exports the trained tiny CLIP to ONNX in the layouts of real CLIP exports, with configs and golden fixtures.

    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/export_clip.py

Reads models/training/checkpoints/tiny_clip_final.pt (written by train_clip.py) and writes into models/tiny-clip/:
  text_model.onnx             input_ids int64 [batch, sequence] -> text_embeds [batch, P], last_hidden_state [batch, sequence, H]
                              (optimum `clip-text-with-projection`)
  vision_model.onnx           pixel_values float32 [batch, 3, 64, 64] -> image_embeds [batch, P], last_hidden_state [batch, 65, H]
                              (CLIPVisionModelWithProjection)
  text_encoder/model.onnx     input_ids int32 [batch, sequence] -> last_hidden_state, pooler_output, hidden_states.0 .. hidden_states.L
                              (diffusers/Olive CLIPTextModel layout, with the SDXL-style hidden states)
  text_encoder/config.json    transformers CLIPTextConfig
  config.json                 transformers CLIPConfig (+ the trained logit scale)
  preprocessor_config.json    CLIPImageProcessor with this model's size/mean/std
  fixtures/golden.json + golden.bin   PyTorch outputs for fixed prompts and held-out images
"""
from __future__ import annotations

import json
import os
import sys
from typing import Dict, List

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import clip_bpe  # noqa: E402
import world  # noqa: E402
from tiny_clip import TinyClip  # noqa: E402
from train_clip import CKPT_DIR, TOKENIZER, build_model, to_pixels  # noqa: E402

MODELS = os.path.dirname(HERE)
OUT = os.path.join(MODELS, "tiny-clip")
OPSET = 17

GOLDEN_PROMPTS = [
    "a large red circle on the left",
    "red circle, white background",
    "a photo of a small blue star at the top",
    "a red square and a green circle",
    "a yellow triangle",
    "a small cyan square at the bottom, black background",
    "two shapes: a pink star on the left and an orange circle on the right",
    "a purple shape in the center",
    "a green object",
    "a circle",
    "an image of a large triangle that is orange near the top",
    "on the right, a small pink square against a beige background",
    "",
    "A LARGE RED CIRCLE",
    "a magenta hexagon in the corner, 8k, trending on artstation",
    "a red circle <|endoftext|> a blue star",
    "emoji 🟥🔵⭐ and 日本語",
    "it's a red circle, isn't it?",
    "(red:1.2) circle, [blue] star",
    " ".join(["red circle"] * 50),  # longer than 77 tokens: truncated to BOS + 75 + EOS
]


class TextWithProjection(torch.nn.Module):
    def __init__(self, model: TinyClip):
        super().__init__()
        self.text_model = model.text_model

    def forward(self, input_ids):
        text_embeds, last, _, _ = self.text_model(input_ids)
        return text_embeds, last


class TextEncoder(torch.nn.Module):
    """diffusers' text_encoder: int32 ids (as the diffusers ONNX script and Olive export them)."""

    def __init__(self, model: TinyClip):
        super().__init__()
        self.text_model = model.text_model

    def forward(self, input_ids):
        _, last, pooled, hidden = self.text_model(input_ids.long())
        return (last, pooled, *hidden)


class VisionWithProjection(torch.nn.Module):
    def __init__(self, model: TinyClip):
        super().__init__()
        self.vision_model = model.vision_model

    def forward(self, pixel_values):
        image_embeds, last, _ = self.vision_model(pixel_values)
        return image_embeds, last


def export(module, args, path, inputs, outputs, axes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                      opset_version=OPSET, do_constant_folding=True)
    print(f"wrote {os.path.relpath(path, MODELS)} ({os.path.getsize(path) / 1e6:.2f} MB)")


def text_config_json(model: TinyClip) -> dict:
    c = model.text_config
    return {
        "_name_or_path": "tiny-clip/text_encoder",
        "architectures": ["CLIPTextModel"],
        "attention_dropout": 0.0,
        "bos_token_id": c.bos_token_id,
        "dropout": 0.0,
        "eos_token_id": c.eos_token_id,
        "hidden_act": "quick_gelu",
        "hidden_size": c.hidden_size,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "intermediate_size": c.intermediate_size,
        "layer_norm_eps": c.layer_norm_eps,
        "max_position_embeddings": c.max_position_embeddings,
        "model_type": "clip_text_model",
        "num_attention_heads": c.num_attention_heads,
        "num_hidden_layers": c.num_hidden_layers,
        "pad_token_id": c.pad_token_id,
        "projection_dim": c.projection_dim,
        "torch_dtype": "float32",
        "transformers_version": "4.44.0",
        "vocab_size": c.vocab_size,
    }


def vision_config_json(model: TinyClip) -> dict:
    c = model.vision_config
    return {
        "attention_dropout": 0.0,
        "dropout": 0.0,
        "hidden_act": "quick_gelu",
        "hidden_size": c.hidden_size,
        "image_size": c.image_size,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "intermediate_size": c.intermediate_size,
        "layer_norm_eps": c.layer_norm_eps,
        "model_type": "clip_vision_model",
        "num_attention_heads": c.num_attention_heads,
        "num_channels": c.num_channels,
        "num_hidden_layers": c.num_hidden_layers,
        "patch_size": c.patch_size,
        "projection_dim": c.projection_dim,
    }


def write_json(path: str, obj) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


class Blob:
    """float32 little-endian tensors appended to one .bin, indexed from golden.json."""

    def __init__(self):
        self.parts: List[bytes] = []
        self.offset = 0
        self.index: Dict[str, dict] = {}

    def add(self, name: str, t: torch.Tensor) -> dict:
        a = np.ascontiguousarray(t.detach().numpy().astype("<f4"))
        entry = {"offset": self.offset, "shape": list(a.shape), "dtype": "float32"}
        self.parts.append(a.tobytes())
        self.offset += a.nbytes
        self.index[name] = entry
        return entry


def main() -> None:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=os.path.join(CKPT_DIR, "tiny_clip_final.pt"))
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    out = args.out
    torch.set_num_threads(1)
    state = torch.load(args.checkpoint)
    tok = clip_bpe.ClipBpe.from_folder(TOKENIZER)
    model = build_model(tok)
    model.load_state_dict(state["model"])
    model.eval()
    mean, std = state["mean"], state["std"]
    L = model.text_config.num_hidden_layers

    ids = torch.tensor([tok.encode_77(p) for p in GOLDEN_PROMPTS], dtype=torch.long)
    export(TextWithProjection(model), (ids[:2],), os.path.join(out, "text_model.onnx"), ["input_ids"],
           ["text_embeds", "last_hidden_state"],
           {"input_ids": {0: "batch_size", 1: "sequence_length"}, "text_embeds": {0: "batch_size"},
            "last_hidden_state": {0: "batch_size", 1: "sequence_length"}})
    hidden_names = [f"hidden_states.{k}" for k in range(L + 1)]
    axes = {n: {0: "batch_size", 1: "sequence_length"} for n in ["input_ids", "last_hidden_state"] + hidden_names}
    axes["pooler_output"] = {0: "batch_size"}
    export(TextEncoder(model), (ids[:2].int(),), os.path.join(out, "text_encoder", "model.onnx"), ["input_ids"],
           ["last_hidden_state", "pooler_output"] + hidden_names, axes)
    size = model.vision_config.image_size
    export(VisionWithProjection(model), (torch.zeros(2, 3, size, size),), os.path.join(out, "vision_model.onnx"),
           ["pixel_values"], ["image_embeds", "last_hidden_state"],
           {"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"}})

    text_cfg = text_config_json(model)
    write_json(os.path.join(out, "text_encoder", "config.json"), text_cfg)
    logit_scale = float(model.logit_scale.detach())
    write_json(os.path.join(out, "config.json"), {
        "architectures": ["CLIPModel"],
        "initializer_factor": 1.0,
        "logit_scale_init_value": round(logit_scale, 6),
        "logit_scale": logit_scale,
        "model_type": "clip",
        "projection_dim": model.text_config.projection_dim,
        "text_config": {k: v for k, v in text_cfg.items() if k not in ("_name_or_path", "architectures", "torch_dtype", "transformers_version")},
        "vision_config": vision_config_json(model),
        "torch_dtype": "float32",
        "transformers_version": "4.44.0",
        "_comment": "logit_scale is the trained value (scores = exp(logit_scale) * cosine similarity); "
                    "logit_scale_init_value repeats it so transformers would initialise to the trained scale.",
    })
    write_json(os.path.join(out, "preprocessor_config.json"), {
        "crop_size": {"height": size, "width": size},
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor",
        "image_mean": mean,
        "image_processor_type": "CLIPImageProcessor",
        "image_std": std,
        "resample": 3,
        "rescale_factor": 1 / 255,
        "size": {"shortest_edge": size},
    })

    # ---------------------------------------------------------------------------------------- golden fixtures
    fx = os.path.join(out, "fixtures")
    img_dir = os.path.join(fx, "images")
    os.makedirs(img_dir, exist_ok=True)
    scenes = world.scenes(16, "test", objects=1) + world.scenes(4, "test", start=16, objects=2)
    images = torch.from_numpy(np.stack([world.render(s) for s in scenes]))
    names = []
    for k, s in enumerate(scenes):
        name = f"golden_{k:02d}.png"
        Image.fromarray(images[k].numpy(), "RGB").save(os.path.join(img_dir, name))
        names.append(name)
    # Read back the PNGs so the fixture is exactly what C# decodes.
    images = torch.from_numpy(np.stack([np.asarray(Image.open(os.path.join(img_dir, n)).convert("RGB")) for n in names]))
    pixels = to_pixels(images, mean, std)

    blob = Blob()
    with torch.no_grad():
        text_embeds, last, pooled, hidden = model.text_model(ids)
        image_embeds, vision_last, _ = model.vision_model(pixels)
        t = F.normalize(text_embeds, dim=-1)
        i = F.normalize(image_embeds, dim=-1)
        logits_per_image = model.logit_scale.exp() * i @ t.T
    blob.add("pixel_values", pixels)
    blob.add("last_hidden_state", last)
    for k, h in enumerate(hidden):
        blob.add(f"hidden_states.{k}", h[:4])  # first 4 prompts only: keeps the fixture small
    blob.add("vision_last_hidden_state", vision_last[:4])
    with open(os.path.join(fx, "golden.bin"), "wb") as f:
        for p in blob.parts:
            f.write(p)

    def rows(x: torch.Tensor) -> list:
        return [[float(v) for v in r] for r in x.detach().numpy().astype(np.float32)]

    golden = {
        "description": "PyTorch outputs of the tiny CLIP for fixed prompts and held-out images; ONNX outputs must match to 1e-4.",
        "command": "OMP_NUM_THREADS=1 /usr/bin/python3 models/training/export_clip.py",
        "tolerance": 1e-4,
        "logit_scale": float(model.logit_scale.detach()),
        "prompts": GOLDEN_PROMPTS,
        "input_ids": ids.tolist(),
        "text_embeds": rows(text_embeds),
        "pooler_output": rows(pooled),
        "images": [f"images/{n}" for n in names],
        "image_scenes": [s.to_json() for s in scenes],
        "image_embeds": rows(image_embeds),
        "logits_per_image": rows(logits_per_image),
        "binary": {
            "file": "golden.bin",
            "layout": "float32 little-endian, row-major; offset in bytes",
            "pixel_values_note": "pixel_values = (png / 255 - image_mean) / image_std, NCHW; images are 64x64 so the "
                                 "CLIPImageProcessor resize and crop are identities",
            "hidden_states_note": "hidden_states.k holds the first 4 prompts only; last_hidden_state holds all 20; "
                                  "vision_last_hidden_state the first 4 images",
            "tensors": blob.index,
        },
    }
    with open(os.path.join(fx, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False)
    print(f"wrote fixtures: golden.json, golden.bin ({blob.offset / 1e6:.2f} MB), {len(names)} images")


if __name__ == "__main__":
    main()
