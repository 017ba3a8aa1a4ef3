"""The trained tiny CLIP text tower, frozen, as the conditioning source for tiny-sd and tiny-flux.

Loads models/training/checkpoints/tiny_clip_final.pt (train_clip.py's output; the same weights as
models/tiny-clip/text_encoder/model.onnx), or rebuilds them from the committed ONNX when that checkpoint is absent, and encodes prompts exactly as the pipelines do: CLIP BPE, BOS + text +
EOS padded to 77 with EOS (the tokenizer's pad token), then `last_hidden_state` [B,77,H] and `pooler_output` [B,H].
Encodings are cached per prompt string (captions repeat a lot), in float32.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import clip_bpe  # noqa: E402
from tiny_clip import load_from_onnx  # noqa: E402
from train_clip import TOKENIZER, build_model  # noqa: E402

DEFAULT_CHECKPOINT = os.path.join(HERE, "checkpoints", "tiny_clip_final.pt")


class FrozenClip:
    def __init__(self, checkpoint: str = DEFAULT_CHECKPOINT, cache_limit: int = 40000):
        self.tok = clip_bpe.ClipBpe.from_folder(TOKENIZER)
        if os.path.exists(checkpoint):
            state = torch.load(checkpoint)
            self.model = build_model(self.tok)
            self.model.load_state_dict(state["model"])
        else:
            # The git-ignored checkpoint is absent on a fresh clone: rebuild the same weights (bit-equal) from the
            # committed ONNX exports.
            self.model = load_from_onnx(os.path.join(os.path.dirname(HERE), "tiny-clip"))
        self.model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.hidden = self.model.text_config.hidden_size
        self.cache: Dict[str, Tuple[torch.Tensor, torch.Tensor]] = {}
        self.cache_limit = cache_limit

    def ids(self, prompts: Sequence[str]) -> torch.Tensor:
        return torch.tensor([self.tok.encode_77(p) for p in prompts], dtype=torch.long)

    @torch.no_grad()
    def encode(self, prompts: Sequence[str]) -> Tuple[torch.Tensor, torch.Tensor]:
        """(last_hidden_state [B,77,H], pooler_output [B,H]) for the prompts."""
        todo = sorted({p for p in prompts if p not in self.cache})
        if todo:
            _, last, pooled, _ = self.model.text_model(self.ids(todo))
            if len(self.cache) + len(todo) > self.cache_limit:
                self.cache.clear()
            for k, p in enumerate(todo):
                self.cache[p] = (last[k].clone(), pooled[k].clone())
        return (torch.stack([self.cache[p][0] for p in prompts]), torch.stack([self.cache[p][1] for p in prompts]))

    def check_golden(self, golden_json: str) -> float:
        """Max |pooler_output - golden| over the tiny-clip fixture prompts (proves checkpoint == exported ONNX)."""
        with open(golden_json, encoding="utf-8") as f:
            g = json.load(f)
        _, pooled = self.encode(g["prompts"])
        return float((pooled - torch.tensor(g["pooler_output"])).abs().max())
