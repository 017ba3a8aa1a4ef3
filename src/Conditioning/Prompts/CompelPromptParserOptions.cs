namespace Conditioning.Prompts;

/// <summary>Options for <see cref="CompelPromptParser"/>; the defaults are Compel's.</summary>
/// <remarks>Immutable once constructed (init-only); safe to share.</remarks>
public sealed record CompelPromptParserOptions
{
    /// <summary>The weight of one <c>+</c> (Compel's <c>attention_plus_base</c>, default 1.1); n pluses weigh pow(base, n).</summary>
    public double PlusBase { get; init; } = 1.1;

    /// <summary>The weight of one <c>-</c> (Compel's <c>attention_minus_base</c>, default 0.9); n minuses weigh pow(base, n).</summary>
    public double MinusBase { get; init; } = 0.9;
}
