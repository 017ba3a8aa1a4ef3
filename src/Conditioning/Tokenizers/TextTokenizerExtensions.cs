namespace Conditioning.Tokenizers;

/// <summary>Fixed-length encodings as diffusion pipelines feed them to text encoders.</summary>
public static class TextTokenizerExtensions
{
    /// <summary>
    /// Encodes <paramref name="text"/> with special tokens, truncated and padded to exactly <paramref name="length"/>
    /// ids the way Hugging Face's <c>padding="max_length", truncation=True</c> does: a sequence that is too long
    /// keeps its first <c>length − 1</c> ids and ends with EOS (CLIP: BOS + 75 + EOS; T5: 511 + <c>&lt;/s&gt;</c>);
    /// a short one is padded with <see cref="ITextTokenizer.PadId"/>.
    /// </summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="text">The text.</param>
    /// <param name="length">The sequence length; defaults to <see cref="ITextTokenizer.ModelMaxLength"/>.</param>
    /// <returns>The ids, and the number of them that are not padding.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is less than 2.</exception>
    public static (int[] Ids, int Length) EncodeToFixedLength(this ITextTokenizer tokenizer, ReadOnlySpan<char> text, int? length = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        int size = length ?? tokenizer.ModelMaxLength;
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 2, nameof(length));
        var ids = new List<int>(size);
        tokenizer.EncodeToIds(text, ids, addSpecialTokens: true);
        var result = new int[size];
        int used;
        if (ids.Count > size)
        {
            for (int i = 0; i < size - 1; i++) result[i] = ids[i];
            result[size - 1] = tokenizer.EosId;
            used = size;
        }
        else
        {
            ids.CopyTo(result);
            used = ids.Count;
            result.AsSpan(used).Fill(tokenizer.PadId);
        }

        return (result, used);
    }

    /// <summary>Wraps <paramref name="tokenizer"/> as a Microsoft.ML.Tokenizers <see cref="Microsoft.ML.Tokenizers.Tokenizer"/>.</summary>
    public static MLTokenizerAdapter AsMLTokenizer(this ITextTokenizer tokenizer) => new(tokenizer);
}
