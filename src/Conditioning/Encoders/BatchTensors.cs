using Conditioning.Onnx;

namespace Conditioning.Encoders;

/// <summary>Splitting and joining tensors on their first (batch) axis.</summary>
internal static class BatchTensors
{
    /// <summary>Item <paramref name="index"/> of the batch, keeping a batch axis of 1.</summary>
    public static ModelTensor<float> Slice(ModelTensor<float> tensor, int index)
    {
        int[] dims = [.. tensor.Shape.Dimensions];
        int per = (int)(tensor.Shape.ElementCount / dims[0]);
        dims[0] = 1;
        return new ModelTensor<float>(tensor.Data.Slice(index * per, per), dims);
    }

    /// <summary>Joins tensors of equal trailing shape along the batch axis.</summary>
    public static ModelTensor<float> Concat(IReadOnlyList<ModelTensor<float>> parts)
    {
        if (parts.Count == 1) return parts[0];
        int[] dims = [.. parts[0].Shape.Dimensions];
        dims[0] = parts.Sum(p => p.Shape[0]);
        var data = new float[parts.Sum(p => p.Data.Length)];
        int at = 0;
        foreach (ModelTensor<float> p in parts)
        {
            p.Span.CopyTo(data.AsSpan(at));
            at += p.Data.Length;
        }

        return new ModelTensor<float>(data, dims);
    }
}
