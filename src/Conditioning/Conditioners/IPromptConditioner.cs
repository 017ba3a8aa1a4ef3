namespace Conditioning.Conditioners;

/// <summary>
/// Turns a weighted prompt (and negative prompt) into the tensors one model family's denoiser expects.
/// Implementations: <see cref="StableDiffusionConditioner"/>, <see cref="StableDiffusionXLConditioner"/>,
/// <see cref="StableDiffusion3Conditioner"/>, <see cref="FluxConditioner"/>; <see cref="PromptConditioner.FromFolder(string, ModelFamily?, Onnx.OnnxModelOptions?, Encoders.EmbeddingCache?)"/> picks one.
/// </summary>
/// <remarks>Implementations are thread-safe: one instance may encode many requests concurrently.</remarks>
public interface IPromptConditioner : IDisposable
{
    /// <summary>The family the tensors are shaped for.</summary>
    ModelFamily Family { get; }

    /// <summary>Parses, tokenizes, encodes and weights <paramref name="request"/>.</summary>
    /// <exception cref="Prompts.PromptSyntaxException">The prompt is not valid in its dialect.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    Task<DiffusionConditioning> EncodeAsync(ConditioningRequest request, CancellationToken cancellationToken = default);
}
