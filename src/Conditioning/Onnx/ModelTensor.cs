namespace Conditioning.Onnx;

/// <summary>
/// A dense, row-major tensor handed to or returned from an <see cref="IOnnxModel"/>: its shape and element
/// type. The data lives in the generic <see cref="ModelTensor{T}"/>.
/// </summary>
/// <remarks>
/// Immutable as far as this library is concerned (it never writes to the data), so one instance may be passed
/// to many concurrent runs. Callers must not change the underlying buffer while a run that uses it is in flight.
/// </remarks>
public abstract class ModelTensor
{
    private protected ModelTensor(TensorShape shape)
    {
        Shape = shape;
    }

    /// <summary>The shape of the tensor.</summary>
    public TensorShape Shape { get; }

    /// <summary>The element type of the data as held in memory (not necessarily what a model declares).</summary>
    public abstract OnnxElementType ElementType { get; }

    /// <summary>A 0-d scalar (rank 0), e.g. the timestep of an optimum UNet export.</summary>
    /// <typeparam name="T"><see cref="float"/>, <see cref="double"/>, <see cref="Half"/>, <see cref="int"/> or <see cref="long"/>.</typeparam>
    /// <param name="value">The value.</param>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not one of the supported types.</exception>
    public static ModelTensor<T> Scalar<T>(T value)
        where T : unmanaged => new(new[] { value }, TensorShape.Scalar);

    /// <summary>A tensor over <paramref name="data"/> (not copied) with the given shape.</summary>
    /// <typeparam name="T"><see cref="float"/>, <see cref="double"/>, <see cref="Half"/>, <see cref="int"/> or <see cref="long"/>.</typeparam>
    /// <param name="data">Row-major elements; its length must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The size of each axis, outermost first.</param>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not one of the supported types.</exception>
    public static ModelTensor<T> Create<T>(ReadOnlyMemory<T> data, params int[] shape)
        where T : unmanaged => new(data, new TensorShape(shape));

    /// <summary>The element type and shape, e.g. <c>int64[1, 77]</c>, for messages and debugging.</summary>
    public override string ToString() => $"{OnnxTensorInfo.FormatType(ElementType)}{Shape}";
}
