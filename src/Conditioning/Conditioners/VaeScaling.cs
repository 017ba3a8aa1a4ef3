namespace Conditioning.Conditioners;

/// <summary>How a VAE's latents are scaled: <c>latents = (mean − shift)·scaling</c> to encode, the inverse to decode.</summary>
/// <param name="ScalingFactor">0.18215 (SD1/2), 0.13025 (SDXL), 1.5305 (SD3), 0.3611 (Flux), or the config's value.</param>
/// <param name="ShiftFactor">0 except SD3 (0.0609) and Flux (0.1159).</param>
/// <param name="LatentChannels">4 (SD/SDXL) or 16 (SD3/Flux).</param>
/// <param name="DownsampleFactor">Image pixels per latent pixel along a side (8 for real VAEs).</param>
public sealed record VaeScaling(double ScalingFactor, double ShiftFactor, int LatentChannels, int DownsampleFactor);
