namespace Conditioning.Pipelines.Denoisers;

/// <summary>
/// One evaluation of a diffusion model: a UNet (ε or v prediction), a Flux/SD3 transformer (flow velocity), or the
/// caller's own network. The pipelines batch CFG passes up to <see cref="MaxBatchSize"/>.
/// </summary>
/// <remarks>Implementations must be safe to call from one generation at a time; the ONNX ones are fully thread-safe.</remarks>
public interface IDenoiser
{
    /// <summary>The largest batch one call accepts (1 when the model fixes its batch axis).</summary>
    int MaxBatchSize { get; }

    /// <summary>Predicts for every item of <paramref name="input"/>; returns a tensor shaped like <see cref="DenoiserInput.Latents"/>.</summary>
    Task<float[]> PredictAsync(DenoiserInput input, CancellationToken cancellationToken);
}
