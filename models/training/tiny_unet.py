"""A tiny UNet2DConditionModel-like denoiser for 16x16x4 latents (tiny-sd).

Structure follows diffusers' UNet2DConditionModel at small scale: sinusoidal timestep embedding (flip_sin_to_cos,
freq_shift 0, as SD1.5) -> TimestepEmbedding MLP; conv_in; CrossAttnDownBlock2D per level (ResnetBlock2D with the
time embedding added after the first conv, Transformer2DModel = GroupNorm, proj_in, BasicTransformerBlock
(self-attention, cross-attention on the text states, GEGLU feed-forward, pre-LayerNorms), proj_out, residual);
UNetMidBlock2DCrossAttn; CrossAttnUpBlock2D with skip concatenation; GroupNorm, SiLU, conv_out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch
from torch import nn
import torch.nn.functional as F


@dataclass
class UNetConfig:
    in_channels: int = 4
    out_channels: int = 4
    block_out_channels: Tuple[int, ...] = (64, 128)
    layers_per_block: int = 1
    cross_attention_dim: int = 128
    attention_head_dim: int = 32
    # Which levels carry a Transformer2D (DownBlock2D/UpBlock2D where False); the mid block always does.
    attention_levels: Tuple[bool, ...] = (False, True)
    norm_num_groups: int = 16
    sample_size: int = 16


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """diffusers get_timestep_embedding(flip_sin_to_cos=True, downscale_freq_shift=0)."""
    half = dim // 2
    exponent = -math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device) / half
    args = t.float()[:, None] * exponent.exp()[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResnetBlock2D(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int, groups: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return x + h


class Attention(nn.Module):
    def __init__(self, dim: int, context_dim: int, head_dim: int):
        super().__init__()
        self.heads = dim // head_dim
        self.head_dim = head_dim
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(context_dim, dim, bias=False)
        self.to_v = nn.Linear(context_dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q = self.to_q(x).reshape(b, n, self.heads, self.head_dim).transpose(1, 2)
        k = self.to_k(context).reshape(b, -1, self.heads, self.head_dim).transpose(1, 2)
        v = self.to_v(context).reshape(b, -1, self.heads, self.head_dim).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) * (self.head_dim ** -0.5)
        out = att.softmax(-1) @ v
        return self.to_out(out.transpose(1, 2).reshape(b, n, d))


class GEGLU(nn.Module):
    def __init__(self, dim: int, inner: int):
        super().__init__()
        self.proj = nn.Linear(dim, inner * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, gate = self.proj(x).chunk(2, dim=-1)
        return h * F.gelu(gate)


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim: int, context_dim: int, head_dim: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, dim, head_dim)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, context_dim, head_dim)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(GEGLU(dim, dim * 2), nn.Linear(dim * 2, dim))

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn1(h, h)
        x = x + self.attn2(self.norm2(x), context)
        return x + self.ff(self.norm3(x))


class Transformer2D(nn.Module):
    def __init__(self, ch: int, context_dim: int, head_dim: int, groups: int):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch, eps=1e-6)
        self.proj_in = nn.Linear(ch, ch)
        self.block = BasicTransformerBlock(ch, context_dim, head_dim)
        self.proj_out = nn.Linear(ch, ch)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        y = self.norm(x).permute(0, 2, 3, 1).reshape(b, h * w, c)
        y = self.proj_out(self.block(self.proj_in(y), context))
        return x + y.reshape(b, h, w, c).permute(0, 3, 1, 2)


class NoAttention(nn.Module):
    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        return x


class TinyUNet(nn.Module):
    def __init__(self, cfg: UNetConfig):
        super().__init__()
        self.cfg = cfg
        ch = cfg.block_out_channels
        g, cd, hd = cfg.norm_num_groups, cfg.cross_attention_dim, cfg.attention_head_dim
        self.temb_in = ch[0]
        temb = ch[0] * 4
        self.time_embedding = nn.Sequential(nn.Linear(ch[0], temb), nn.SiLU(), nn.Linear(temb, temb))
        self.conv_in = nn.Conv2d(cfg.in_channels, ch[0], 3, padding=1)

        self.down_res = nn.ModuleList()
        self.down_attn = nn.ModuleList()
        self.downsamplers = nn.ModuleList()
        skips = [ch[0]]
        cin = ch[0]
        for i, c in enumerate(ch):
            for _ in range(cfg.layers_per_block):
                self.down_res.append(ResnetBlock2D(cin, c, temb, g))
                self.down_attn.append(Transformer2D(c, cd, hd, g) if cfg.attention_levels[i] else NoAttention())
                cin = c
                skips.append(c)
            if i < len(ch) - 1:
                self.downsamplers.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                skips.append(c)
        self.mid_res1 = ResnetBlock2D(ch[-1], ch[-1], temb, g)
        self.mid_attn = Transformer2D(ch[-1], cd, hd, g)
        self.mid_res2 = ResnetBlock2D(ch[-1], ch[-1], temb, g)

        self.up_res = nn.ModuleList()
        self.up_attn = nn.ModuleList()
        self.upsamplers = nn.ModuleList()
        for i, c in reversed(list(enumerate(ch))):
            for _ in range(cfg.layers_per_block + 1):
                self.up_res.append(ResnetBlock2D(cin + skips.pop(), c, temb, g))
                self.up_attn.append(Transformer2D(c, cd, hd, g) if cfg.attention_levels[i] else NoAttention())
                cin = c
            if i > 0:
                self.upsamplers.append(nn.Conv2d(c, c, 3, padding=1))
        self.conv_norm_out = nn.GroupNorm(g, ch[0], eps=1e-5)
        self.conv_out = nn.Conv2d(ch[0], cfg.out_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, encoder_hidden_states: torch.Tensor) -> torch.Tensor:
        ch = self.cfg.block_out_channels
        lpb = self.cfg.layers_per_block
        temb = self.time_embedding(timestep_embedding(timestep, self.temb_in))
        x = self.conv_in(sample)
        skips = [x]
        k = 0
        for i in range(len(ch)):
            for _ in range(lpb):
                x = self.down_attn[k](self.down_res[k](x, temb), encoder_hidden_states)
                skips.append(x)
                k += 1
            if i < len(ch) - 1:
                x = self.downsamplers[i](x)
                skips.append(x)
        x = self.mid_res2(self.mid_attn(self.mid_res1(x, temb), encoder_hidden_states), temb)
        k = 0
        for j in range(len(ch)):
            for _ in range(lpb + 1):
                x = torch.cat([x, skips.pop()], dim=1)
                x = self.up_attn[k](self.up_res[k](x, temb), encoder_hidden_states)
                k += 1
            if j < len(ch) - 1:
                x = self.upsamplers[j](F.interpolate(x, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.conv_norm_out(x)))


class UNetExport(nn.Module):
    """unet/model.onnx: sample [B,4,h,w], timestep [B] float32, encoder_hidden_states [B,77,H] -> out_sample."""

    def __init__(self, unet: TinyUNet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states)
