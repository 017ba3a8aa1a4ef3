using System.Globalization;

namespace Conditioning.Onnx;

/// <summary>
/// What a model declares for one input or output: its name, element type and shape, where each axis is either
/// a fixed size or dynamic (with the symbolic name the exporter gave it, such as <c>batch</c> or <c>sequence</c>).
/// </summary>
/// <remarks>Immutable; safe to share across threads. Create instances directly to describe a fake model in tests.</remarks>
public sealed class OnnxTensorInfo
{
    /// <summary>Describes one input or output.</summary>
    /// <param name="name">The input or output name, e.g. <c>input_ids</c>.</param>
    /// <param name="elementType">The declared element type; <see cref="OnnxElementType.Unknown"/> for non-tensors.</param>
    /// <param name="dimensions">One entry per axis: the fixed size, or <see langword="null"/> when the axis is dynamic.</param>
    /// <param name="dimensionNames">
    /// One entry per axis: the symbolic name of a dynamic axis or <see langword="null"/>; omit when there are none.
    /// </param>
    /// <param name="isTensor"><see langword="false"/> for sequences, maps and optionals, which this layer cannot feed or read.</param>
    /// <exception cref="ArgumentException"><paramref name="dimensionNames"/> has a different length from <paramref name="dimensions"/>, or a size is negative.</exception>
    public OnnxTensorInfo(
        string name,
        OnnxElementType elementType,
        IReadOnlyList<int?> dimensions,
        IReadOnlyList<string?>? dimensionNames = null,
        bool isTensor = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensionNames is not null && dimensionNames.Count != dimensions.Count)
        {
            throw new ArgumentException(
                $"'{name}' has {dimensions.Count} dimensions but {dimensionNames.Count} dimension names.", nameof(dimensionNames));
        }

        if (dimensions.Any(d => d < 0))
        {
            throw new ArgumentException($"'{name}' has a negative dimension; use null for a dynamic axis.", nameof(dimensions));
        }

        Name = name;
        ElementType = elementType;
        IsTensor = isTensor;
        Dimensions = dimensions.ToArray();
        DimensionNames = dimensionNames?.Select(n => string.IsNullOrEmpty(n) ? null : n).ToArray()
            ?? new string?[dimensions.Count];
    }

    /// <summary>The input or output name as the graph declares it.</summary>
    public string Name { get; }

    /// <summary>The declared element type.</summary>
    public OnnxElementType ElementType { get; }

    /// <summary>Whether the value is a tensor (as opposed to a sequence, map or optional).</summary>
    public bool IsTensor { get; }

    /// <summary>The declared size of each axis, outermost first; <see langword="null"/> for a dynamic axis.</summary>
    public IReadOnlyList<int?> Dimensions { get; }

    /// <summary>The symbolic name of each axis (e.g. <c>batch</c>), or <see langword="null"/> for fixed or unnamed axes.</summary>
    public IReadOnlyList<string?> DimensionNames { get; }

    /// <summary>The declared number of axes; 0 for a scalar such as optimum's UNet <c>timestep</c>.</summary>
    public int Rank => Dimensions.Count;

    /// <summary>Whether any axis is dynamic.</summary>
    public bool IsDynamic => Dimensions.Any(d => d is null);

    /// <summary>The declaration as <c>input_ids: int64[batch, sequence]</c>; dynamic axes without a name show as <c>?</c>.</summary>
    public override string ToString() => $"{Name}: {TypeAndShape}";

    /// <summary>The element type and declared shape, as <c>float16[batch, 4, 64, 64]</c>.</summary>
    public string TypeAndShape
    {
        get
        {
            if (!IsTensor)
            {
                return "(not a tensor)";
            }

            IEnumerable<string> axes = Dimensions.Select((d, i) =>
                d?.ToString(CultureInfo.InvariantCulture) ?? DimensionNames[i] ?? "?");
            return $"{FormatType(ElementType)}[{string.Join(", ", axes)}]";
        }
    }

    /// <summary>The lower-case name ONNX tools print for an element type (<c>float32</c>, <c>float16</c>, <c>int64</c>, …).</summary>
    internal static string FormatType(OnnxElementType type) => type switch
    {
        OnnxElementType.Float32 => "float32",
        OnnxElementType.Float16 => "float16",
        OnnxElementType.BFloat16 => "bfloat16",
        OnnxElementType.Float64 => "float64",
        OnnxElementType.Unknown => "unknown",
        _ => type.ToString().ToLowerInvariant(),
    };
}
