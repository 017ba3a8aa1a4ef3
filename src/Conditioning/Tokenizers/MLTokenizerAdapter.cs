using System.Buffers;
using Microsoft.ML.Tokenizers;

namespace Conditioning.Tokenizers;

/// <summary>
/// Exposes an <see cref="ITextTokenizer"/> as a <see cref="Tokenizer"/> of Microsoft.ML.Tokenizers, so code written
/// against that abstraction (token counting, truncation by token budget) gets the exact Hugging Face ids. Special
/// tokens are added as the diffusion pipelines add them (CLIP: BOS/EOS; T5: <c>&lt;/s&gt;</c>); offsets are the
/// character spans of <see cref="TokenizedText.Spans"/>. Normalization is internal to the wrapped tokenizer, so
/// <see cref="EncodeResults{T}.NormalizedText"/> is always <see langword="null"/>.
/// </summary>
/// <remarks>Thread-safe when the wrapped tokenizer is (all tokenizers of this library are).</remarks>
public sealed class MLTokenizerAdapter : Tokenizer
{
    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    public MLTokenizerAdapter(ITextTokenizer inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
    }

    /// <summary>The wrapped tokenizer.</summary>
    public ITextTokenizer Inner { get; }

    /// <inheritdoc/>
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        ReadOnlySpan<char> input = text is null ? textSpan : text.AsSpan();
        TokenizedText encoded = Inner.Encode(input);
        int count = Math.Min(encoded.Count, settings.MaxTokenCount);
        var tokens = new List<EncodedToken>(count);
        int consumed = 0;
        for (int i = 0; i < count; i++)
        {
            TokenSpan span = encoded.Spans[i];
            tokens.Add(new EncodedToken(encoded.Ids[i], encoded.Tokens[i], new Range(span.Start, span.End)));
            consumed = Math.Max(consumed, span.End);
        }

        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = null, CharsConsumed = count == encoded.Count ? input.Length : consumed };
    }

    /// <inheritdoc/>
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int[] all = [.. ids];
        string text = Inner.Decode(all);
        if (text.Length > destination.Length)
        {
            idsConsumed = 0;
            charsWritten = 0;
            return OperationStatus.DestinationTooSmall;
        }

        text.CopyTo(destination);
        idsConsumed = all.Length;
        charsWritten = text.Length;
        return OperationStatus.Done;
    }
}
