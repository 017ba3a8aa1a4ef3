using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Conditioning.Onnx;

/// <summary>
/// Converts between <see cref="ModelTensor"/> and ONNX Runtime's <see cref="OrtValue"/>: inputs to the element
/// type the model declares, outputs to float32. Conversions that would lose information (a fractional value fed to
/// an integer input, an id that does not fit int32, a value that overflows float16) throw instead of rounding.
/// </summary>
internal static class OrtTensorConversion
{
    /// <summary>Creates an OrtValue of the declared element type holding <paramref name="tensor"/>; the caller disposes it.</summary>
    /// <exception cref="ModelInputException">The values cannot be converted to the declared type without loss, or the type is not one this layer feeds.</exception>
    public static OrtValue ToOrtValue(ModelTensor tensor, OnnxTensorInfo declared, string modelPath)
    {
        long[] shape = tensor.Shape.ToInt64Array();
        switch (declared.ElementType)
        {
            case OnnxElementType.Float32:
                return tensor is ModelTensor<float> f ? Wrap(f.Data, shape) : Owned(ToSingles(tensor), shape);

            case OnnxElementType.Float64:
                return tensor is ModelTensor<double> d ? Wrap(d.Data, shape) : Owned(ConvertFloating<double>(tensor), shape);

            case OnnxElementType.Float16:
            {
                Float16[] halves = new Float16[tensor.Shape.ElementCount];
                Span<Half> target = MemoryMarshal.Cast<Float16, Half>(halves.AsSpan());
                if (tensor is ModelTensor<Half> h)
                {
                    h.Span.CopyTo(target);
                }
                else
                {
                    float[] singles = ToSingles(tensor);
                    TensorPrimitives.ConvertToHalf(singles, target);
                    ThrowIfOverflowed(singles, target, declared, modelPath);
                }

                return Owned(halves, shape);
            }

            case OnnxElementType.BFloat16:
            {
                float[] singles = ToSingles(tensor);
                BFloat16[] values = new BFloat16[singles.Length];
                for (int i = 0; i < singles.Length; i++)
                {
                    values[i] = (BFloat16)singles[i];
                }

                return Owned(values, shape);
            }

            case OnnxElementType.Int64:
                return tensor is ModelTensor<long> l ? Wrap(l.Data, shape) : Owned(ToIntegers<long>(tensor, declared, modelPath), shape);

            case OnnxElementType.Int32:
                return tensor is ModelTensor<int> i32 ? Wrap(i32.Data, shape) : Owned(ToIntegers<int>(tensor, declared, modelPath), shape);

            default:
                throw new ModelInputException(
                    declared.Name,
                    $"Input '{declared.Name}' of '{modelPath}' is declared {declared.TypeAndShape}; this library feeds only float32, " +
                    "float16, bfloat16, float64, int32 and int64 inputs. Re-export the model with one of those types.");
        }
    }

    /// <summary>Copies an output OrtValue into a managed float32 tensor.</summary>
    /// <exception cref="ModelRunException">The output is not a tensor, or its element type cannot be represented as float.</exception>
    public static ModelTensor<float> ToModelTensor(OrtValue value, string outputName, string modelPath)
    {
        if (value.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR)
        {
            throw new ModelRunException($"Output '{outputName}' of '{modelPath}' is a {value.OnnxType}, not a tensor; this library reads only tensors.");
        }

        OrtTensorTypeAndShapeInfo info = value.GetTensorTypeAndShape();
        int[] shape = Array.ConvertAll(info.Shape, static d => checked((int)d));
        float[] data = new float[info.ElementCount];
        switch (info.ElementDataType)
        {
            case TensorElementType.Float:
                value.GetTensorDataAsSpan<float>().CopyTo(data);
                break;
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<Float16, Half>(value.GetTensorDataAsSpan<Float16>()), data);
                break;
            case TensorElementType.BFloat16:
            {
                // bfloat16 is the upper half of a float32: widen the bits and shift them into place.
                Span<uint> bits = MemoryMarshal.Cast<float, uint>(data.AsSpan());
                TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<BFloat16, ushort>(value.GetTensorDataAsSpan<BFloat16>()), bits);
                TensorPrimitives.ShiftLeft(bits, 16, bits);
                break;
            }

            case TensorElementType.Double:
                TensorPrimitives.ConvertTruncating(value.GetTensorDataAsSpan<double>(), data.AsSpan());
                break;
            case TensorElementType.Int64:
                TensorPrimitives.ConvertTruncating(value.GetTensorDataAsSpan<long>(), data.AsSpan());
                break;
            case TensorElementType.Int32:
                TensorPrimitives.ConvertTruncating(value.GetTensorDataAsSpan<int>(), data.AsSpan());
                break;
            case TensorElementType.Int16:
                TensorPrimitives.ConvertTruncating(value.GetTensorDataAsSpan<short>(), data.AsSpan());
                break;
            case TensorElementType.UInt8:
                TensorPrimitives.ConvertTruncating(value.GetTensorDataAsSpan<byte>(), data.AsSpan());
                break;
            case TensorElementType.Int8:
                TensorPrimitives.ConvertTruncating(value.GetTensorDataAsSpan<sbyte>(), data.AsSpan());
                break;
            case TensorElementType.Bool:
            {
                ReadOnlySpan<bool> flags = value.GetTensorDataAsSpan<bool>();
                for (int i = 0; i < flags.Length; i++)
                {
                    data[i] = flags[i] ? 1f : 0f;
                }

                break;
            }

            default:
                throw new ModelRunException(
                    $"Output '{outputName}' of '{modelPath}' has element type {info.ElementDataType}, which this library cannot return as float32.");
        }

        return new ModelTensor<float>(data, shape);
    }

    private static OrtValue Wrap<T>(ReadOnlyMemory<T> data, long[] shape)
        where T : unmanaged =>
        // ONNX Runtime never writes to inputs, so the caller's read-only buffer is pinned and used in place.
        OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, MemoryMarshal.AsMemory(data), shape);

    private static OrtValue Owned<T>(T[] data, long[] shape)
        where T : unmanaged => OrtValue.CreateTensorValueFromMemory(data, shape);

    private static float[] ToSingles(ModelTensor tensor)
    {
        float[] result = new float[tensor.Shape.ElementCount];
        switch (tensor)
        {
            case ModelTensor<float> f:
                f.Span.CopyTo(result);
                break;
            case ModelTensor<Half> h:
                TensorPrimitives.ConvertToSingle(h.Span, result);
                break;
            case ModelTensor<double> d:
                TensorPrimitives.ConvertTruncating(d.Span, result.AsSpan());
                break;
            case ModelTensor<long> l:
                TensorPrimitives.ConvertTruncating(l.Span, result.AsSpan());
                break;
            case ModelTensor<int> i:
                TensorPrimitives.ConvertTruncating(i.Span, result.AsSpan());
                break;
            default:
                throw new NotSupportedException($"Unsupported tensor element type {tensor.ElementType}.");
        }

        return result;
    }

    private static TTo[] ConvertFloating<TTo>(ModelTensor tensor)
        where TTo : unmanaged, INumberBase<TTo>
    {
        TTo[] result = new TTo[tensor.Shape.ElementCount];
        switch (tensor)
        {
            case ModelTensor<long> l:
                TensorPrimitives.ConvertTruncating(l.Span, result.AsSpan());
                break;
            case ModelTensor<int> i:
                TensorPrimitives.ConvertTruncating(i.Span, result.AsSpan());
                break;
            default:
                TensorPrimitives.ConvertTruncating<float, TTo>(ToSingles(tensor), result);
                break;
        }

        return result;
    }

    private static TTo[] ToIntegers<TTo>(ModelTensor tensor, OnnxTensorInfo declared, string modelPath)
        where TTo : unmanaged, IBinaryInteger<TTo>
    {
        return tensor switch
        {
            ModelTensor<long> l => Integers<long, TTo>(l.Span, declared, modelPath),
            ModelTensor<int> i => Integers<int, TTo>(i.Span, declared, modelPath),
            ModelTensor<float> f => Integers<float, TTo>(f.Span, declared, modelPath),
            ModelTensor<double> d => Integers<double, TTo>(d.Span, declared, modelPath),
            ModelTensor<Half> h => Integers<Half, TTo>(h.Span, declared, modelPath),
            _ => throw new NotSupportedException($"Unsupported tensor element type {tensor.ElementType}."),
        };
    }

    private static TTo[] Integers<TFrom, TTo>(ReadOnlySpan<TFrom> source, OnnxTensorInfo declared, string modelPath)
        where TFrom : INumber<TFrom>
        where TTo : unmanaged, IBinaryInteger<TTo>
    {
        TTo[] result = new TTo[source.Length];
        for (int i = 0; i < source.Length; i++)
        {
            TFrom value = source[i];
            if (!TFrom.IsInteger(value))
            {
                throw new ModelInputException(
                    declared.Name,
                    $"Input '{declared.Name}' of '{modelPath}' is declared {declared.TypeAndShape}, but element {i} is " +
                    $"{Format(value)}, which is not a whole number. Round it before running, or pass an integer tensor.");
            }

            try
            {
                result[i] = TTo.CreateChecked(value);
            }
            catch (OverflowException ex)
            {
                throw new ModelInputException(
                    declared.Name,
                    $"Input '{declared.Name}' of '{modelPath}' is declared {declared.TypeAndShape}, but element {i} is " +
                    $"{Format(value)}, which does not fit {OnnxTensorInfo.FormatType(declared.ElementType)}.",
                    ex);
            }
        }

        return result;
    }
    private static void ThrowIfOverflowed(ReadOnlySpan<float> source, ReadOnlySpan<Half> converted, OnnxTensorInfo declared, string modelPath)
    {
        for (int i = 0; i < source.Length; i++)
        {
            if (Half.IsInfinity(converted[i]) && float.IsFinite(source[i]))
            {
                throw new ModelInputException(
                    declared.Name,
                    $"Input '{declared.Name}' of '{modelPath}' is declared {declared.TypeAndShape}, but element {i} is " +
                    $"{source[i].ToString(CultureInfo.InvariantCulture)}, beyond float16's range (±65504).");
            }
        }
    }

    private static string Format<T>(T value)
        where T : INumber<T> => value.ToString(null, CultureInfo.InvariantCulture);
}
