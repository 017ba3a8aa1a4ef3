"""Golden fixtures for the C# side: one evaluation of each tiny-sd / tiny-flux component on fixed inputs.

    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/make_fixtures_part2.py

Each fixture is one JSON file, self-contained: {"model": path of the ONNX file relative to the model folder,
"inputs": {name: {"dtype", "shape", "data"}}, "outputs": {name: {...}}, "tolerance": 1e-4, "note": ...};
data is row-major, flattened. Outputs are the PyTorch modules' (the exported weights) in float32; ONNX Runtime on
the exported graph must match them within the tolerance (max absolute difference).

Inputs are realistic but deterministic: latents/noise x[i] = sin(0.37 i + 0.1) (i = flat index), text states
from the real encoders for a fixed prompt (their token ids are stored too, so a test can also chain
tokenizer -> encoder -> denoiser), VAE encoder input = a held-out shapes-world PNG committed under
models/shapes-world/fixtures (pixels / 127.5 - 1).

tiny-sd/fixtures:   unet.json (batch 2 = [uncond "", prompt], as a CFG call), vae_decoder.json, vae_encoder.json
                    (the text encoder is models/tiny-clip's, with its own golden fixtures)
tiny-flux/fixtures: transformer.json, text_encoder_2.json (T5), vae_decoder.json, vae_encoder.json
"""
from __future__ import annotations

import json
import math
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import part2_common as pc  # noqa: E402
import samplers  # noqa: E402
from frozen_clip import FrozenClip  # noqa: E402
from train_flux import MAX_SEQ, T5Tokenizer, load_flux  # noqa: E402
from train_unet import load_unet  # noqa: E402
from train_vae import load_vae  # noqa: E402

PROMPT = "a red circle on the left"
PNG = os.path.join(pc.MODELS, "shapes-world", "fixtures", "test_0000.png")
TOLERANCE = 1e-4


def sines(*shape) -> torch.Tensor:
    n = int(np.prod(shape))
    return torch.tensor([math.sin(0.37 * i + 0.1) for i in range(n)], dtype=torch.float32).view(*shape)


def tensor(t: torch.Tensor, dtype: str = "float32") -> dict:
    a = t.detach().numpy()
    if dtype.startswith("float"):
        data = [float(f"{v:.8g}") for v in a.astype(np.float32).ravel()]
    else:
        data = [int(v) for v in a.ravel()]
    return {"dtype": dtype, "shape": list(a.shape), "data": data}


def write(folder: str, name: str, model: str, inputs: dict, outputs: dict, note: str, context: dict | None = None) -> None:
    path = os.path.join(folder, "fixtures", f"{name}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    obj = {"model": model, "tolerance": TOLERANCE, "note": note,
           "command": "OMP_NUM_THREADS=1 /usr/bin/python3 models/training/make_fixtures_part2.py",
           **({"context": context} if context else {}), "inputs": inputs, "outputs": outputs}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, separators=(",", ":"))
    print(f"wrote {os.path.relpath(path, pc.MODELS)} ({os.path.getsize(path) / 1e3:.0f} kB)")


def png_sample() -> torch.Tensor:
    return pc.to_unit(np.asarray(Image.open(PNG).convert("RGB"))[None])


@torch.no_grad()
def vae_fixtures(variant: str, folder: str) -> None:
    vae, shift, scale = load_vae(variant)
    c, h = vae.cfg.latent_channels, 64 // vae.down_factor
    z = sines(1, c, h, h)
    write(folder, "vae_decoder", "vae_decoder/model.onnx", {"latent_sample": tensor(z)},
          {"sample": tensor(vae.decode(z))}, "latent_sample = sin(0.37 i + 0.1), unscaled latents")
    x = png_sample()
    write(folder, "vae_encoder", "vae_encoder/model.onnx", {"sample": tensor(x)},
          {"latent_parameters": tensor(vae.encoder(x))},
          f"sample = models/shapes-world/fixtures/{os.path.basename(PNG)} as pixels / 127.5 - 1 (NCHW); "
          f"latents = (mean - shift_factor) * scaling_factor with shift {shift if variant == 'flux' else 0.0:.6g}, "
          f"scale {scale:.6g}")


@torch.no_grad()
def main() -> None:
    torch.set_num_threads(1)
    clip = FrozenClip()
    sd = os.path.join(pc.MODELS, "tiny-sd")
    flux = os.path.join(pc.MODELS, "tiny-flux")

    ids = clip.ids(["", PROMPT]).int()
    last, pooled = clip.encode(["", PROMPT])

    unet = load_unet()
    h = unet.cfg.sample_size
    sample = sines(1, 4, h, h).repeat(2, 1, 1, 1)
    t = torch.tensor([501.0, 501.0])
    write(sd, "unet", "unet/model.onnx",
          {"sample": tensor(sample), "timestep": tensor(t), "encoder_hidden_states": tensor(last)},
          {"out_sample": tensor(unet(sample, t, last))},
          f'CFG batch [uncond, text]: sample = sin(0.37 i + 0.1) per item, timestep 501, encoder_hidden_states = '
          f'text_encoder(["", "{PROMPT}"]).last_hidden_state',
          {"prompts": ["", PROMPT], "text_encoder_input_ids": ids.tolist()})
    vae_fixtures("sd", sd)

    model = load_flux()
    tok = T5Tokenizer()
    t5_ids = tok([PROMPT])
    txt = model.t5(t5_ids)
    write(flux, "text_encoder_2", "text_encoder_2/model.onnx", {"input_ids": tensor(t5_ids, "int64")},
          {"last_hidden_state": tensor(txt)}, f'prompt "{PROMPT}": SentencePiece ids + </s>, padded with 0 to {MAX_SEQ}')
    vae, _, _ = load_vae("flux")
    lh = 64 // vae.down_factor
    hs = samplers.pack(sines(1, vae.cfg.latent_channels, lh, lh))
    sigma = torch.tensor([0.75])
    ids_img, ids_txt = samplers.img_ids(lh, lh), torch.zeros(MAX_SEQ, 3)
    out = model.flux(hs, txt, pooled[1:], sigma, ids_img, ids_txt)
    if model.flux.cfg.image_conv:
        # Training runs the grid convolution as conv2d on the row-major grid; the export gathers neighbours by img_ids.
        model.flux.train()
        diff = float((model.flux(hs, txt, pooled[1:], sigma, ids_img, ids_txt) - out).abs().max())
        model.flux.eval()
        assert diff < 1e-5, f"grid convolution: training path and exported path differ by {diff}"
        print(f"grid convolution: training and exported paths agree within {diff:.1e}")
    write(flux, "transformer", "transformer/model.onnx",
          {"hidden_states": tensor(hs), "encoder_hidden_states": tensor(txt), "pooled_projections": tensor(pooled[1:]),
           "timestep": tensor(sigma), "img_ids": tensor(ids_img), "txt_ids": tensor(ids_txt)},
          {"out_hidden_states": tensor(out)},
          f'hidden_states = pack(sin(0.37 i + 0.1) over [1,16,{lh},{lh}]), encoder_hidden_states = T5("{PROMPT}"), '
          f'pooled_projections = CLIP pooler_output("{PROMPT}"), timestep = sigma 0.75, img_ids (0,row,col), txt_ids zeros',
          {"prompt": PROMPT, "text_encoder_input_ids": ids[1:].tolist(), "text_encoder_2_input_ids": t5_ids.tolist()})
    vae_fixtures("flux", flux)


if __name__ == "__main__":
    main()
