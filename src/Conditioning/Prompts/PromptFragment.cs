namespace Conditioning.Prompts;

/// <summary>
/// One run of prompt text with the attention weight its tokens get, or a structural marker (<c>BREAK</c>, a swap).
/// </summary>
/// <remarks>
/// Immutable and thread-safe. Weights are IEEE doubles computed in the reference tool's order of operations, so
/// they compare bit for bit with the reference output.
/// </remarks>
public sealed record PromptFragment
{
    /// <summary>Creates a text fragment.</summary>
    /// <param name="text">The text, exactly as it is to be tokenized (escapes already resolved).</param>
    /// <param name="weight">The weight of every token of the text; 1 means unweighted.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public PromptFragment(string text, double weight)
        : this(text, weight, PromptFragmentKind.Text, null)
    {
    }

    private PromptFragment(string text, double weight, PromptFragmentKind kind, PromptSwap? swap)
    {
        ArgumentNullException.ThrowIfNull(text);
        Text = text;
        Weight = weight;
        Kind = kind;
        Swap = swap;
    }

    /// <summary>The text (for a break, <c>"BREAK"</c>; for a swap, the original text joined with spaces).</summary>
    public string Text { get; }

    /// <summary>The attention weight (for a break, −1 as the reference tool stores it).</summary>
    public double Weight { get; }

    /// <summary>What the fragment stands for.</summary>
    public PromptFragmentKind Kind { get; }

    /// <summary>The swap, when <see cref="Kind"/> is <see cref="PromptFragmentKind.Swap"/>; otherwise null.</summary>
    public PromptSwap? Swap { get; }

    /// <summary>The AUTOMATIC1111 <c>BREAK</c> marker.</summary>
    public static PromptFragment Break { get; } = new("BREAK", -1.0, PromptFragmentKind.Break, null);

    /// <summary>Creates a swap fragment.</summary>
    /// <param name="swap">The swap.</param>
    /// <returns>A fragment of kind <see cref="PromptFragmentKind.Swap"/> with weight 1.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="swap"/> is null.</exception>
    public static PromptFragment ForSwap(PromptSwap swap)
    {
        ArgumentNullException.ThrowIfNull(swap);
        return new PromptFragment(string.Join(' ', swap.Original.Select(f => f.Text)), 1.0, PromptFragmentKind.Swap, swap);
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        PromptFragmentKind.Break => "BREAK",
        PromptFragmentKind.Swap => $"swap({Text})",
        _ => $"'{Text}'@{Weight.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}",
    };
}
