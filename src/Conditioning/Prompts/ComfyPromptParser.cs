namespace Conditioning.Prompts;

/// <summary>
/// The ComfyUI prompt syntax (<c>comfy/sd1_clip.py</c>): <c>(x)</c> ×1.1 per level, <c>(x:w)</c> where an explicit
/// weight <em>replaces</em> the enclosing weight, <c>\(</c> and <c>\)</c> as the only escapes. Brackets <c>[ ]</c>,
/// <c>BREAK</c>, <c>AND</c> and scheduling are plain text. Equal weights are not merged: each segment is tokenized
/// on its own.
/// </summary>
/// <remarks>
/// Immutable and thread-safe. ComfyUI never fails on text (an unreadable weight stays text), so there is no strict
/// mode. Unlike the reference, deep nesting does not hit a recursion limit.
/// </remarks>
public sealed class ComfyPromptParser : IPromptParser
{
    /// <inheritdoc />
    public PromptDialect Dialect => PromptDialect.ComfyUI;

    /// <inheritdoc />
    public ParsedPrompt Parse(ReadOnlySpan<char> text) => Parse(text.ToString());

    /// <inheritdoc />
    public ParsedPrompt Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        IReadOnlyList<PromptFragment> fragments = ParseWeights(text);
        var entry = new PromptScheduleEntry(int.MaxValue, text, fragments);
        return new ParsedPrompt(PromptDialect.ComfyUI, text, [new PromptPart(text, 1.0, [entry])], PromptConjunctionKind.Composable);
    }

    /// <summary>
    /// The weighted segments ComfyUI tokenizes, in order: the non-empty results of
    /// <c>token_weights(escape_important(text), 1.0)</c>, unescaped. An empty prompt gives no segments.
    /// </summary>
    /// <param name="text">The prompt.</param>
    /// <returns>The segments; adjacent segments may have equal weights.</returns>
    public static IReadOnlyList<PromptFragment> ParseWeights(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ComfyWeights.Parse(text);
    }
}
