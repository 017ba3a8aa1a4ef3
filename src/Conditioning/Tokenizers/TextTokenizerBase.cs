namespace Conditioning.Tokenizers;

/// <summary>
/// The encode plumbing every tokenizer shares: the span, string and ids-only overloads funnel into one core that
/// appends ids (and, when asked, spans) for the text, so a tokenizer implements a single method.
/// </summary>
/// <remarks>Derived types must be immutable after construction; the base adds no state.</remarks>
public abstract class TextTokenizerBase : ITextTokenizer
{
    /// <inheritdoc/>
    public abstract int? BosId { get; }

    /// <inheritdoc/>
    public abstract int EosId { get; }

    /// <inheritdoc/>
    public abstract int PadId { get; }

    /// <inheritdoc/>
    public abstract int ModelMaxLength { get; }

    /// <inheritdoc/>
    public abstract int VocabularySize { get; }

    /// <inheritdoc/>
    public TokenizedText Encode(ReadOnlySpan<char> text, bool addSpecialTokens = true)
    {
        var ids = new List<int>((text.Length / 3) + 4);
        var spans = new List<TokenSpan>(ids.Capacity);
        EncodeCore(Utf16.ReplaceLoneSurrogates(text), addSpecialTokens, ids, spans);
        var tokens = new string[ids.Count];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = IdToToken(ids[i]) ?? string.Empty;
        return new TokenizedText([.. ids], tokens, [.. spans]);
    }

    /// <summary>Encodes <paramref name="text"/>; see <see cref="Encode(ReadOnlySpan{char}, bool)"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public TokenizedText Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encode(text.AsSpan(), addSpecialTokens);
    }

    /// <inheritdoc/>
    public int EncodeToIds(ReadOnlySpan<char> text, List<int> ids, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int before = ids.Count;
        EncodeCore(Utf16.ReplaceLoneSurrogates(text), addSpecialTokens, ids, null);
        return ids.Count - before;
    }

    /// <inheritdoc/>
    public abstract string? IdToToken(int id);

    /// <inheritdoc/>
    public abstract string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true);

    /// <summary>
    /// Appends the ids of <paramref name="text"/> (lone surrogates already replaced by U+FFFD) to
    /// <paramref name="ids"/>, and the character span of each to <paramref name="spans"/> when it is not null.
    /// </summary>
    private protected abstract void EncodeCore(ReadOnlySpan<char> text, bool addSpecialTokens, List<int> ids, List<TokenSpan>? spans);
}
