namespace Conditioning.Encoders;

/// <summary>The identity of one encoded sequence: the model, what was asked of it, and the token ids.</summary>
/// <remarks>Immutable; equality compares the ids element by element.</remarks>
public readonly struct EmbeddingCacheKey : IEquatable<EmbeddingCacheKey>
{
    private readonly int[] _ids;
    private readonly int _hash;

    /// <summary>Creates a key.</summary>
    /// <param name="model">Identifies the model (its path, or any stable name).</param>
    /// <param name="variant">What was asked (e.g. the hidden layer), so different outputs of one model do not collide.</param>
    /// <param name="ids">The token ids; copied.</param>
    public EmbeddingCacheKey(string model, string variant, ReadOnlySpan<int> ids)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(variant);
        Model = model;
        Variant = variant;
        _ids = ids.ToArray();
        var hash = new HashCode();
        hash.Add(model, StringComparer.Ordinal);
        hash.Add(variant, StringComparer.Ordinal);
        hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(ids));
        _hash = hash.ToHashCode();
    }

    /// <summary>The model identity.</summary>
    public string Model { get; }

    /// <summary>The request variant.</summary>
    public string Variant { get; }

    /// <summary>The token ids.</summary>
    public ReadOnlySpan<int> Ids => _ids;

    /// <summary>Equality operator.</summary>
    public static bool operator ==(EmbeddingCacheKey left, EmbeddingCacheKey right) => left.Equals(right);

    /// <summary>Inequality operator.</summary>
    public static bool operator !=(EmbeddingCacheKey left, EmbeddingCacheKey right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(EmbeddingCacheKey other) =>
        _hash == other._hash && string.Equals(Model, other.Model, StringComparison.Ordinal)
        && string.Equals(Variant, other.Variant, StringComparison.Ordinal) && _ids.AsSpan().SequenceEqual(other._ids);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EmbeddingCacheKey other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _hash;
}
