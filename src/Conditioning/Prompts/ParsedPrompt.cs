namespace Conditioning.Prompts;

/// <summary>
/// The dialect-independent parsed form of a prompt: conjunction parts, each with weighted fragments per step range
/// (breaks, swaps and blends included), and LoRA references.
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class ParsedPrompt
{
    /// <summary>Creates a parsed prompt.</summary>
    /// <param name="dialect">The syntax it was parsed with.</param>
    /// <param name="text">The original text.</param>
    /// <param name="parts">The conjunction parts (Compel's <c>()</c> yields none).</param>
    /// <param name="conjunction">How the parts combine.</param>
    /// <param name="loras">LoRA references removed from the text.</param>
    public ParsedPrompt(PromptDialect dialect, string text, IReadOnlyList<PromptPart> parts, PromptConjunctionKind conjunction, IReadOnlyList<PromptLora>? loras = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(parts);
        Dialect = dialect;
        Text = text;
        Parts = parts;
        Conjunction = conjunction;
        Loras = loras ?? [];
    }

    /// <summary>The syntax the prompt was parsed with.</summary>
    public PromptDialect Dialect { get; }

    /// <summary>The original prompt text.</summary>
    public string Text { get; }

    /// <summary>The conjunction parts; one for a prompt without AND / <c>.and()</c>.</summary>
    public IReadOnlyList<PromptPart> Parts { get; }

    /// <summary>How <see cref="Parts"/> combine.</summary>
    public PromptConjunctionKind Conjunction { get; }

    /// <summary>LoRA references found in the prompt (Compel <c>withLora</c>); empty for the other dialects.</summary>
    public IReadOnlyList<PromptLora> Loras { get; }

    /// <summary>
    /// For a prompt split out of a larger one (a Compel <c>.blend()</c> member or <c>.and()</c> part, encoded on its own):
    /// the prompt whose pooled text it takes, since Compel pools the whole prompt. Null for an ordinary prompt.
    /// </summary>
    public ParsedPrompt? PooledFrom { get; init; }

    /// <summary>Whether any part has prompt editing or alternation (more than one schedule entry).</summary>
    public bool IsScheduled => Parts.Any(p => p.Schedule.Count > 1);
}
