using Conditioning.Prompts;

namespace Conditioning.Conditioners;

/// <summary>What to condition on. Null properties take the family's and dialect's defaults.</summary>
public sealed record ConditioningRequest
{
    /// <summary>The prompt, in <see cref="Dialect"/> syntax.</summary>
    public required string Prompt { get; init; }

    /// <summary>The negative prompt; null means "none" (encoded as the empty prompt, or zeros where the model says so).</summary>
    public string? NegativePrompt { get; init; }

    /// <summary>The prompt syntax; chosen by the caller, never guessed (default A1111).</summary>
    public PromptDialect Dialect { get; init; } = PromptDialect.A1111;

    /// <summary>Sampling steps that A1111 prompt editing (<c>[a:b:0.5]</c>) and alternation refer to (default 20).</summary>
    public int Steps { get; init; } = 20;

    /// <summary>Whether to produce negative conditioning for classifier-free guidance (default true; Flux: only with true CFG).</summary>
    public bool ClassifierFreeGuidance { get; init; } = true;

    /// <summary>The weighting; default A1111Original for A1111, LerpFromEmpty for ComfyUI and Compel.</summary>
    public WeightingMode? Weighting { get; init; }

    /// <summary>SD1.x/SD2 clip skip (the CLIP layer to condition on); default the last layer.</summary>
    public Encoders.ClipLayerSelection? ClipLayer { get; init; }

    /// <summary>SDXL: the image size for <c>time_ids</c> (original and target size); default 1024 (or the model's native size).</summary>
    public int? Width { get; init; }

    /// <summary>SDXL: the image height for <c>time_ids</c>.</summary>
    public int? Height { get; init; }

    /// <summary>T5: the sequence length (Flux dev 512, schnell 256, SD3 256); default the family's.</summary>
    public int? MaxSequenceLength { get; init; }

    /// <summary>The weighting this request uses.</summary>
    public WeightingMode EffectiveWeighting => Weighting ?? (Dialect == PromptDialect.A1111 ? WeightingMode.A1111Original : WeightingMode.LerpFromEmpty);
}
