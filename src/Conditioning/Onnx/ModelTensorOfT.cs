namespace Conditioning.Onnx;

/// <summary>
/// A dense, row-major tensor of <typeparamref name="T"/>: a <see cref="ReadOnlyMemory{T}"/> plus a
/// <see cref="TensorShape"/>. Model outputs are always <c>ModelTensor&lt;float&gt;</c>.
/// </summary>
/// <typeparam name="T">
/// <see cref="float"/>, <see cref="double"/>, <see cref="Half"/>, <see cref="int"/> or <see cref="long"/>; when a
/// tensor is fed to a model it is converted to the element type the model declares (see <see cref="OnnxModel"/>).
/// </typeparam>
/// <remarks>Immutable as far as this library is concerned; see <see cref="ModelTensor"/>.</remarks>
public sealed class ModelTensor<T> : ModelTensor
    where T : unmanaged
{
    private static readonly OnnxElementType ElementTypeOfT = ElementTypeOf();

    /// <summary>Wraps <paramref name="data"/> (not copied) with the given shape.</summary>
    /// <param name="data">Row-major elements; its length must equal <see cref="TensorShape.ElementCount"/>.</param>
    /// <param name="shape">The shape.</param>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not one of the supported types.</exception>
    public ModelTensor(ReadOnlyMemory<T> data, TensorShape shape)
        : base(shape ?? throw new ArgumentNullException(nameof(shape)))
    {
        if (ElementTypeOfT == OnnxElementType.Unknown)
        {
            throw new NotSupportedException(
                $"ModelTensor<{typeof(T).Name}> is not supported; use float, double, Half, int or long.");
        }

        if (data.Length != shape.ElementCount)
        {
            throw new ArgumentException(
                $"The data holds {data.Length} elements but shape {shape} needs {shape.ElementCount}.", nameof(data));
        }

        Data = data;
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) with the given axis sizes.</summary>
    /// <param name="data">Row-major elements; its length must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The size of each axis, outermost first; none for a 0-d scalar.</param>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not one of the supported types.</exception>
    public ModelTensor(ReadOnlyMemory<T> data, params int[] shape)
        : this(data, new TensorShape(shape))
    {
    }

    /// <summary>The elements in row-major order.</summary>
    public ReadOnlyMemory<T> Data { get; }

    /// <summary>The elements in row-major order, as a span.</summary>
    public ReadOnlySpan<T> Span => Data.Span;

    /// <inheritdoc />
    public override OnnxElementType ElementType => ElementTypeOfT;

    private static OnnxElementType ElementTypeOf() =>
        typeof(T) == typeof(float) ? OnnxElementType.Float32
        : typeof(T) == typeof(double) ? OnnxElementType.Float64
        : typeof(T) == typeof(Half) ? OnnxElementType.Float16
        : typeof(T) == typeof(int) ? OnnxElementType.Int32
        : typeof(T) == typeof(long) ? OnnxElementType.Int64
        : OnnxElementType.Unknown;
}
