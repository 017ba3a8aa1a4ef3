"""A tiny CLIP with the structure of Hugging Face's CLIPModel (text and vision towers, projections, logit scale).

Text tower (CLIPTextTransformer): token + position embeddings, pre-LN transformer with a causal mask and
quick_gelu MLPs, final LayerNorm; pooled output = the final-LN hidden state at the EOS position, found as the
argmax of the ids (EOS is the largest id, and the first EOS wins when padding with EOS); text_projection has no bias.
Vision tower (CLIPVisionTransformer): conv patch embedding without bias, class token, position embeddings,
pre_layrnorm, the same encoder layers, post_layernorm on the class token; visual_projection has no bias.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, asdict
from typing import List, Optional, Tuple

import torch
from torch import nn
import torch.nn.functional as F


@dataclass
class TextConfig:
    vocab_size: int = 656
    hidden_size: int = 128
    intermediate_size: int = 512
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    max_position_embeddings: int = 77
    layer_norm_eps: float = 1e-5
    projection_dim: int = 128
    bos_token_id: int = 654
    eos_token_id: int = 655
    pad_token_id: int = 655


@dataclass
class VisionConfig:
    image_size: int = 64
    patch_size: int = 8
    num_channels: int = 3
    hidden_size: int = 128
    intermediate_size: int = 512
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    layer_norm_eps: float = 1e-5
    projection_dim: int = 128


def quick_gelu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.head_dim = width // heads
        self.scale = self.head_dim ** -0.5
        self.q_proj = nn.Linear(width, width)
        self.k_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width)
        self.out_proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        b, s, w = x.shape
        q = (self.q_proj(x) * self.scale).reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        att = q @ k.transpose(-1, -2)
        if mask is not None:
            att = att + mask
        att = att.softmax(dim=-1)
        out = (att @ v).transpose(1, 2).reshape(b, s, w)
        return self.out_proj(out)


class EncoderLayer(nn.Module):
    def __init__(self, width: int, heads: int, intermediate: int, eps: float):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(width, eps=eps)
        self.self_attn = Attention(width, heads)
        self.layer_norm2 = nn.LayerNorm(width, eps=eps)
        self.fc1 = nn.Linear(width, intermediate)
        self.fc2 = nn.Linear(intermediate, width)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.fc2(quick_gelu(self.fc1(self.layer_norm2(x))))


class TextModel(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.cfg = cfg
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.position_embedding = nn.Embedding(cfg.max_position_embeddings, cfg.hidden_size)
        self.layers = nn.ModuleList(
            EncoderLayer(cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size, cfg.layer_norm_eps)
            for _ in range(cfg.num_hidden_layers)
        )
        self.final_layer_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.text_projection = nn.Linear(cfg.hidden_size, cfg.projection_dim, bias=False)
        n = cfg.max_position_embeddings
        mask = torch.full((n, n), torch.finfo(torch.float32).min).triu(1)
        self.register_buffer("causal_mask", mask, persistent=False)
        self.register_buffer("position_ids", torch.arange(n).unsqueeze(0), persistent=False)

    def forward(self, input_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, List[torch.Tensor]]:
        """Returns (text_embeds [B,P], last_hidden_state [B,S,H], pooler_output [B,H], hidden_states 0..L)."""
        input_ids = input_ids.long()
        s = input_ids.shape[1]
        x = self.token_embedding(input_ids) + self.position_embedding(self.position_ids[:, :s])
        mask = self.causal_mask[:s, :s]
        hidden = [x]
        for layer in self.layers:
            x = layer(x, mask)
            hidden.append(x)
        last = self.final_layer_norm(x)
        eos = input_ids.argmax(dim=-1)
        index = eos.view(-1, 1, 1).expand(-1, 1, last.shape[-1])
        pooled = torch.gather(last, 1, index).reshape(-1, self.cfg.hidden_size)  # static H in the ONNX graph
        return self.text_projection(pooled), last, pooled, hidden


class VisionModel(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.hidden_size
        self.patch_embedding = nn.Conv2d(cfg.num_channels, w, cfg.patch_size, cfg.patch_size, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(w) * w ** -0.5)
        n = (cfg.image_size // cfg.patch_size) ** 2 + 1
        self.position_embedding = nn.Embedding(n, w)
        self.register_buffer("position_ids", torch.arange(n).unsqueeze(0), persistent=False)
        self.pre_layrnorm = nn.LayerNorm(w, eps=cfg.layer_norm_eps)
        self.layers = nn.ModuleList(
            EncoderLayer(w, cfg.num_attention_heads, cfg.intermediate_size, cfg.layer_norm_eps)
            for _ in range(cfg.num_hidden_layers)
        )
        self.post_layernorm = nn.LayerNorm(w, eps=cfg.layer_norm_eps)
        self.visual_projection = nn.Linear(w, cfg.projection_dim, bias=False)

    def forward(self, pixel_values: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (image_embeds [B,P], last_hidden_state [B,N+1,H], pooler_output [B,H])."""
        b = pixel_values.shape[0]
        x = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        cls = self.class_embedding.view(1, 1, -1).expand(b, 1, -1)
        x = torch.cat([cls, x], dim=1) + self.position_embedding(self.position_ids)
        x = self.pre_layrnorm(x)
        for layer in self.layers:
            x = layer(x, None)
        pooled = self.post_layernorm(x[:, 0, :])
        return self.visual_projection(pooled), x, pooled


class TinyClip(nn.Module):
    def __init__(self, text: TextConfig, vision: VisionConfig, logit_scale_init: float = math.log(1 / 0.07)):
        super().__init__()
        self.text_config, self.vision_config = text, vision
        self.text_model = TextModel(text)
        self.vision_model = VisionModel(vision)
        self.logit_scale = nn.Parameter(torch.tensor(logit_scale_init))
        self.apply(self._init)
        # Patch embeddings come out with std ~1; at the usual 0.02 the position embeddings were too faint to learn
        # (position stayed at chance for 1000 steps), so the image tower starts with a readable position signal.
        nn.init.normal_(self.vision_model.position_embedding.weight, std=0.5)

    @staticmethod
    def _init(m: nn.Module) -> None:
        # CLIP-like initialisation scaled for a small width.
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=m.in_features ** -0.5)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)
        elif isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, std=(m.in_channels * m.kernel_size[0] * m.kernel_size[1]) ** -0.5)

    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        return self.text_model(ids)[0]

    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.vision_model(pixels)[0]


def configs_to_json(text: TextConfig, vision: VisionConfig) -> dict:
    return {"text_config": asdict(text), "vision_config": asdict(vision)}
