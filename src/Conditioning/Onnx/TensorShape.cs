using System.Collections.ObjectModel;
using System.Globalization;

namespace Conditioning.Onnx;

/// <summary>
/// The concrete shape of a tensor: one non-negative size per axis, outermost first (row-major). Rank 0 is a
/// scalar holding one element.
/// </summary>
/// <remarks>Immutable; safe to share across threads.</remarks>
public sealed class TensorShape : IEquatable<TensorShape>
{
    private readonly int[] _dimensions;

    /// <summary>Creates a shape from its axis sizes; no sizes makes a 0-d scalar.</summary>
    /// <param name="dimensions">The size of each axis, outermost first; copied.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
    public TensorShape(params int[] dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        long count = 1;
        for (int axis = 0; axis < dimensions.Length; axis++)
        {
            if (dimensions[axis] < 0)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(dimensions), dimensions[axis], $"Axis {axis} of shape {Format(dimensions)} is negative; every size must be >= 0.");
            }

            count = checked(count * dimensions[axis]);
        }

        _dimensions = (int[])dimensions.Clone();
        ElementCount = count;
        Dimensions = Array.AsReadOnly(_dimensions);
    }

    /// <summary>The shape of a 0-d scalar (rank 0, one element).</summary>
    public static TensorShape Scalar { get; } = new();

    /// <summary>The size of each axis, outermost first.</summary>
    public ReadOnlyCollection<int> Dimensions { get; }

    /// <summary>The number of axes (0 for a scalar).</summary>
    public int Rank => _dimensions.Length;

    /// <summary>The number of elements: the product of the sizes (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>The size of axis <paramref name="axis"/>.</summary>
    /// <exception cref="IndexOutOfRangeException"><paramref name="axis"/> is not in <c>[0, Rank)</c>.</exception>
    public int this[int axis] => _dimensions[axis];

    /// <summary>The sizes as 64-bit integers, as ONNX Runtime takes them.</summary>
    internal long[] ToInt64Array() => Array.ConvertAll(_dimensions, static d => (long)d);

    /// <inheritdoc />
    public bool Equals(TensorShape? other) =>
        other is not null && _dimensions.AsSpan().SequenceEqual(other._dimensions);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        HashCode hash = default;
        foreach (int d in _dimensions)
        {
            hash.Add(d);
        }

        return hash.ToHashCode();
    }

    /// <summary>The shape as <c>[2, 77, 768]</c>; a scalar is <c>[]</c>.</summary>
    public override string ToString() => Format(_dimensions);

    private static string Format(int[] dimensions) =>
        "[" + string.Join(", ", dimensions.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}
