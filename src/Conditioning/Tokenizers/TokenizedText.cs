namespace Conditioning.Tokenizers;

/// <summary>
/// The result of tokenizing one text: parallel arrays of ids, vocabulary strings and character spans.
/// </summary>
/// <remarks>Immutable; safe to share across threads.</remarks>
public sealed class TokenizedText
{
    /// <summary>Creates a result from parallel arrays of equal length.</summary>
    /// <exception cref="ArgumentException">The arrays differ in length.</exception>
    public TokenizedText(int[] ids, string[] tokens, TokenSpan[] spans)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(spans);
        if (ids.Length != tokens.Length || ids.Length != spans.Length)
        {
            throw new ArgumentException($"ids ({ids.Length}), tokens ({tokens.Length}) and spans ({spans.Length}) must have the same length.");
        }

        Ids = ids;
        Tokens = tokens;
        Spans = spans;
    }

    /// <summary>The token ids, including special tokens when they were requested.</summary>
    public IReadOnlyList<int> Ids { get; }

    /// <summary>The vocabulary string of each token (byte-level symbols for CLIP, <c>▁</c> pieces for T5).</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>The character span in the input text each token came from; special tokens added by the tokenizer have an empty span.</summary>
    public IReadOnlyList<TokenSpan> Spans { get; }

    /// <summary>The number of tokens.</summary>
    public int Count => Ids.Count;
}

/// <summary>A half-open range <c>[Start, Start + Length)</c> of UTF-16 code units in the tokenized text.</summary>
/// <param name="Start">Index of the first character.</param>
/// <param name="Length">Number of characters; 0 for tokens the tokenizer added.</param>
public readonly record struct TokenSpan(int Start, int Length)
{
    /// <summary>The index one past the last character.</summary>
    public int End => Start + Length;
}
