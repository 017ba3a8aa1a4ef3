"""Python reference samplers written from /work/shared/pipelines/PIPELINES.md §3 (the C# schedulers' spec).

DDPM constants (training and sampling): betas = linspace(sqrt(0.00085), sqrt(0.012), 1000)^2 in float32
(`scaled_linear`), alphas_cumprod = cumprod(1 - betas).
Samplers take a `model(x, t) -> eps|v` callable that already does CFG; they return the final latents.
  pndm_sample   PNDMScheduler with skip_prk_steps (PLMS), `leading` spacing + steps_offset (SD1.5's config)
  euler_sample  EulerDiscreteScheduler, same grid options
  flow_sample   FlowMatchEulerDiscreteScheduler as the Flux pipeline drives it (sigmas = linspace(1, 1/N, N))
Flux packing: pack/unpack (B,C,h,w) <-> (B,(h/2)(w/2),4C) and img_ids, as §2.
"""
from __future__ import annotations

import math
from typing import Callable, List, Optional

import numpy as np
import torch

T = 1000


def sd_alphas_cumprod(beta_start: float = 0.00085, beta_end: float = 0.012) -> torch.Tensor:
    betas = torch.linspace(beta_start ** 0.5, beta_end ** 0.5, T, dtype=torch.float32) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


def leading_timesteps(n: int, steps_offset: int = 1) -> np.ndarray:
    r = T // n
    return (np.arange(n) * r)[::-1].astype(np.int64) + steps_offset


def pndm_timesteps(n: int, steps_offset: int = 1) -> np.ndarray:
    base = (np.arange(n) * (T // n)).astype(np.int64) + steps_offset
    ts = np.concatenate([base[:-1], base[-2:-1], base[-1:]])[::-1].copy()
    return ts


@torch.no_grad()
def pndm_sample(model: Callable, x: torch.Tensor, steps: int, steps_offset: int = 1) -> torch.Tensor:
    """PLMS as diffusers' PNDMScheduler(skip_prk_steps=True, set_alpha_to_one=False); init_noise_sigma 1."""
    ac = sd_alphas_cumprod()
    final_alpha = float(ac[0])
    ratio = T // steps
    ets: List[torch.Tensor] = []
    cur_sample: Optional[torch.Tensor] = None
    for counter, t in enumerate(pndm_timesteps(steps, steps_offset)):
        t = int(t)
        eps = model(x, float(t))
        prev_t = t - ratio
        if counter != 1:
            ets = ets[-3:] + [eps]
        else:
            prev_t, t = t, t + ratio
        if len(ets) == 1 and counter == 0:
            e, cur_sample = eps, x
        elif len(ets) == 1 and counter == 1:
            e, x, cur_sample = (eps + ets[-1]) / 2, cur_sample, None
        elif len(ets) == 2:
            e = (3 * ets[-1] - ets[-2]) / 2
        elif len(ets) == 3:
            e = (23 * ets[-1] - 16 * ets[-2] + 5 * ets[-3]) / 12
        else:
            e = (55 * ets[-1] - 59 * ets[-2] + 37 * ets[-3] - 9 * ets[-4]) / 24
        a_t = float(ac[t])
        a_p = float(ac[prev_t]) if prev_t >= 0 else final_alpha
        b_t, b_p = 1 - a_t, 1 - a_p
        denom = a_t * b_p ** 0.5 + (a_t * b_t * a_p) ** 0.5
        x = (a_p / a_t) ** 0.5 * x - (a_p - a_t) * e / denom
    return x


@torch.no_grad()
def euler_sample(model: Callable, x: torch.Tensor, steps: int, spacing: str = "leading", steps_offset: int = 1) -> torch.Tensor:
    """EulerDiscreteScheduler: the model sees x / sqrt(sigma^2 + 1) and the (fractional) timestep."""
    ac = sd_alphas_cumprod()
    train_sigmas = ((1 - ac) / ac) ** 0.5
    if spacing == "leading":
        ts = leading_timesteps(steps, steps_offset).astype(np.float32)
    else:
        ts = np.linspace(0, T - 1, steps, dtype=np.float32)[::-1].copy()
    sig = np.interp(ts, np.arange(T), train_sigmas.numpy()).astype(np.float32)
    sig = np.append(sig, 0.0).astype(np.float32)
    init = float(np.sqrt(sig.max() ** 2 + 1)) if spacing == "leading" else float(sig.max())
    x = x * init
    for i, t in enumerate(ts):
        s = float(sig[i])
        eps = model(x / math.sqrt(s * s + 1), float(t))
        x0 = x - s * eps
        x = x + (x - x0) / s * (float(sig[i + 1]) - s)
    return x


def flow_sigmas(steps: int, shift: float = 1.0) -> np.ndarray:
    """Flux pipeline sigmas (linspace(1, 1/N, N)) through FlowMatchEulerDiscreteScheduler's static shift."""
    s = np.linspace(1.0, 1.0 / steps, steps)
    s = shift * s / (1 + (shift - 1) * s)
    return np.append(s, 0.0).astype(np.float32)


@torch.no_grad()
def flow_sample(model: Callable, x: torch.Tensor, steps: int, shift: float = 1.0, stochastic: bool = False,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """x' = x + (sigma_{i+1} - sigma_i) * v with the model fed timestep = sigma (Flux scales by 1000 inside).
    stochastic (diffusers' stochastic_sampling): x0 = x - sigma_i * v, x' = (1 - sigma_{i+1}) * x0 + sigma_{i+1} * noise,
    fresh noise from ``generator`` at every step."""
    sig = flow_sigmas(steps, shift)
    for i in range(steps):
        v = model(x, float(sig[i]))
        if stochastic:
            noise = torch.randn(x.shape, generator=generator).to(x.device)
            x = (1 - float(sig[i + 1])) * (x - float(sig[i]) * v) + float(sig[i + 1]) * noise
        else:
            x = x + (float(sig[i + 1]) - float(sig[i])) * v
    return x


def pack(lat: torch.Tensor) -> torch.Tensor:
    b, c, h, w = lat.shape
    return lat.view(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5).reshape(b, (h // 2) * (w // 2), c * 4)


def unpack(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    b, n, d = x.shape
    c = d // 4
    return x.view(b, h // 2, w // 2, c, 2, 2).permute(0, 3, 1, 4, 2, 5).reshape(b, c, h, w)


def img_ids(h: int, w: int) -> torch.Tensor:
    """(0, row, col) over the (h/2) x (w/2) grid, row-major, float32 [N, 3]."""
    ids = torch.zeros(h // 2, w // 2, 3)
    ids[..., 1] = torch.arange(h // 2)[:, None].float()
    ids[..., 2] = torch.arange(w // 2)[None, :].float()
    return ids.reshape(-1, 3)
