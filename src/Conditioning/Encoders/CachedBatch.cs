using Conditioning.Onnx;

namespace Conditioning.Encoders;

/// <summary>
/// Runs a batch encoder through an <see cref="EmbeddingCache"/>: cached sequences are reused, the rest are encoded
/// in one batch, split per sequence, stored, and everything is re-joined in the caller's order.
/// </summary>
internal static class CachedBatch
{
    /// <summary>Encodes <paramref name="sequences"/>; each output of <paramref name="encode"/> is batch-first.</summary>
    public static async Task<ModelTensor<float>[]> EncodeAsync(
        IReadOnlyList<int[]> sequences,
        EmbeddingCache? cache,
        string model,
        string variant,
        Func<IReadOnlyList<int[]>, Task<ModelTensor<float>[]>> encode)
    {
        if (cache is null) return await encode(sequences);
        var keys = sequences.Select(s => new EmbeddingCacheKey(model, variant, s)).ToArray();
        var found = new ModelTensor<float>[sequences.Count][];
        var missing = new List<int>();
        for (int i = 0; i < keys.Length; i++)
        {
            if (!cache.TryGet(keys[i], out found[i])) missing.Add(i);
        }

        if (missing.Count > 0)
        {
            ModelTensor<float>[] fresh = await encode([.. missing.Select(i => sequences[i])]);
            for (int m = 0; m < missing.Count; m++)
            {
                ModelTensor<float>[] entry = [.. fresh.Select(t => BatchTensors.Slice(t, m))];
                cache.Set(keys[missing[m]], entry);
                found[missing[m]] = entry;
            }
        }

        int outputs = found[0].Length;
        return [.. Enumerable.Range(0, outputs).Select(o => BatchTensors.Concat([.. found.Select(f => f[o])]))];
    }
}
