namespace Conditioning.Prompts;

/// <summary>
/// The AUTOMATIC1111 stable-diffusion-webui prompt syntax, bit-identical to <c>modules/prompt_parser.py</c>:
/// <c>AND</c> split with <c>:w</c> weights, prompt editing and alternation per step, then attention parsing
/// (<c>(x)</c> ×1.1, <c>[x]</c> ÷1.1, <c>(x:w)</c>, escapes, unbalanced brackets, <c>BREAK</c>).
/// </summary>
/// <remarks>
/// Immutable and thread-safe. Weights are doubles multiplied in the reference's order, so nested groups give
/// exactly the values Python prints (<c>((a))</c> = 1.2100000000000002). Parsing is iterative: deep nesting
/// cannot overflow the stack.
/// </remarks>
public sealed class A1111PromptParser : IPromptParser
{
    /// <summary>Creates a parser.</summary>
    /// <param name="options">The options; null for webui's defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">Steps or hires steps are less than 1.</exception>
    public A1111PromptParser(A1111PromptParserOptions? options = null)
    {
        Options = options ?? new A1111PromptParserOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.Steps, 1, nameof(options));
        if (Options.HiresSteps is int h)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(h, 1, nameof(options));
        }
    }

    /// <summary>The options in use.</summary>
    public A1111PromptParserOptions Options { get; }

    /// <inheritdoc />
    public PromptDialect Dialect => PromptDialect.A1111;

    /// <inheritdoc />
    public ParsedPrompt Parse(ReadOnlySpan<char> text) => Parse(text.ToString());

    /// <inheritdoc />
    public ParsedPrompt Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        IReadOnlyList<(string Text, double Weight)> subPrompts = Options.IsNegativePrompt ? [(text, 1.0)] : SplitAnd(text);
        var parts = new List<PromptPart>(subPrompts.Count);
        foreach ((string sub, double weight) in subPrompts)
        {
            var entries = new List<PromptScheduleEntry>();
            foreach ((int end, string scheduled) in GetSchedule(sub, Options.Steps, Options.HiresSteps, Options.UseOldScheduling, Options.Strict))
            {
                entries.Add(new PromptScheduleEntry(end, scheduled, ParseAttention(scheduled, Options.Strict)));
            }

            parts.Add(new PromptPart(sub, weight, entries));
        }

        return new ParsedPrompt(PromptDialect.A1111, text, parts, PromptConjunctionKind.Composable);
    }

    /// <summary>
    /// webui's <c>parse_prompt_attention</c>: the weighted fragments of one (already scheduled) prompt text, with
    /// adjacent fragments of equal weight merged and <c>BREAK</c> markers as <see cref="PromptFragmentKind.Break"/>.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="strict">Throw where webui raises (an unreadable weight such as <c>(a:1.2.3)</c>).</param>
    /// <returns>At least one fragment (<c>["", 1.0]</c> for empty input).</returns>
    /// <exception cref="PromptSyntaxException"><paramref name="strict"/> is set and webui would raise.</exception>
    public static IReadOnlyList<PromptFragment> ParseAttention(ReadOnlySpan<char> text, bool strict = true) => A1111Attention.Parse(text, strict);

    /// <inheritdoc cref="ParseAttention(ReadOnlySpan{char}, bool)" />
    public static IReadOnlyList<PromptFragment> ParseAttention(string text, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return A1111Attention.Parse(text, strict);
    }

    /// <summary>
    /// webui's <c>get_learned_conditioning_prompt_schedules</c> for one prompt: the text at each step range, as
    /// <c>(end_at_step, text)</c> in ascending order. A prompt Lark cannot parse is returned unchanged.
    /// </summary>
    /// <param name="text">The prompt (one AND part).</param>
    /// <param name="steps">The base sampling steps (≥ 1).</param>
    /// <param name="hiresSteps">The hires steps when scheduling the hires pass; otherwise null.</param>
    /// <param name="useOldScheduling">webui's legacy rule (fractions below 1, absolute steps otherwise).</param>
    /// <param name="strict">Throw where webui raises (a step that overflows <c>int()</c>, such as <c>1e999</c>).</param>
    /// <returns>The schedule; the last entry ends at the pass's step count.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> or <paramref name="hiresSteps"/> is less than 1.</exception>
    /// <exception cref="PromptSyntaxException"><paramref name="strict"/> is set and webui would raise.</exception>
    public static IReadOnlyList<(int EndAtStep, string Text)> GetSchedule(string text, int steps, int? hiresSteps = null, bool useOldScheduling = false, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (hiresSteps is int h)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(h, 1, nameof(hiresSteps));
        }

        return A1111Schedule.Get(text, steps, hiresSteps, useOldScheduling, strict);
    }

    /// <summary>
    /// webui's AND split (<c>\bAND\b</c>, case-sensitive) with each sub-prompt's trailing <c>:weight</c>. The rule
    /// applies even without AND: <c>"a photo:0.5"</c> is <c>("a photo", 0.5)</c>. Leading whitespace stays in the text.
    /// </summary>
    /// <param name="text">The positive prompt.</param>
    /// <returns>The sub-prompts with their CFG weights, in order.</returns>
    public static IReadOnlyList<(string Text, double Weight)> SplitAnd(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return A1111And.Split(text);
    }

    /// <summary>
    /// webui's <c>get_multicond_prompt_list</c> over a batch: sub-prompts with identical text share one index into
    /// <c>FlatList</c>, so each distinct text is encoded once.
    /// </summary>
    /// <param name="prompts">The positive prompts of a batch.</param>
    /// <returns>Per prompt, its (index into <c>FlatList</c>, weight) pairs; and the distinct sub-prompt texts.</returns>
    public static (IReadOnlyList<IReadOnlyList<(int Index, double Weight)>> Indexes, IReadOnlyList<string> FlatList) GetMultiCondPromptList(IEnumerable<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var flat = new List<string>();
        var lookup = new Dictionary<string, int>(StringComparer.Ordinal);
        var indexes = new List<IReadOnlyList<(int, double)>>();
        foreach (string prompt in prompts)
        {
            var list = new List<(int, double)>();
            foreach ((string text, double weight) in A1111And.Split(prompt))
            {
                if (!lookup.TryGetValue(text, out int index))
                {
                    index = flat.Count;
                    flat.Add(text);
                    lookup[text] = index;
                }

                list.Add((index, weight));
            }

            indexes.Add(list);
        }

        return (indexes, flat);
    }
}
