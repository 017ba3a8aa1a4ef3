using System.Numerics.Tensors;

namespace Conditioning.Weighting;

/// <summary>
/// How each tool applies per-token prompt weights to encoded hidden states. Pure functions over row-major float spans
/// with explicit shapes; they allocate nothing except where noted and are safe to call from many threads on distinct
/// buffers. Weights are given as doubles (as the parsers produce them) and applied as float32, as torch does.
/// </summary>
public static class PromptWeighting
{
    /// <summary>
    /// AUTOMATIC1111 emphasis "Original": <c>m = mean(z)</c> over the whole tensor (every sequence, position and channel
    /// encoded together), <c>z = z·w[token]</c>, then <c>z = z·(m / mean(z))</c>.
    /// </summary>
    /// <param name="z">The hidden states, modified in place.</param>
    /// <param name="shape">The shape of <paramref name="z"/>.</param>
    /// <param name="weights">One weight per position (<see cref="EmbeddingShape.Positions"/>).</param>
    /// <exception cref="ArgumentException">The spans do not match <paramref name="shape"/>.</exception>
    /// <remarks>If the weighted mean is 0 the result is inf/NaN, exactly as in webui.</remarks>
    public static void ApplyA1111Original(Span<float> z, EmbeddingShape shape, ReadOnlySpan<double> weights)
    {
        shape.Check(z.Length, weights.Length);
        float originalMean = TensorPrimitives.Sum<float>(z) / z.Length;
        ApplyA1111NoNorm(z, shape, weights);
        float newMean = TensorPrimitives.Sum<float>(z) / z.Length;
        TensorPrimitives.Multiply(z, originalMean / newMean, z);
    }

    /// <summary>AUTOMATIC1111 emphasis "No norm": <c>z = z·w[token]</c> (recommended by webui for SDXL).</summary>
    /// <param name="z">The hidden states, modified in place.</param>
    /// <param name="shape">The shape of <paramref name="z"/>.</param>
    /// <param name="weights">One weight per position.</param>
    /// <exception cref="ArgumentException">The spans do not match <paramref name="shape"/>.</exception>
    public static void ApplyA1111NoNorm(Span<float> z, EmbeddingShape shape, ReadOnlySpan<double> weights)
    {
        shape.Check(z.Length, weights.Length);
        int c = shape.Channels;
        for (int p = 0; p < weights.Length; p++)
        {
            if (weights[p] != 1.0)
            {
                Span<float> row = z.Slice(p * c, c);
                TensorPrimitives.Multiply(row, (float)weights[p], row);
            }
        }
    }

    /// <summary>
    /// ComfyUI and Compel: for every position whose weight is not 1, <c>z = (z − z_empty)·w + z_empty</c>, where
    /// <c>z_empty</c> is the encoding of the empty prompt (<c>[BOS, EOS, pad…]</c>) at the same position. Positions
    /// with weight exactly 1 keep <paramref name="z"/> bit for bit. No mean renormalisation.
    /// </summary>
    /// <param name="z">The hidden states, modified in place.</param>
    /// <param name="shape">The shape of <paramref name="z"/>.</param>
    /// <param name="weights">One weight per position.</param>
    /// <param name="emptyZ">The empty prompt's hidden states, <c>Tokens × Channels</c> (shared by every sequence).</param>
    /// <exception cref="ArgumentException">The spans do not match <paramref name="shape"/>.</exception>
    public static void LerpFromEmpty(Span<float> z, EmbeddingShape shape, ReadOnlySpan<double> weights, ReadOnlySpan<float> emptyZ)
    {
        shape.Check(z.Length, weights.Length);
        int c = shape.Channels;
        if (emptyZ.Length != shape.Tokens * c)
        {
            throw new ArgumentException($"The empty-prompt encoding holds {emptyZ.Length} floats but needs Tokens × Channels = {shape.Tokens * c}.", nameof(emptyZ));
        }

        for (int p = 0; p < weights.Length; p++)
        {
            if (weights[p] == 1.0)
            {
                continue;
            }

            Span<float> row = z.Slice(p * c, c);
            ReadOnlySpan<float> empty = emptyZ.Slice(p % shape.Tokens * c, c);
            TensorPrimitives.Subtract(row, empty, row);
            TensorPrimitives.Multiply(row, (float)weights[p], row);
            TensorPrimitives.Add(row, empty, row);
        }
    }

    /// <summary>
    /// Compel's lerp weight for the "fragment masked out" encoding of a fragment with weight <paramref name="weight"/> &lt; 1:
    /// <c>tan((1 − max(1e-5, w))·π/2)</c> (0.5 → 1, 0.1 → ≈6.31, 0 → ≈1.6e5).
    /// </summary>
    /// <param name="weight">The fragment weight.</param>
    /// <returns>The lerp weight (0 for weight 1).</returns>
    public static double CompelDownweightLerpWeight(double weight) => Math.Tan((1.0 - Math.Max(1e-5, weight)) * Math.PI / 2);

    /// <summary>
    /// Compel (default <c>DownweightMode.MASK</c>) for one chunk: the base encoding lerped from empty
    /// (<see cref="LerpFromEmpty"/>), blended with, for every fragment of weight &lt; 1, an encoding of the same tokens
    /// and weights with that fragment's positions masked out, as <c>Σ (lᵢ / Σl)·Eᵢ</c> with l₀ = 1 and
    /// <see cref="CompelDownweightLerpWeight"/> for the others.
    /// </summary>
    /// <param name="ids">The chunk's ids (BOS, content, EOS, padding).</param>
    /// <param name="weights">One weight per id.</param>
    /// <param name="fragments">The content range and weight of each fragment in the chunk (positions into <paramref name="ids"/>).</param>
    /// <param name="emptyZ">The empty prompt's hidden states, <c>Tokens × Channels</c>.</param>
    /// <param name="channels">Values per position.</param>
    /// <param name="encoder">Encodes ids with an attention mask (padding positions attend: mask 1).</param>
    /// <returns>The weighted hidden states, <c>Tokens × Channels</c> (a new array).</returns>
    /// <exception cref="ArgumentException">The lengths do not match.</exception>
    public static float[] ApplyCompel(
        ReadOnlySpan<int> ids, ReadOnlySpan<double> weights, IReadOnlyList<(int Start, int Length, double Weight)> fragments, ReadOnlySpan<float> emptyZ, int channels, CompelEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(fragments);
        ArgumentNullException.ThrowIfNull(encoder);
        var shape = new EmbeddingShape(1, ids.Length, channels);
        if (weights.Length != ids.Length)
        {
            throw new ArgumentException($"There are {weights.Length} weights for {ids.Length} ids; pass one weight per id.", nameof(weights));
        }

        float[] mask = new float[ids.Length];
        Array.Fill(mask, 1f);
        float[] result = Encode(ids, mask, shape, weights, emptyZ, encoder);

        var extra = new List<(float[] Embedding, double Lerp)>();
        foreach ((int start, int length, double w) in fragments)
        {
            if (w >= 1)
            {
                continue;
            }

            float[] masked = (float[])mask.Clone();
            masked.AsSpan(start, length).Clear();
            extra.Add((Encode(ids, masked, shape, weights, emptyZ, encoder), CompelDownweightLerpWeight(w)));
        }

        BlendDownweighted(result, extra);
        return result;
    }

    /// <summary>
    /// Compel's blend of a base encoding with the encodings made without each down-weighted fragment
    /// (<c>apply_embedding_weights(normalize=True)</c>): <c>(E_base + Σ lᵢ·Eᵢ) / (1 + Σ lᵢ)</c>, the weights divided by
    /// their sum in float32, with lᵢ from <see cref="CompelDownweightLerpWeight"/>.
    /// </summary>
    /// <param name="baseZ">The base encoding, replaced by the blend.</param>
    /// <param name="without">Each encoding without one fragment (same length as <paramref name="baseZ"/>) and its lerp weight.</param>
    /// <exception cref="ArgumentException">An encoding's length differs from <paramref name="baseZ"/>'s.</exception>
    public static void BlendDownweighted(Span<float> baseZ, IReadOnlyList<(float[] Embedding, double Lerp)> without)
    {
        ArgumentNullException.ThrowIfNull(without);
        if (without.Count == 0) return;
        float total = 1f;
        foreach ((float[] e, double l) in without)
        {
            if (e.Length != baseZ.Length) throw new ArgumentException($"An encoding without a fragment holds {e.Length} floats; the base holds {baseZ.Length}.", nameof(without));
            total += (float)l;
        }

        TensorPrimitives.Multiply(baseZ, 1f / total, baseZ);
        foreach ((float[] e, double l) in without)
        {
            TensorPrimitives.MultiplyAdd(e, (float)l / total, baseZ, baseZ);
        }
    }

    private static float[] Encode(ReadOnlySpan<int> ids, float[] mask, EmbeddingShape shape, ReadOnlySpan<double> weights, ReadOnlySpan<float> emptyZ, CompelEncoder encoder)
    {
        float[] z = encoder(ids, mask);
        if (z.Length != shape.Length)
        {
            throw new ArgumentException($"The encoder returned {z.Length} floats but {shape.Tokens} tokens × {shape.Channels} channels = {shape.Length} were expected.");
        }

        LerpFromEmpty(z, shape, weights, emptyZ);
        return z;
    }
}
