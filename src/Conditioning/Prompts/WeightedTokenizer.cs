using Conditioning.Tokenizers;

namespace Conditioning.Prompts;

/// <summary>
/// Turns a <see cref="ParsedPrompt"/> into a <see cref="WeightedPrompt"/>: each fragment is tokenized on its own and
/// chunked the way the prompt's dialect does (AUTOMATIC1111 75 + comma backtracking + BREAK; ComfyUI 77 with group
/// moves; Compel truncate or split). A tokenizer without BOS (T5) gets one weighted sequence instead.
/// </summary>
/// <remarks>Immutable and thread-safe when the tokenizer is (the library's tokenizers are).</remarks>
public sealed class WeightedTokenizer
{
    private readonly int _commaId;

    /// <summary>Creates a weighted tokenizer.</summary>
    /// <param name="tokenizer">The text tokenizer of the encoder.</param>
    /// <param name="options">The options; null for the defaults.</param>
    public WeightedTokenizer(ITextTokenizer tokenizer, WeightedTokenizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Tokenizer = tokenizer;
        Options = options ?? new WeightedTokenizerOptions();
        IReadOnlyList<int> comma = tokenizer.Encode(",", addSpecialTokens: false).Ids;
        _commaId = comma.Count == 1 ? comma[0] : -1;
    }

    /// <summary>The underlying tokenizer.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>The options in use.</summary>
    public WeightedTokenizerOptions Options { get; }

    /// <summary>Tokenizes and chunks <paramref name="prompt"/>.</summary>
    /// <param name="prompt">A parsed prompt.</param>
    /// <returns>The weighted prompt.</returns>
    public WeightedPrompt Tokenize(ParsedPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var parts = new List<WeightedPromptPart>(prompt.Parts.Count);
        foreach (PromptPart part in prompt.Parts)
        {
            var steps = new List<WeightedPromptStep>(part.Schedule.Count);
            foreach (PromptScheduleEntry entry in part.Schedule)
            {
                (IReadOnlyList<PromptChunk> chunks, int count) = Chunk(prompt.Dialect, entry.Fragments);
                steps.Add(new WeightedPromptStep(entry.EndAtStep, entry.Text, chunks, count));
            }

            IReadOnlyList<IReadOnlyList<PromptChunk>>? blendChunks = part.Blend?.Prompts.Select(p => Chunk(prompt.Dialect, p).Chunks).ToList();
            parts.Add(new WeightedPromptPart(part.Weight, steps, part.Blend, blendChunks));
        }

        PooledTextSource source = prompt.Dialect == PromptDialect.Compel ? Options.CompelPooledSource : PooledTextSource.FirstChunk;
        ParsedPrompt pooledFrom = prompt.PooledFrom ?? prompt;
        string? pooledText = source switch
        {
            PooledTextSource.RawPrompt => pooledFrom.Text,
            PooledTextSource.JoinedFragments => string.Join(' ', pooledFrom.Parts.SelectMany(p => p.Blend is null ? p.Fragments : p.Blend.Prompts.SelectMany(x => x)).Select(f => f.Text)),
            _ => null,
        };

        IReadOnlyList<int> pooledIds;
        if (pooledText is not null)
        {
            pooledIds = Tokenizer.EncodeToFixedLength(pooledText).Ids;
        }
        else
        {
            WeightedPromptPart? first = parts.FirstOrDefault();
            pooledIds = first is not null && first.Schedule[0].Chunks.Count > 0
                ? first.Schedule[0].Chunks[0].Ids
                : Tokenizer.EncodeToFixedLength(string.Empty).Ids;
        }

        return new WeightedPrompt(prompt.Dialect, prompt.Conjunction, parts, source, pooledText, pooledIds);
    }

    private (IReadOnlyList<PromptChunk> Chunks, int TokenCount) Chunk(PromptDialect dialect, IReadOnlyList<PromptFragment> fragments)
    {
        IReadOnlyList<WeightedSegment> segments = PromptChunking.Segment(fragments, t => Tokenizer.Encode(t, addSpecialTokens: false).Ids);
        if (Tokenizer.BosId is not int bos)
        {
            PromptChunk t5 = PromptChunking.ChunkT5(segments, Tokenizer.EosId, Tokenizer.PadId, Options.T5MaxLength ?? Tokenizer.ModelMaxLength, Options.T5MinLength);
            return ([t5], segments.Sum(s => s.Ids.Count));
        }

        int content = segments.Sum(s => s.Ids.Count);
        switch (dialect)
        {
            case PromptDialect.A1111:
                return PromptChunking.ChunkA1111(segments, bos, Tokenizer.EosId, _commaId, Options.CommaPaddingBacktrack, Tokenizer.PadId, Tokenizer.ModelMaxLength - 2);
            case PromptDialect.ComfyUI:
                return (PromptChunking.ChunkComfy(segments, bos, Tokenizer.EosId, Tokenizer.PadId, Tokenizer.ModelMaxLength), content);
            default:
                return (PromptChunking.ChunkCompel(segments, bos, Tokenizer.EosId, Tokenizer.PadId, Options.CompelTruncateLongPrompts, Tokenizer.ModelMaxLength, Tokenizer.IdToToken), content);
        }
    }
}
