namespace Conditioning.Scoring;

/// <summary>How <see cref="ClipInterrogator"/> builds a prompt; unset properties take the defaults described on each.</summary>
public sealed record InterrogationOptions
{
    /// <summary>A prompt to start from (CLIP Interrogator starts from a BLIP caption); default: the single best phrase.</summary>
    public string? StartPrompt { get; init; }

    /// <summary>What joins phrases; default <c>", "</c> as in CLIP Interrogator.</summary>
    public string? Separator { get; init; }

    /// <summary>The most phrases added to the prompt; default 32 (CLIP Interrogator's <c>max_count</c>).</summary>
    public int? MaxPhrases { get; init; }

    /// <summary>How many of the best phrases of each list to report; default 5.</summary>
    public int? TopPerList { get; init; }
}
