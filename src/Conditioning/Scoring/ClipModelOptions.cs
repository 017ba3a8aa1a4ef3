using Microsoft.Extensions.Logging;

namespace Conditioning.Scoring;

/// <summary>Options for <see cref="ClipModel"/>; unset properties take the defaults described on each.</summary>
/// <remarks>Immutable once passed in; share one instance freely.</remarks>
public sealed record ClipModelOptions
{
    /// <summary>
    /// An identifier of the weights, used to key caches and search indexes (embeddings of different models must never
    /// mix). Defaults to the first 16 hex digits of a SHA-256 over the two model files — and, for
    /// <see cref="ClipModel.FromFolder"/>, the tokenizer files and <c>preprocessor_config.json</c> — or over the model paths
    /// when the files do not exist (fakes).
    /// </summary>
    public string? ModelId { get; init; }

    /// <summary>
    /// The multiplier CLIP applies to cosines before a softmax (<c>exp(logit_scale)</c>). Defaults to the value in the
    /// folder's <c>config.json</c> when it records the trained <c>logit_scale</c>, else 100 (OpenAI CLIP's trained value).
    /// </summary>
    public float? LogitScale { get; init; }

    /// <summary>The most texts or images sent to the model in one run; larger requests are split. Default 32.</summary>
    public int? MaxBatchSize { get; init; }

    /// <summary>Receives warnings (truncated prompts). Default: none.</summary>
    public ILogger? Logger { get; init; }
}
