namespace Conditioning.Prompts;

/// <summary>Parses weighted prompt text of one dialect into the shared <see cref="ParsedPrompt"/> form.</summary>
/// <remarks>Implementations are immutable and safe to use from many threads at once; parsing is linear in the text length for realistic prompts and never recurses on nesting depth.</remarks>
public interface IPromptParser
{
    /// <summary>The dialect this parser reads.</summary>
    PromptDialect Dialect { get; }

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <param name="text">The prompt; any text, including empty, is accepted.</param>
    /// <returns>The parsed prompt.</returns>
    /// <exception cref="PromptSyntaxException">The reference tool would fail on the text and the parser is strict.</exception>
    ParsedPrompt Parse(string text);

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <param name="text">The prompt; any text, including empty, is accepted.</param>
    /// <returns>The parsed prompt.</returns>
    /// <exception cref="PromptSyntaxException">The reference tool would fail on the text and the parser is strict.</exception>
    ParsedPrompt Parse(ReadOnlySpan<char> text);
}
