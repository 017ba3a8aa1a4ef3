using Conditioning.Encoders;
using Conditioning.Onnx;
using Conditioning.Prompts;
using Conditioning.Tokenizers;
using Conditioning.Weighting;

namespace Conditioning.Conditioners;

/// <summary>
/// The machinery every CLIP-based conditioner shares: a <see cref="WeightedPrompt"/> in, per AND part and per
/// schedule entry the weighted, chunk-concatenated sequence and the pooled outputs out. All chunks of a part's
/// schedule are encoded in one batch (so A1111's emphasis mean covers the same tensor webui's does), shorter entries
/// are padded with the empty chunk, and the pooled embedding comes from where the dialect says.
/// </summary>
/// <remarks>Thread-safe (stateless over thread-safe encoders).</remarks>
internal sealed class ClipPromptEncoder
{
    public ClipPromptEncoder(ClipTextEncoder encoder, ClipTokenizer tokenizer)
    {
        Encoder = encoder;
        Tokenizer = tokenizer;
        Weighted = new WeightedTokenizer(tokenizer);
    }

    public ClipTextEncoder Encoder { get; }

    public ClipTokenizer Tokenizer { get; }

    public WeightedTokenizer Weighted { get; }

    /// <summary>[BOS, EOS, pad…] as the tools' "empty chunk" / "empty tokens".</summary>
    public int[] EmptyChunkIds => Tokenizer.EncodeToFixedLength(string.Empty).Ids;

    /// <summary>Encodes the empty chunk with <paramref name="layer"/>: [77, width] plus pooled outputs.</summary>
    public async Task<EncodedText> EncodeEmptyAsync(ClipLayerSelection layer, CancellationToken cancellationToken)
    {
        ClipTextEncoding e = await Encoder.EncodeAsync([EmptyChunkIds], layer, cancellationToken);
        int tokens = e.Sequence.Shape[1], width = e.Sequence.Shape[2];
        return new EncodedText(e.Sequence.Span.ToArray(), tokens, width, e.PoolerOutput?.Span.ToArray(), e.TextEmbeds?.Span.ToArray());
    }

    /// <summary>Encodes one prompt; see <see cref="EncodeManyAsync"/>.</summary>
    public async Task<IReadOnlyList<IReadOnlyList<(int EndAtStep, EncodedText Text)>>> EncodeAsync(
        WeightedPrompt prompt, ClipLayerSelection layer, WeightingMode weighting, CancellationToken cancellationToken) =>
        (await EncodeManyAsync([prompt], layer, weighting, cancellationToken))[0];

    /// <summary>
    /// Encodes every part and schedule entry of every prompt (typically the prompt and its negative) in one encoder
    /// batch. Returns, per prompt and part, (end step, text); the pooled outputs of each text are those of the
    /// dialect's pooled source. Weights are applied per part, over the same tensor webui's emphasis sees.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyList<IReadOnlyList<(int EndAtStep, EncodedText Text)>>>> EncodeManyAsync(
        IReadOnlyList<WeightedPrompt> prompts, ClipLayerSelection layer, WeightingMode weighting, CancellationToken cancellationToken)
    {
        // Gather the chunks of every part of every prompt, plus the separately pooled texts, into one batch.
        var ids = new List<int[]>();
        var weights = new List<double[]>();
        var groups = new List<(int Prompt, WeightedPromptPart Part, int Start, int ChunkCount)>();
        var pooledRows = new int?[prompts.Count];
        for (int p = 0; p < prompts.Count; p++)
        {
            foreach (WeightedPromptPart part in prompts[p].Parts)
            {
                int chunkCount = Math.Max(1, part.Schedule.Max(s => s.Chunks.Count));
                groups.Add((p, part, ids.Count, chunkCount));
                foreach (WeightedPromptStep step in part.Schedule)
                {
                    for (int c = 0; c < chunkCount; c++)
                    {
                        if (c < step.Chunks.Count)
                        {
                            ids.Add(step.Chunks[c].Ids);
                            weights.Add(step.Chunks[c].Weights);
                        }
                        else
                        {
                            // webui fills missing chunks with empty ones so every text of a batch has the same count.
                            int[] e = EmptyChunkIds;
                            ids.Add(e);
                            weights.Add(Enumerable.Repeat(1.0, e.Length).ToArray());
                        }
                    }
                }
            }

            if (prompts[p].PooledSource != PooledTextSource.FirstChunk)
            {
                pooledRows[p] = ids.Count;
                ids.Add([.. prompts[p].PooledIds]);
                weights.Add(Enumerable.Repeat(1.0, prompts[p].PooledIds.Count).ToArray());
            }
        }

        ClipTextEncoding encoded = await Encoder.EncodeAsync(ids, layer, cancellationToken);
        int tokens = encoded.Sequence.Shape[1], width = encoded.Sequence.Shape[2];
        float[] all = encoded.Sequence.Span.ToArray();
        int chunkSize = tokens * width;
        EncodedText? empty = null;
        var result = prompts.Select(_ => new List<IReadOnlyList<(int, EncodedText)>>()).ToArray();
        foreach ((int p, WeightedPromptPart part, int start, int chunkCount) in groups)
        {
            int rows = part.Schedule.Count * chunkCount;
            float[] z = all.AsSpan(start * chunkSize, rows * chunkSize).ToArray();
            List<double[]> partWeights = weights.GetRange(start, rows);
            if (partWeights.Any(w => w.Any(x => x != 1.0)))
            {
                if (weighting == WeightingMode.LerpFromEmpty) empty ??= await EncodeEmptyAsync(layer, cancellationToken);
                ApplyWeights(z, partWeights, part.Schedule.Count, chunkCount, tokens, width, weighting, empty?.Sequence);
            }

            // The pooled embedding comes from the text's first chunk, or from the separately encoded pooled text.
            var entries = new List<(int, EncodedText)>();
            int perEntry = chunkCount * chunkSize;
            for (int s = 0; s < part.Schedule.Count; s++)
            {
                int pooledRow = pooledRows[p] ?? start + (s * chunkCount);
                entries.Add((part.Schedule[s].EndAtStep, new EncodedText(
                    z.AsSpan(s * perEntry, perEntry).ToArray(), chunkCount * tokens, width, Row(encoded.PoolerOutput, pooledRow), Row(encoded.TextEmbeds, pooledRow))));
            }

            result[p].Add(entries);
        }

        return result;
    }

    private static void ApplyWeights(float[] z, List<double[]> weights, int entries, int chunkCount, int tokens, int width, WeightingMode mode, float[]? emptyZ)
    {
        int chunkSize = tokens * width;
        switch (mode)
        {
            case WeightingMode.A1111Original:
                // webui encodes chunk i of every scheduled text of a prompt together; the mean is over that tensor.
                for (int c = 0; c < chunkCount; c++)
                {
                    var batch = new float[entries * chunkSize];
                    var w = new double[entries * tokens];
                    for (int e = 0; e < entries; e++)
                    {
                        z.AsSpan(((e * chunkCount) + c) * chunkSize, chunkSize).CopyTo(batch.AsSpan(e * chunkSize));
                        weights[(e * chunkCount) + c].CopyTo(w, e * tokens);
                    }

                    PromptWeighting.ApplyA1111Original(batch, new EmbeddingShape(entries, tokens, width), w);
                    for (int e = 0; e < entries; e++) batch.AsSpan(e * chunkSize, chunkSize).CopyTo(z.AsSpan(((e * chunkCount) + c) * chunkSize));
                }

                break;
            case WeightingMode.A1111NoNorm:
                for (int i = 0; i < weights.Count; i++) PromptWeighting.ApplyA1111NoNorm(z.AsSpan(i * chunkSize, chunkSize), new EmbeddingShape(1, tokens, width), weights[i]);
                break;
            default:
                for (int i = 0; i < weights.Count; i++) PromptWeighting.LerpFromEmpty(z.AsSpan(i * chunkSize, chunkSize), new EmbeddingShape(1, tokens, width), weights[i], emptyZ);
                break;
        }
    }

    private static float[]? Row(ModelTensor<float>? tensor, int row)
    {
        if (tensor is null) return null;
        int width = tensor.Shape[1];
        return tensor.Span.Slice(row * width, width).ToArray();
    }
}
