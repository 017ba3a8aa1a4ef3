using System.Text;

namespace Conditioning.Onnx;

/// <summary>The inputs and outputs a model file declares, as read from its ONNX Runtime session.</summary>
/// <remarks>Immutable; safe to share across threads. Create instances directly to describe a fake model in tests.</remarks>
public sealed class OnnxModelMetadata
{
    /// <summary>Describes a model.</summary>
    /// <param name="modelPath">The model file the metadata came from (used in error messages).</param>
    /// <param name="inputs">The inputs in graph order.</param>
    /// <param name="outputs">The outputs in graph order.</param>
    /// <exception cref="ArgumentException">Two inputs or two outputs share a name.</exception>
    public OnnxModelMetadata(string modelPath, IEnumerable<OnnxTensorInfo> inputs, IEnumerable<OnnxTensorInfo> outputs)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ModelPath = modelPath;
        Inputs = inputs.ToArray();
        Outputs = outputs.ToArray();
        InputsByName = ByName(Inputs, nameof(inputs));
        OutputsByName = ByName(Outputs, nameof(outputs));
    }

    /// <summary>The full path of the model file.</summary>
    public string ModelPath { get; }

    /// <summary>The inputs in graph order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>The outputs in graph order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>The inputs by name (ordinal, case-sensitive, as ONNX names are).</summary>
    public IReadOnlyDictionary<string, OnnxTensorInfo> InputsByName { get; }

    /// <summary>The outputs by name (ordinal, case-sensitive, as ONNX names are).</summary>
    public IReadOnlyDictionary<string, OnnxTensorInfo> OutputsByName { get; }

    /// <summary>A multi-line listing of the inputs and outputs, as used in error messages.</summary>
    public override string ToString()
    {
        StringBuilder text = new();
        text.Append("inputs:");
        AppendList(text, Inputs);
        text.Append("; outputs:");
        AppendList(text, Outputs);
        return text.ToString();
    }

    private static void AppendList(StringBuilder text, IReadOnlyList<OnnxTensorInfo> items)
    {
        if (items.Count == 0)
        {
            text.Append(" (none)");
            return;
        }

        text.Append(' ').AppendJoin(", ", items);
    }

    private static Dictionary<string, OnnxTensorInfo> ByName(IReadOnlyList<OnnxTensorInfo> items, string paramName)
    {
        Dictionary<string, OnnxTensorInfo> byName = new(StringComparer.Ordinal);
        foreach (OnnxTensorInfo item in items)
        {
            ArgumentNullException.ThrowIfNull(item, paramName);
            if (!byName.TryAdd(item.Name, item))
            {
                throw new ArgumentException($"The name '{item.Name}' appears twice.", paramName);
            }
        }

        return byName;
    }
}
