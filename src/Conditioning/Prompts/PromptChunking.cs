namespace Conditioning.Prompts;

/// <summary>
/// Splits weighted token sequences into encoder-sized chunks the way each tool does. All methods are pure and
/// thread-safe.
/// </summary>
public static class PromptChunking
{
    /// <summary>
    /// Turns parsed fragments into <see cref="WeightedSegment"/>s by tokenizing each fragment on its own (no special
    /// tokens), as A1111, ComfyUI and Compel do. Break fragments become <see cref="WeightedSegment.Break"/>; swap
    /// fragments contribute their original fragments.
    /// </summary>
    /// <param name="fragments">The fragments.</param>
    /// <param name="tokenize">Text to ids without special tokens.</param>
    /// <returns>The segments in order.</returns>
    public static IReadOnlyList<WeightedSegment> Segment(IEnumerable<PromptFragment> fragments, Func<string, IReadOnlyList<int>> tokenize)
    {
        ArgumentNullException.ThrowIfNull(fragments);
        ArgumentNullException.ThrowIfNull(tokenize);
        var result = new List<WeightedSegment>();
        foreach (PromptFragment f in fragments)
        {
            switch (f.Kind)
            {
                case PromptFragmentKind.Break:
                    result.Add(WeightedSegment.Break);
                    break;
                case PromptFragmentKind.Swap:
                    result.AddRange(Segment(f.Swap!.Original, tokenize));
                    break;
                default:
                    result.Add(new WeightedSegment(tokenize(f.Text), f.Weight));
                    break;
            }
        }

        return result;
    }

    /// <summary>
    /// AUTOMATIC1111 <c>tokenize_line</c>: chunks of 75 content tokens wrapped as <c>[BOS] 75 [EOS]</c> and padded
    /// with EOS; a BREAK closes the chunk; when a chunk is full and a comma was seen within the last
    /// <paramref name="commaPaddingBacktrack"/> tokens, the tokens after the comma move to the next chunk.
    /// </summary>
    /// <param name="segments">The weighted segments.</param>
    /// <param name="bosId">The start id (49406 for CLIP).</param>
    /// <param name="eosId">The end id, also used for padding (49407 for CLIP).</param>
    /// <param name="commaId">The id of the comma token (<c>,&lt;/w&gt;</c> = 267 for CLIP).</param>
    /// <param name="commaPaddingBacktrack">webui's <c>comma_padding_backtrack</c> (default 20; 0 disables).</param>
    /// <param name="padId">When different from <paramref name="eosId"/> (SD2, OpenCLIP-G), every position after the first EOS becomes this id, as <c>process_tokens</c> does.</param>
    /// <param name="chunkLength">Content tokens per chunk (75).</param>
    /// <returns>The chunks (at least one) and webui's <c>token_count</c>.</returns>
    public static (IReadOnlyList<PromptChunk> Chunks, int TokenCount) ChunkA1111(
        IReadOnlyList<WeightedSegment> segments, int bosId, int eosId, int commaId, int commaPaddingBacktrack = 20, int? padId = null, int chunkLength = 75)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkLength, 1);
        var chunks = new List<PromptChunk>();
        var ids = new List<int>(chunkLength);
        var weights = new List<double>(chunkLength);
        int tokenCount = 0;
        int lastComma = -1;

        void NextChunk(bool isLast)
        {
            tokenCount += isLast ? ids.Count : chunkLength;
            int n = chunkLength + 2;
            var chunkIds = new int[n];
            var chunkWeights = new double[n];
            chunkIds[0] = bosId;
            chunkWeights[0] = 1.0;
            for (int i = 0; i < ids.Count; i++)
            {
                chunkIds[i + 1] = ids[i];
                chunkWeights[i + 1] = weights[i];
            }

            for (int i = ids.Count + 1; i < n; i++)
            {
                chunkIds[i] = eosId;
                chunkWeights[i] = 1.0;
            }

            if (padId is int pad && pad != eosId)
            {
                int firstEos = Array.IndexOf(chunkIds, eosId, 1);
                for (int i = firstEos + 1; i < n; i++) chunkIds[i] = pad;
            }

            chunks.Add(new PromptChunk(chunkIds, chunkWeights));
            ids.Clear();
            weights.Clear();
            lastComma = -1;
        }

        foreach (WeightedSegment segment in segments)
        {
            if (segment.IsBreak)
            {
                NextChunk(false);
                continue;
            }

            foreach (int token in segment.Ids)
            {
                if (token == commaId)
                {
                    lastComma = ids.Count;
                }
                else if (commaPaddingBacktrack != 0 && ids.Count == chunkLength && lastComma != -1 && ids.Count - lastComma <= commaPaddingBacktrack)
                {
                    int breakLocation = lastComma + 1;
                    List<int> relocIds = ids.GetRange(breakLocation, ids.Count - breakLocation);
                    List<double> relocWeights = weights.GetRange(breakLocation, weights.Count - breakLocation);
                    ids.RemoveRange(breakLocation, ids.Count - breakLocation);
                    weights.RemoveRange(breakLocation, weights.Count - breakLocation);
                    NextChunk(false);
                    ids.AddRange(relocIds);
                    weights.AddRange(relocWeights);
                }

                if (ids.Count == chunkLength)
                {
                    NextChunk(false);
                }

                ids.Add(token);
                weights.Add(segment.Weight);
            }
        }

        if (ids.Count > 0 || chunks.Count == 0)
        {
            NextChunk(true);
        }

        return (chunks, tokenCount);
    }

    /// <summary>
    /// ComfyUI <c>SDTokenizer.tokenize_with_weights</c> batching: chunks of <paramref name="maxLength"/> including
    /// BOS and EOS; a segment that does not fit is split at the boundary when it has at least
    /// <paramref name="maxWordLength"/> tokens, otherwise moved whole to the next chunk. No comma backtracking, no BREAK.
    /// </summary>
    /// <param name="segments">The weighted segments (breaks are ignored).</param>
    /// <param name="bosId">The start id.</param>
    /// <param name="eosId">The end id.</param>
    /// <param name="padId">The padding id (CLIP-L pads with EOS, CLIP-G with 0).</param>
    /// <param name="maxLength">The chunk length including BOS and EOS (77).</param>
    /// <param name="maxWordLength">Groups at least this long are split instead of moved (8).</param>
    /// <returns>The chunks (at least one).</returns>
    public static IReadOnlyList<PromptChunk> ChunkComfy(IReadOnlyList<WeightedSegment> segments, int bosId, int eosId, int padId, int maxLength = 77, int maxWordLength = 8)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 3);
        var chunks = new List<(List<int> Ids, List<double> Weights)>();
        var batch = (Ids: new List<int> { bosId }, Weights: new List<double> { 1.0 });
        chunks.Add(batch);
        foreach (WeightedSegment segment in segments)
        {
            if (segment.IsBreak || segment.Ids.Count == 0) continue;
            bool isLarge = segment.Ids.Count >= maxWordLength;
            int offset = 0;
            while (offset < segment.Ids.Count)
            {
                int left = segment.Ids.Count - offset;
                if (left + batch.Ids.Count > maxLength - 1)
                {
                    int remaining = maxLength - batch.Ids.Count - 1;
                    if (isLarge)
                    {
                        for (int i = 0; i < remaining; i++)
                        {
                            batch.Ids.Add(segment.Ids[offset + i]);
                            batch.Weights.Add(segment.Weight);
                        }

                        batch.Ids.Add(eosId);
                        batch.Weights.Add(1.0);
                        offset += remaining;
                    }
                    else
                    {
                        batch.Ids.Add(eosId);
                        batch.Weights.Add(1.0);
                        for (int i = 0; i < remaining; i++)
                        {
                            batch.Ids.Add(padId);
                            batch.Weights.Add(1.0);
                        }
                    }

                    batch = (new List<int> { bosId }, new List<double> { 1.0 });
                    chunks.Add(batch);
                }
                else
                {
                    for (int i = offset; i < segment.Ids.Count; i++)
                    {
                        batch.Ids.Add(segment.Ids[i]);
                        batch.Weights.Add(segment.Weight);
                    }

                    offset = segment.Ids.Count;
                }
            }
        }

        batch.Ids.Add(eosId);
        batch.Weights.Add(1.0);
        while (batch.Ids.Count < maxLength)
        {
            batch.Ids.Add(padId);
            batch.Weights.Add(1.0);
        }

        return chunks.Select(c => new PromptChunk([.. c.Ids], [.. c.Weights])).ToList();
    }

    /// <summary>
    /// Compel's chunking: by default (<paramref name="truncate"/>) the content is cut to <c>maxLength − 2</c> tokens and
    /// wrapped as one <c>[BOS] … [EOS] pad…</c> chunk; otherwise it is split every <c>maxLength − 2</c> tokens into as
    /// many chunks as needed (Compel's hard-split fallback; its sentence-aware split modes are not reproduced).
    /// </summary>
    /// <param name="segments">The weighted segments (breaks are ignored).</param>
    /// <param name="bosId">The start id.</param>
    /// <param name="eosId">The end id.</param>
    /// <param name="padId">The padding id.</param>
    /// <param name="truncate">Compel's <c>truncate_long_prompts</c> (default true).</param>
    /// <param name="maxLength">The chunk length including BOS and EOS (77).</param>
    /// <param name="tokenText">The vocabulary string of an id. When given and <paramref name="truncate"/> is false, chunks end as Compel's
    /// default <c>SENTENCES</c> mode ends them: at the last <c>.&lt;/w&gt;</c> within the chunk, else the last of <c>. , ; :</c>, else the
    /// last word end (<c>&lt;/w&gt;</c>), else a hard split. Without it, long prompts split every 75 tokens.</param>
    /// <returns>The chunks (at least one).</returns>
    public static IReadOnlyList<PromptChunk> ChunkCompel(IReadOnlyList<WeightedSegment> segments, int bosId, int eosId, int padId, bool truncate = true, int maxLength = 77, Func<int, string?>? tokenText = null)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 3);
        var ids = new List<int>();
        var weights = new List<double>();
        foreach (WeightedSegment s in segments)
        {
            if (s.IsBreak) continue;
            ids.AddRange(s.Ids);
            weights.AddRange(Enumerable.Repeat(s.Weight, s.Ids.Count));
        }

        int content = maxLength - 2;
        var chunks = new List<PromptChunk>();
        int start = 0;
        do
        {
            int count = Math.Min(content, ids.Count - start);
            if (!truncate && tokenText is not null && ids.Count - start > content) count = SentenceSplit(ids, start, content, tokenText);
            var chunkIds = new int[maxLength];
            var chunkWeights = new double[maxLength];
            Array.Fill(chunkWeights, 1.0);
            chunkIds[0] = bosId;
            for (int i = 0; i < count; i++)
            {
                chunkIds[i + 1] = ids[start + i];
                chunkWeights[i + 1] = weights[start + i];
            }

            chunkIds[count + 1] = eosId;
            for (int i = count + 2; i < maxLength; i++) chunkIds[i] = padId;
            chunks.Add(new PromptChunk(chunkIds, chunkWeights));
            start += count;
        }
        while (!truncate && start < ids.Count);

        return chunks;
    }

    /// <summary>
    /// One unchunked T5 sequence as ComfyUI (Flux, SD3) and Compel use it: content ids, EOS appended, truncated to
    /// <paramref name="maxLength"/> (keeping EOS last) and padded to <paramref name="minLength"/>. No BOS; breaks ignored.
    /// </summary>
    /// <param name="segments">The weighted segments.</param>
    /// <param name="eosId">The end id (1 for T5).</param>
    /// <param name="padId">The padding id (0 for T5).</param>
    /// <param name="maxLength">The longest sequence (for example 512 for Flux dev, 256 for schnell).</param>
    /// <param name="minLength">Pad up to this length (ComfyUI Flux: 256, SD3: 77); 0 for none.</param>
    /// <returns>The single chunk.</returns>
    public static PromptChunk ChunkT5(IReadOnlyList<WeightedSegment> segments, int eosId, int padId, int maxLength = 512, int minLength = 0)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var ids = new List<int>();
        var weights = new List<double>();
        foreach (WeightedSegment s in segments)
        {
            if (s.IsBreak) continue;
            ids.AddRange(s.Ids);
            weights.AddRange(Enumerable.Repeat(s.Weight, s.Ids.Count));
        }

        if (ids.Count > maxLength - 1)
        {
            ids.RemoveRange(maxLength - 1, ids.Count - (maxLength - 1));
            weights.RemoveRange(maxLength - 1, weights.Count - (maxLength - 1));
        }

        ids.Add(eosId);
        weights.Add(1.0);
        while (ids.Count < minLength)
        {
            ids.Add(padId);
            weights.Add(1.0);
        }

        return new PromptChunk([.. ids], [.. weights]);
    }

    /// <summary>Compel's SENTENCES split: how many of the next tokens form the chunk.</summary>
    private static int SentenceSplit(List<int> ids, int start, int content, Func<int, string?> tokenText)
    {
        int Last(Func<string, bool> accept)
        {
            for (int j = start + content - 1; j >= start; j--)
            {
                if (tokenText(ids[j]) is { } t && accept(t)) return j - start + 1;
            }

            return 0;
        }

        int sentence = Last(t => t == ".</w>");
        if (sentence > 0) return sentence;
        int phrase = Last(t => t is ".</w>" or ",</w>" or ";</w>" or ":</w>");
        if (phrase > 0) return phrase;
        int word = Last(t => t.EndsWith("</w>", StringComparison.Ordinal));
        return word > 0 ? word : content;
    }
}
