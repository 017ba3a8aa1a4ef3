namespace Conditioning.Pipelines.Vae;

/// <summary>Turns (unscaled) latents [1, C, h, w] into an image tensor [1, 3, H, W] in [−1, 1].</summary>
public interface IVaeDecoder
{
    /// <summary>Decodes latents already divided by the scaling factor (and shifted back).</summary>
    /// <returns>The image tensor and its shape.</returns>
    Task<(float[] Pixels, int[] Shape)> DecodeAsync(float[] latents, int[] shape, CancellationToken cancellationToken);
}
