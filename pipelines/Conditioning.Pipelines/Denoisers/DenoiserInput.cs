using Conditioning.Conditioners;

namespace Conditioning.Pipelines.Denoisers;

/// <summary>The inputs of one denoiser call.</summary>
/// <param name="Latents">The (scaled) latents, row-major: [B, C, h, w] for a UNet, packed [B, N, 4C] for Flux.</param>
/// <param name="Shape">The shape of <paramref name="Latents"/>.</param>
/// <param name="Timestep">The scheduler's timestep on the 0…1000 scale (Flux models take σ = t/1000; the Flux denoiser divides).</param>
/// <param name="Conditioning">One embedding set per batch item.</param>
/// <param name="Guidance">Distilled guidance scale for models with a <c>guidance</c> input (Flux-dev) or an LCM <c>timestep_cond</c>, else null.</param>
/// <param name="ImageIds">Flux <c>img_ids</c> [N, 3] for packed latents, else null.</param>
public sealed record DenoiserInput(ReadOnlyMemory<float> Latents, int[] Shape, float Timestep, IReadOnlyList<PromptEmbeddings> Conditioning, float? Guidance = null, ReadOnlyMemory<float>? ImageIds = null);
