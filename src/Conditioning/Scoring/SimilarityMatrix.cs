namespace Conditioning.Scoring;

/// <summary>A dense <c>[Rows, Columns]</c> matrix of similarities or scores, row-major.</summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class SimilarityMatrix
{
    private readonly float[] _values;

    /// <summary>Wraps <paramref name="values"/> (not copied).</summary>
    /// <param name="values">Row-major values; the length must be <c>rows × columns</c>.</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="columns">The number of columns.</param>
    /// <exception cref="ArgumentException">The length does not match.</exception>
    public SimilarityMatrix(float[] values, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (values.Length != (long)rows * columns) throw new ArgumentException($"Expected {rows} × {columns} values, got {values.Length}.", nameof(values));
        _values = values;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>The number of rows.</summary>
    public int Rows { get; }

    /// <summary>The number of columns.</summary>
    public int Columns { get; }

    /// <summary>All values, row-major.</summary>
    public ReadOnlyMemory<float> Values => _values;

    /// <summary>The value at (<paramref name="row"/>, <paramref name="column"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public float this[int row, int column]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(row);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
            ArgumentOutOfRangeException.ThrowIfNegative(column);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, Columns);
            return _values[(row * Columns) + column];
        }
    }

    /// <summary>Row <paramref name="row"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is out of range.</exception>
    public ReadOnlySpan<float> Row(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        return _values.AsSpan(row * Columns, Columns);
    }

    /// <summary>A new matrix with <paramref name="transform"/> applied to every value.</summary>
    /// <param name="transform">The function, e.g. <see cref="ClipScore.FromCosine"/>.</param>
    public SimilarityMatrix Select(Func<float, float> transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        return new SimilarityMatrix([.. _values.Select(transform)], Rows, Columns);
    }

    /// <summary>The transpose, <c>[Columns, Rows]</c>.</summary>
    public SimilarityMatrix Transpose()
    {
        var t = new float[_values.Length];
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Columns; c++) t[(c * Rows) + r] = _values[(r * Columns) + c];
        }

        return new SimilarityMatrix(t, Columns, Rows);
    }
}
