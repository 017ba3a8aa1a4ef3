namespace Conditioning.Prompts;

/// <summary>
/// The Compel / InvokeAI prompt syntax (<c>compel/prompt_parser.py</c>): <c>word+</c>, <c>(x)--</c>, <c>(x)1.3</c>,
/// <c>"x"+</c>, <c>.attend()</c>, <c>.swap()</c>, <c>(a, b).blend(…)</c>, <c>(a, b).and(…)</c>, <c>withLora()</c>.
/// Fragments of equal weight are fused with one space; a <c>,</c> followed by a non-space gets a space inserted.
/// </summary>
/// <remarks>
/// Immutable and thread-safe. Where Compel raises (a blend followed by text, weight/prompt count mismatch, a swap
/// inside a blend), <see cref="Parse(string)"/> throws <see cref="PromptSyntaxException"/>. Parsing is linear in the
/// text; nesting deeper than 1000 levels throws (Compel itself fails with RecursionError far earlier).
/// </remarks>
public sealed class CompelPromptParser : IPromptParser
{
    /// <summary>Creates a parser.</summary>
    /// <param name="options">The options; null for Compel's defaults.</param>
    public CompelPromptParser(CompelPromptParserOptions? options = null)
    {
        Options = options ?? new CompelPromptParserOptions();
    }

    /// <summary>The options in use.</summary>
    public CompelPromptParserOptions Options { get; }

    /// <inheritdoc />
    public PromptDialect Dialect => PromptDialect.Compel;

    /// <inheritdoc />
    public ParsedPrompt Parse(ReadOnlySpan<char> text) => Parse(text.ToString());

    /// <inheritdoc />
    public ParsedPrompt Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        CompelGrammar.Conjunction c = CompelGrammar.ParseConjunction(text, Options.PlusBase, Options.MinusBase);
        var parts = new List<PromptPart>(c.Parts.Count);
        for (int i = 0; i < c.Parts.Count; i++)
        {
            CompelGrammar.Part part = c.Parts[i];
            if (part.Blend is CompelGrammar.FlatBlend b)
            {
                var blend = new PromptBlend(b.Prompts.Select(ToFragments).ToList(), b.Weights.ToList(), b.Normalize);
                string blendText = string.Join(", ", blend.Prompts.Select(p => string.Join(' ', p.Select(f => f.Text))));
                parts.Add(new PromptPart(blendText, c.Weights[i], [new PromptScheduleEntry(int.MaxValue, blendText, [])], blend));
            }
            else
            {
                IReadOnlyList<PromptFragment> fragments = ToFragments(part.Fragments!);
                string partText = string.Join(' ', fragments.Select(f => f.Text));
                parts.Add(new PromptPart(partText, c.Weights[i], [new PromptScheduleEntry(int.MaxValue, partText, fragments)]));
            }
        }

        return new ParsedPrompt(PromptDialect.Compel, text, parts, PromptConjunctionKind.Concatenated, c.Loras);
    }

    internal static IReadOnlyList<PromptFragment> ToFragments(IReadOnlyList<CompelGrammar.FlatItem> items) =>
        items.Select(x => x switch
        {
            CompelGrammar.Fragment f => new PromptFragment(f.Text, f.Weight),
            CompelGrammar.FlatSwap s => PromptFragment.ForSwap(new PromptSwap(ToFragments(s.Original), ToFragments(s.Edited), s.Options)),
            _ => throw new InvalidOperationException("Unknown Compel item."),
        }).ToList();
}
