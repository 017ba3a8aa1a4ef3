namespace Conditioning.Pipelines.Generation;

/// <summary>
/// Thrown when latents become NaN or infinite during denoising — typically a float16 overflow in the UNet or VAE
/// (the "black image" problem). The message names the step and suggests float32 I/O or an fp16-safe VAE.
/// </summary>
public sealed class NonFiniteLatentsException : Exception
{
    /// <summary>Creates the exception for <paramref name="step"/> (1-based).</summary>
    public NonFiniteLatentsException(int step, string stage)
        : base($"The latents became NaN or infinite at step {step} ({stage}). This is usually a float16 overflow: use a float32 export of the model (or an fp16-fixed VAE), or lower the guidance scale.")
    {
        Step = step;
    }

    /// <summary>The 1-based step at which the latents stopped being finite.</summary>
    public int Step { get; }
}
