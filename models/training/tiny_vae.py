"""A tiny KL autoencoder in the spirit of diffusers' AutoencoderKL, sized for the 64x64 shapes world.

Encoder: conv_in -> (stride-2 conv, ResnetBlocks) per level -> GroupNorm/SiLU -> conv_out to 2C channels
(mean ‖ logvar, optimum's `latent_parameters`). Decoder: conv_in from C channels -> ResnetBlocks -> (nearest
upsample, conv) per level -> GroupNorm/SiLU -> conv_out to RGB in [-1, 1] (no tanh, as diffusers).
No attention blocks: at 8x8/16x16 latents the convolutions already see the whole object.

Two variants (the numbers in `VARIANTS`):
  sd    4 latent channels, 4x down (64x64 -> 16x16), block_out_channels of length 3
  flux 16 latent channels, 4x down (64x64 -> 16x16), block_out_channels of length 3 (16 channels at 4x keep
       small shapes crisp; Flux packs the 16x16 latent into 8x8 = 64 tokens of 64 features)
diffusers derives the down factor as 2 ** (len(block_out_channels) - 1); config.json follows that rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Tuple

import torch
from torch import nn
import torch.nn.functional as F


@dataclass
class VaeConfig:
    latent_channels: int = 4
    block_out_channels: Tuple[int, ...] = (32, 48, 64)
    # ResnetBlocks per level, from full resolution down (the decoder mirrors them).
    layers: Tuple[int, ...] = (0, 0, 2)
    norm_num_groups: int = 8


VARIANTS = {
    "sd": VaeConfig(latent_channels=4, block_out_channels=(32, 48, 64), layers=(0, 0, 2)),
    "flux": VaeConfig(latent_channels=16, block_out_channels=(32, 48, 64), layers=(0, 0, 2)),
}


class ResnetBlock(nn.Module):
    def __init__(self, ch: int, groups: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, ch, eps=1e-6)
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, ch, eps=1e-6)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return x + h


class Encoder(nn.Module):
    def __init__(self, cfg: VaeConfig):
        super().__init__()
        ch = cfg.block_out_channels
        self.conv_in = nn.Conv2d(3, ch[0], 3, padding=1)
        blocks: List[nn.Module] = []
        for i, c in enumerate(ch):
            if i > 0:
                blocks.append(nn.Conv2d(ch[i - 1], c, 3, stride=2, padding=1))
            blocks.extend(ResnetBlock(c, cfg.norm_num_groups) for _ in range(cfg.layers[i]))
        self.blocks = nn.Sequential(*blocks)
        self.norm_out = nn.GroupNorm(cfg.norm_num_groups, ch[-1], eps=1e-6)
        self.conv_out = nn.Conv2d(ch[-1], 2 * cfg.latent_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.conv_in(x))
        return self.conv_out(F.silu(self.norm_out(h)))


class Upsample(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Decoder(nn.Module):
    def __init__(self, cfg: VaeConfig):
        super().__init__()
        ch = cfg.block_out_channels
        self.conv_in = nn.Conv2d(cfg.latent_channels, ch[-1], 3, padding=1)
        blocks: List[nn.Module] = []
        for i in reversed(range(len(ch))):
            blocks.extend(ResnetBlock(ch[i], cfg.norm_num_groups) for _ in range(cfg.layers[i]))
            if i > 0:
                blocks.append(Upsample(ch[i], ch[i - 1]))
        self.blocks = nn.Sequential(*blocks)
        self.norm_out = nn.GroupNorm(cfg.norm_num_groups, ch[0], eps=1e-6)
        self.conv_out = nn.Conv2d(ch[0], 3, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.conv_in(z))
        return self.conv_out(F.silu(self.norm_out(h)))


class TinyVae(nn.Module):
    def __init__(self, cfg: VaeConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)

    @property
    def down_factor(self) -> int:
        return 2 ** (len(self.cfg.block_out_channels) - 1)

    def encode(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """x in [-1, 1] -> (mean, logvar), logvar clamped to [-30, 20] as diffusers' DiagonalGaussianDistribution."""
        mean, logvar = self.encoder(x).chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


class DecoderExport(nn.Module):
    """vae_decoder/model.onnx: latent_sample (unscaled latents) -> sample in [-1, 1]."""

    def __init__(self, vae: TinyVae):
        super().__init__()
        self.decoder = vae.decoder

    def forward(self, latent_sample: torch.Tensor) -> torch.Tensor:
        return self.decoder(latent_sample)


class EncoderExport(nn.Module):
    """vae_encoder/model.onnx: sample in [-1, 1] -> latent_parameters = mean ‖ logvar (raw, as optimum exports)."""

    def __init__(self, vae: TinyVae):
        super().__init__()
        self.encoder = vae.encoder

    def forward(self, sample: torch.Tensor) -> torch.Tensor:
        return self.encoder(sample)
