namespace Conditioning.Pipelines.Generation;

/// <summary>Per-generation settings. Null properties take the pipeline's defaults.</summary>
public sealed record GenerationOptions
{
    /// <summary>Inference steps (default 20).</summary>
    public int? Steps { get; init; }

    /// <summary>Classifier-free guidance scale; CFG runs when &gt; 1 and a negative conditioning exists. For Flux this is "true CFG".</summary>
    public float? GuidanceScale { get; init; }

    /// <summary>Flux-dev's distilled guidance, fed to the model's <c>guidance</c> input when it has one (default 3.5).</summary>
    public float? DistilledGuidance { get; init; }

    /// <summary>diffusers' guidance_rescale φ (0 = off): cfg' = φ·cfg·std(text)/std(cfg) + (1 − φ)·cfg.</summary>
    public float? GuidanceRescale { get; init; }

    /// <summary>Seed of the noise; the same seed gives the same image on every machine.</summary>
    public ulong Seed { get; init; }

    /// <summary>Image width in pixels (default: the model's native size).</summary>
    public int? Width { get; init; }

    /// <summary>Image height in pixels (default: the model's native size).</summary>
    public int? Height { get; init; }

    /// <summary>A scheduler to use instead of the model's (a diffusers class name or a short name such as euler_a).</summary>
    public string? Scheduler { get; init; }
}
