using System.Globalization;
using System.Text;

namespace Conditioning.Pipelines.Images;

/// <summary>The settings that produced an image, as written into its PNG (A1111's "parameters" format).</summary>
public sealed record GenerationParameters
{
    /// <summary>The prompt as the user wrote it.</summary>
    public required string Prompt { get; init; }

    /// <summary>The negative prompt, if any.</summary>
    public string? NegativePrompt { get; init; }

    /// <summary>Denoising steps.</summary>
    public int Steps { get; init; }

    /// <summary>Scheduler (diffusers class name).</summary>
    public string? Sampler { get; init; }

    /// <summary>CFG scale.</summary>
    public float GuidanceScale { get; init; }

    /// <summary>The seed.</summary>
    public ulong Seed { get; init; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; init; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; init; }

    /// <summary>The model (folder name).</summary>
    public string? Model { get; init; }

    /// <summary>The prompt dialect the prompt was parsed with.</summary>
    public string? Dialect { get; init; }

    /// <summary>Formats as A1111 does: prompt, "Negative prompt: …", then "Steps: …, Sampler: …, CFG scale: …, Seed: …, Size: WxH, Model: …".</summary>
    public string ToA1111Text()
    {
        var sb = new StringBuilder(Prompt);
        if (!string.IsNullOrEmpty(NegativePrompt)) sb.Append("\nNegative prompt: ").Append(NegativePrompt);
        sb.Append(CultureInfo.InvariantCulture, $"\nSteps: {Steps}, Sampler: {Sampler}, CFG scale: {GuidanceScale}, Seed: {Seed}, Size: {Width}x{Height}");
        if (Model is not null) sb.Append(", Model: ").Append(Model);
        if (Dialect is not null) sb.Append(", Prompt dialect: ").Append(Dialect);
        return sb.ToString();
    }
}
