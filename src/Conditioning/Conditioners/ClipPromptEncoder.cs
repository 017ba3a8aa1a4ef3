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

    /// <summary>
    /// Encodes every part and schedule entry of <paramref name="prompt"/>. Returns, per part, (end step, text); the
    /// pooled outputs of each text are those of the dialect's pooled source.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyList<(int EndAtStep, EncodedText Text)>>> EncodeAsync(
        WeightedPrompt prompt, ClipLayerSelection layer, WeightingMode weighting, CancellationToken cancellationToken)
    {
        (float[]? pooler, float[]? embeds) = await PooledAsync(prompt, cancellationToken);
        EncodedText? empty = null;
        var result = new List<IReadOnlyList<(int, EncodedText)>>();
        foreach (WeightedPromptPart part in prompt.Parts)
        {
            int chunkCount = Math.Max(1, part.Schedule.Max(s => s.Chunks.Count));
            var ids = new List<int[]>();
            var weights = new List<double[]>();
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

            ClipTextEncoding encoded = await Encoder.EncodeAsync(ids, layer, cancellationToken);
            int tokens = encoded.Sequence.Shape[1], width = encoded.Sequence.Shape[2];
            float[] z = encoded.Sequence.Span.ToArray();
            if (weights.Any(w => w.Any(x => x != 1.0)))
            {
                if (weighting == WeightingMode.LerpFromEmpty) empty ??= await EncodeEmptyAsync(layer, cancellationToken);
                ApplyWeights(z, weights, part.Schedule.Count, chunkCount, tokens, width, weighting, empty?.Sequence);
            }

            var entries = new List<(int, EncodedText)>();
            int perEntry = chunkCount * tokens * width;
            for (int s = 0; s < part.Schedule.Count; s++)
            {
                float[] sequence = z.AsSpan(s * perEntry, perEntry).ToArray();
                float[]? entryPooler = pooler ?? Row(encoded.PoolerOutput, s * chunkCount);
                float[]? entryEmbeds = embeds ?? Row(encoded.TextEmbeds, s * chunkCount);
                entries.Add((part.Schedule[s].EndAtStep, new EncodedText(sequence, chunkCount * tokens, width, entryPooler, entryEmbeds)));
            }

            result.Add(entries);
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

    private async Task<(float[]? Pooler, float[]? Embeds)> PooledAsync(WeightedPrompt prompt, CancellationToken cancellationToken)
    {
        if (prompt.PooledSource == PooledTextSource.FirstChunk) return (null, null);
        ClipTextEncoding e = await Encoder.EncodeAsync([[.. prompt.PooledIds]], ClipLayerSelection.Last, cancellationToken);
        return (e.PoolerOutput?.Span.ToArray(), e.TextEmbeds?.Span.ToArray());
    }

    private static float[]? Row(ModelTensor<float>? tensor, int row)
    {
        if (tensor is null) return null;
        int width = tensor.Shape[1];
        return tensor.Span.Slice(row * width, width).ToArray();
    }
}
