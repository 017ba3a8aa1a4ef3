using System.Numerics.Tensors;

namespace Conditioning.Scoring;

/// <summary>
/// A batch of L2-normalised CLIP embeddings: <see cref="Count"/> rows of <see cref="Dimension"/> floats, row-major.
/// Because every row has unit length, the dot product of two rows is their cosine similarity.
/// </summary>
/// <remarks>Immutable and thread-safe. Rows whose raw length is 0 stay all-zero (cosine 0 with everything).</remarks>
public sealed class ClipEmbeddings
{
    private readonly float[] _data;

    private ClipEmbeddings(float[] data, int count, int dimension)
    {
        _data = data;
        Count = count;
        Dimension = dimension;
    }

    /// <summary>The number of embeddings (rows).</summary>
    public int Count { get; }

    /// <summary>The length of each embedding (the model's projection size).</summary>
    public int Dimension { get; }

    /// <summary>All rows, row-major: <c>[Count, Dimension]</c>.</summary>
    public ReadOnlyMemory<float> Data => _data;

    /// <summary>Embedding <paramref name="index"/>, of unit length.</summary>
    /// <param name="index">0 ≤ index &lt; <see cref="Count"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public ReadOnlySpan<float> this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return _data.AsSpan(index * Dimension, Dimension);
        }
    }

    /// <summary>Normalises raw embeddings (a copy is made; the input is not changed).</summary>
    /// <param name="raw">Row-major <c>[count, dimension]</c> values, e.g. a model's <c>text_embeds</c>.</param>
    /// <param name="count">The number of rows.</param>
    /// <param name="dimension">The row length.</param>
    /// <returns>The rows divided by their L2 norms.</returns>
    /// <exception cref="ArgumentException">The length of <paramref name="raw"/> is not <c>count × dimension</c>, or a value is not finite.</exception>
    public static ClipEmbeddings Normalize(ReadOnlySpan<float> raw, int count, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (raw.Length != (long)count * dimension)
        {
            throw new ArgumentException($"Expected {count} × {dimension} = {(long)count * dimension} values, got {raw.Length}.", nameof(raw));
        }

        var data = new float[raw.Length];
        for (int r = 0; r < count; r++)
        {
            ReadOnlySpan<float> row = raw.Slice(r * dimension, dimension);
            float norm = TensorPrimitives.Norm(row);
            if (!float.IsFinite(norm)) throw new ArgumentException($"Embedding {r} holds a value that is not finite.", nameof(raw));
            if (norm > 0) TensorPrimitives.Divide(row, norm, data.AsSpan(r * dimension, dimension));
        }

        return new ClipEmbeddings(data, count, dimension);
    }

    /// <summary>Wraps rows that are already unit length (e.g. read back from a cache) without renormalising them.</summary>
    /// <param name="normalized">Row-major <c>[count, dimension]</c> values; copied.</param>
    /// <param name="count">The number of rows.</param>
    /// <param name="dimension">The row length.</param>
    /// <exception cref="ArgumentException">The length is not <c>count × dimension</c>.</exception>
    public static ClipEmbeddings FromNormalized(ReadOnlySpan<float> normalized, int count, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (normalized.Length != (long)count * dimension)
        {
            throw new ArgumentException($"Expected {count} × {dimension} = {(long)count * dimension} values, got {normalized.Length}.", nameof(normalized));
        }

        return new ClipEmbeddings(normalized.ToArray(), count, dimension);
    }

    /// <summary>Concatenates batches of the same dimension.</summary>
    /// <param name="parts">The batches, in order.</param>
    /// <exception cref="ArgumentException">The batches have different dimensions, or there are none.</exception>
    public static ClipEmbeddings Concat(IReadOnlyList<ClipEmbeddings> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("There are no batches to concatenate.", nameof(parts));
        if (parts.Count == 1) return parts[0];
        int dimension = parts[0].Dimension;
        if (parts.Any(p => p.Dimension != dimension)) throw new ArgumentException("The batches have different dimensions.", nameof(parts));
        return new ClipEmbeddings([.. parts.SelectMany(p => p._data)], parts.Sum(p => p.Count), dimension);
    }

    /// <summary>The cosine similarity of every row of this batch with every row of <paramref name="other"/>.</summary>
    /// <param name="other">Embeddings of the same dimension.</param>
    /// <returns><c>[Count, other.Count]</c>, row-major: entry <c>(i, j)</c> is <c>cos(this[i], other[j])</c>, in [−1, 1].</returns>
    /// <exception cref="ArgumentException">The dimensions differ.</exception>
    public SimilarityMatrix CosineSimilarity(ClipEmbeddings other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Dimension != Dimension)
        {
            throw new ArgumentException($"Cannot compare {Dimension}-dimensional embeddings with {other.Dimension}-dimensional ones; they come from different models.", nameof(other));
        }

        var values = new float[Count * other.Count];
        for (int i = 0; i < Count; i++)
        {
            ReadOnlySpan<float> a = this[i];
            for (int j = 0; j < other.Count; j++) values[(i * other.Count) + j] = TensorPrimitives.Dot(a, other[j]);
        }

        return new SimilarityMatrix(values, Count, other.Count);
    }

    /// <summary>The mean of the rows, renormalised to unit length — CLIP's prompt ensembling.</summary>
    /// <returns>A single unit-length embedding (all zeros if the rows cancel out).</returns>
    /// <exception cref="InvalidOperationException">There are no rows.</exception>
    public ClipEmbeddings MeanNormalized()
    {
        if (Count == 0) throw new InvalidOperationException("There are no embeddings to average.");
        var sum = new float[Dimension];
        for (int i = 0; i < Count; i++) TensorPrimitives.Add(sum, this[i], sum);
        return Normalize(sum, 1, Dimension);
    }
}
