namespace Conditioning.Conditioners;

/// <summary>The diffusion model families whose conditioning this library assembles.</summary>
public enum ModelFamily
{
    /// <summary>SD1.x / SD2.x: one CLIP text encoder, a UNet.</summary>
    StableDiffusion,

    /// <summary>SDXL: CLIP-L + OpenCLIP-G, pooled text embeds and time ids, a UNet.</summary>
    StableDiffusionXL,

    /// <summary>SD3: CLIP-L + CLIP-G + T5, an MMDiT transformer.</summary>
    StableDiffusion3,

    /// <summary>Flux: CLIP-L pooled + T5 sequence, a flow transformer on packed latents.</summary>
    Flux,
}
