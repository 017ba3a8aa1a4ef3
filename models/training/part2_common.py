"""Helpers shared by the part-2 scripts (VAEs, tiny-sd UNet, tiny-flux T5 + transformer).

Data: world images rendered on the fly into uint8 arrays (0.3 ms an image), converted to [-1, 1] NCHW.
Export: torch.onnx.export at opset 17 (the highest torch 1.13 supports), JSON writers in diffusers' style.
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import world  # noqa: E402

MODELS = os.path.dirname(HERE)
CKPT_DIR = os.path.join(HERE, "checkpoints")
OPSET = 17
DIFFUSERS_VERSION = "0.30.0"


def render_split(n: int, split: str = "train", start: int = 0, objects: Optional[int] = None) -> Tuple[np.ndarray, List[world.Scene]]:
    """Renders n scenes of a split: (uint8 [n, 64, 64, 3], scenes)."""
    scenes = world.scenes(n, split, start=start, objects=objects)
    return np.stack([world.render(s) for s in scenes]), scenes


def to_unit(images_uint8) -> torch.Tensor:
    """uint8 NHWC -> float32 NCHW in [-1, 1] (the VAE's `sample` range)."""
    x = torch.as_tensor(np.asarray(images_uint8)).float()
    return (x.permute(0, 3, 1, 2) / 127.5 - 1.0).contiguous()


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float NCHW in [-1, 1] -> uint8 NHWC, as diffusers' image processor (round half up after clamping)."""
    y = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return y.permute(0, 2, 3, 1).numpy()


def object_mask(images_uint8: np.ndarray, scenes: Sequence[world.Scene]) -> np.ndarray:
    """1 where a pixel differs visibly from the scene's background colour (objects and their antialiased edges)."""
    bg = np.array([s.background_rgb for s in scenes], dtype=np.int16)[:, None, None, :]
    return (np.abs(images_uint8.astype(np.int16) - bg).sum(-1) > 24).astype(np.float32)


def write_json(path: str, obj) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def export_onnx(module: torch.nn.Module, args: tuple, path: str, inputs: List[str], outputs: List[str],
                axes: Dict[str, Dict[int, str]]) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                          opset_version=OPSET, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(path))
    print(f"wrote {os.path.relpath(path, MODELS)} ({os.path.getsize(path) / 1e6:.2f} MB)", flush=True)


class Timer:
    def __init__(self, already: float = 0.0):
        self.start = time.time() - already

    def minutes(self) -> float:
        return (time.time() - self.start) / 60


def lr_cosine(step: int, total: int, base: float, warmup: int) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return base * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * min(1.0, p))))


def count_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def binarize(img: np.ndarray) -> np.ndarray:
    """Hard segmentation before judging: each pixel becomes the background or the object colour (coverage >= 0.5),
    with the judge's own estimates of both. judge_reference was written for crisp renders: it takes the object's
    bounding box from coverage > 0.02, so the faint halo of any VAE's decoder (a few levels of colour around the
    edge) grows the box and the shape fit fails even on VAE reconstructions of real scenes. Both numbers are reported."""
    a = img.astype(float)
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    bgc = np.median(border, 0)
    d = np.abs(a - bgc).sum(-1)
    mask = d > 60
    if not mask.any():
        return img
    core = d >= np.percentile(d[mask], 75)
    col = np.median(a[core], 0)
    cov = np.clip(d / max(np.abs(col - bgc).sum(), 1e-6), 0, 1)
    return np.round(np.where((cov >= 0.5)[..., None], col, bgc)).astype(np.uint8)
