namespace Conditioning.Prompts;

/// <summary>The words of a prompt without its weighting syntax — what a CLIP score or a caption should compare against.</summary>
/// <remarks>Stateless and thread-safe.</remarks>
public static class PromptText
{
    /// <summary>
    /// Parses <paramref name="text"/> in <paramref name="dialect"/> and joins the text of every fragment (the first
    /// schedule entry of each part; BREAKs and weights dropped), collapsing whitespace runs to single spaces.
    /// </summary>
    /// <exception cref="PromptSyntaxException">The prompt is invalid in its dialect.</exception>
    public static string Plain(string text, PromptDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(text);
        IPromptParser parser = dialect switch
        {
            PromptDialect.A1111 => new A1111PromptParser(),
            PromptDialect.ComfyUI => new ComfyPromptParser(),
            _ => new CompelPromptParser(),
        };
        ParsedPrompt parsed = parser.Parse(text);

        // Compel fuses fragments without their separating spaces; A1111 drops the spaces around BREAK and AND.
        string fragmentSeparator = dialect == PromptDialect.Compel ? " " : string.Empty;
        string joined = string.Join(' ', parsed.Parts.Select(p => string.Join(fragmentSeparator, p.Fragments.Select(f => f.Kind == PromptFragmentKind.Break ? " " : f.Text))));
        return string.Join(' ', joined.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }
}
