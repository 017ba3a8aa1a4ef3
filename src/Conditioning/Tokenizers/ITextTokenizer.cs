namespace Conditioning.Tokenizers;

/// <summary>
/// A text tokenizer for a diffusion text encoder (CLIP BPE, T5 Unigram): text in, token ids and the character
/// span of every token out, exactly as the Hugging Face fast tokenizer of the same files produces them.
/// </summary>
/// <remarks>Implementations are immutable after construction and safe to use from many threads at once.</remarks>
public interface ITextTokenizer
{
    /// <summary>The id prepended to every sequence (CLIP <c>&lt;|startoftext|&gt;</c>), or <see langword="null"/> when the model has none (T5).</summary>
    int? BosId { get; }

    /// <summary>The id appended to every sequence (CLIP <c>&lt;|endoftext|&gt;</c>, T5 <c>&lt;/s&gt;</c>).</summary>
    int EosId { get; }

    /// <summary>The id used to pad a sequence to a fixed length (49407 for CLIP-L, 0 for OpenCLIP-G/SD2 and T5).</summary>
    int PadId { get; }

    /// <summary>The model's context length in tokens including special tokens (77 for CLIP); for T5 the length pipelines pad to by default.</summary>
    int ModelMaxLength { get; }

    /// <summary>The number of entries in the vocabulary.</summary>
    int VocabularySize { get; }

    /// <summary>Encodes <paramref name="text"/> into ids, token strings and character spans.</summary>
    /// <param name="text">The text; any string, including empty, is accepted.</param>
    /// <param name="addSpecialTokens">Whether to add BOS/EOS as the model's pipeline does.</param>
    /// <returns>The untruncated encoding; special tokens carry an empty span.</returns>
    TokenizedText Encode(ReadOnlySpan<char> text, bool addSpecialTokens = true);

    /// <summary>Encodes <paramref name="text"/> into ids only, appending them to <paramref name="ids"/> (the allocation-light path).</summary>
    /// <returns>The number of ids appended.</returns>
    int EncodeToIds(ReadOnlySpan<char> text, List<int> ids, bool addSpecialTokens = true);

    /// <summary>The vocabulary string of <paramref name="id"/>, or <see langword="null"/> when the id is out of range.</summary>
    string? IdToToken(int id);

    /// <summary>Decodes ids back to text (special tokens skipped when <paramref name="skipSpecialTokens"/>).</summary>
    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true);
}
