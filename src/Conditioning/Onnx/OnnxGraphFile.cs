using System.Buffers.Binary;
using Conditioning.Internal;

namespace Conditioning.Onnx;

/// <summary>
/// Reads an ONNX file's graph structure (nodes and initializer headers) without loading its weights, and loads
/// individual float initializers on demand — from <c>raw_data</c>, <c>float_data</c> or external data files.
/// Used to find the weights of a text encoder's final LayerNorm, which clip skip must apply on the C# side because
/// exports expose the hidden states before it.
/// </summary>
/// <remarks>Immutable after <see cref="Read"/>; safe for concurrent use.</remarks>
internal sealed class OnnxGraphFile
{
    private readonly Dictionary<string, Initializer> _initializers = new(StringComparer.Ordinal);

    private OnnxGraphFile(string path)
    {
        ModelPath = path;
    }

    public string ModelPath { get; }

    public List<Node> Nodes { get; } = [];

    public IReadOnlyDictionary<string, Initializer> Initializers => _initializers;

    /// <summary>Parses the graph of <paramref name="path"/>.</summary>
    /// <exception cref="ModelLoadException">The file is not a readable ONNX protobuf.</exception>
    public static OnnxGraphFile Read(string path)
    {
        var file = new OnnxGraphFile(path);
        try
        {
            using FileStream stream = File.OpenRead(path);
            var r = new ProtobufReader(stream);
            while (r.More)
            {
                (int field, int wire) = r.Tag();
                if (field == 7 && wire == 2)
                {
                    r.EnterMessage();
                    file.ReadGraph(r);
                    r.LeaveMessage();
                }
                else
                {
                    r.Skip(wire);
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new ModelLoadException(path, $"The ONNX graph of '{path}' could not be read: {e.Message}", e);
        }

        return file;
    }

    /// <summary>
    /// Finds the LayerNormalization whose output becomes <paramref name="outputName"/> (through Identity/Cast nodes)
    /// and returns its scale, bias and epsilon; or, when LayerNorm was decomposed by an old opset, the initializers
    /// whose names end with <paramref name="fallbackPrefix"/> + <c>.weight</c>/<c>.bias</c>.
    /// </summary>
    public (float[] Scale, float[] Bias, float? Epsilon)? FindLayerNorm(string outputName, string fallbackPrefix)
    {
        var producers = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (Node n in Nodes)
        {
            foreach (string o in n.Outputs) producers.TryAdd(o, n);
        }

        string current = outputName;
        for (int hops = 0; hops < 8 && producers.TryGetValue(current, out Node? node); hops++)
        {
            if (node.OpType == "LayerNormalization" && node.Inputs.Count >= 3
                && _initializers.ContainsKey(node.Inputs[1]) && _initializers.ContainsKey(node.Inputs[2]))
            {
                return (LoadFloats(node.Inputs[1]), LoadFloats(node.Inputs[2]), node.Epsilon ?? 1e-5f);
            }

            if (node.OpType is not ("Identity" or "Cast") || node.Inputs.Count == 0) break;
            current = node.Inputs[0];
        }

        string? weight = _initializers.Keys.FirstOrDefault(k => k.EndsWith(fallbackPrefix + ".weight", StringComparison.Ordinal));
        string? bias = _initializers.Keys.FirstOrDefault(k => k.EndsWith(fallbackPrefix + ".bias", StringComparison.Ordinal));
        return weight is null || bias is null ? null : (LoadFloats(weight), LoadFloats(bias), null);
    }

    /// <summary>Loads a float32 or float16 initializer as float32.</summary>
    /// <exception cref="ModelLoadException">The initializer is missing, of another type, or its data cannot be read.</exception>
    public float[] LoadFloats(string name)
    {
        if (!_initializers.TryGetValue(name, out Initializer? init)) throw new ModelLoadException(ModelPath, $"'{ModelPath}' has no initializer '{name}'.", null);
        long count = init.Dims.Aggregate(1L, (a, d) => a * d);
        int width = init.DataType switch
        {
            1 => 4,
            10 => 2,
            _ => throw new ModelLoadException(ModelPath, $"initializer '{name}' in '{ModelPath}' has data type {init.DataType}; expected float32 (1) or float16 (10).", null),
        };
        var result = new float[count];
        try
        {
            if (init.FloatData is { } floats)
            {
                if (floats.Length != count) throw new InvalidDataException($"float_data holds {floats.Length} values, dims say {count}");
                return floats;
            }

            string file = ModelPath;
            long offset = init.RawOffset, length = init.RawLength;
            if (init.ExternalLocation is { } location)
            {
                file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ModelPath))!, location);
                offset = init.ExternalOffset;
                length = init.ExternalLength ?? (count * width);
            }

            if (length != count * width) throw new InvalidDataException($"holds {length} bytes, dims say {count * width}");
            var bytes = new byte[length];
            using (FileStream s = File.OpenRead(file))
            {
                s.Position = offset;
                s.ReadExactly(bytes);
            }

            for (int i = 0; i < count; i++)
            {
                result[i] = width == 4
                    ? BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4))
                    : (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2));
            }

            return result;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(ModelPath, $"initializer '{name}' of '{ModelPath}' could not be read: {e.Message}", e);
        }
    }

    private void ReadGraph(ProtobufReader r)
    {
        while (r.More)
        {
            (int field, int wire) = r.Tag();
            if (field == 1 && wire == 2)
            {
                r.EnterMessage();
                Nodes.Add(ReadNode(r));
                r.LeaveMessage();
            }
            else if (field == 5 && wire == 2)
            {
                r.EnterMessage();
                Initializer init = ReadInitializer(r);
                _initializers.TryAdd(init.Name, init);
                r.LeaveMessage();
            }
            else
            {
                r.Skip(wire);
            }
        }
    }

    private static Node ReadNode(ProtobufReader r)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        string op = string.Empty;
        float? epsilon = null;
        while (r.More)
        {
            (int field, int wire) = r.Tag();
            switch (field)
            {
                case 1 when wire == 2: inputs.Add(r.String()); break;
                case 2 when wire == 2: outputs.Add(r.String()); break;
                case 4 when wire == 2: op = r.String(); break;
                case 5 when wire == 2:
                    r.EnterMessage();
                    string attrName = string.Empty;
                    float? f = null;
                    while (r.More)
                    {
                        (int af, int aw) = r.Tag();
                        if (af == 1 && aw == 2) attrName = r.String();
                        else if (af == 2 && aw == 5) f = r.Float();
                        else r.Skip(aw);
                    }

                    r.LeaveMessage();
                    if (attrName == "epsilon") epsilon = f;
                    break;
                default: r.Skip(wire); break;
            }
        }

        return new Node(op, inputs, outputs, epsilon);
    }

    private static Initializer ReadInitializer(ProtobufReader r)
    {
        var init = new Initializer();
        string? key = null;
        while (r.More)
        {
            (int field, int wire) = r.Tag();
            switch (field)
            {
                case 1 when wire == 0: init.Dims.Add(r.Varint()); break;
                case 1 when wire == 2:
                    r.EnterMessage();
                    while (r.More) init.Dims.Add(r.Varint());
                    r.LeaveMessage();
                    break;
                case 2 when wire == 0: init.DataType = (int)r.Varint(); break;
                case 4 when wire == 2:
                    r.EnterMessage();
                    var floats = new List<float>();
                    while (r.More) floats.Add(r.Float());
                    r.LeaveMessage();
                    init.FloatData = [.. floats];
                    break;
                case 8 when wire == 2: init.Name = r.String(); break;
                case 9 when wire == 2:
                    init.RawLength = r.Length();
                    init.RawOffset = r.Position;
                    r.SkipBytes(init.RawLength);
                    break;
                case 13 when wire == 2:
                    r.EnterMessage();
                    string? value = null;
                    key = null;
                    while (r.More)
                    {
                        (int ef, int ew) = r.Tag();
                        if (ef == 1 && ew == 2) key = r.String();
                        else if (ef == 2 && ew == 2) value = r.String();
                        else r.Skip(ew);
                    }

                    r.LeaveMessage();
                    if (key == "location") init.ExternalLocation = value;
                    else if (key == "offset" && long.TryParse(value, out long o)) init.ExternalOffset = o;
                    else if (key == "length" && long.TryParse(value, out long l)) init.ExternalLength = l;
                    break;
                default: r.Skip(wire); break;
            }
        }

        return init;
    }

    /// <summary>A graph node: operator, input and output names, and its epsilon attribute if any.</summary>
    internal sealed record Node(string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, float? Epsilon);

    /// <summary>An initializer's header: where its data lives, not the data.</summary>
    internal sealed class Initializer
    {
        public string Name { get; set; } = string.Empty;

        public List<long> Dims { get; } = [];

        public int DataType { get; set; }

        public float[]? FloatData { get; set; }

        public long RawOffset { get; set; }

        public long RawLength { get; set; }

        public string? ExternalLocation { get; set; }

        public long ExternalOffset { get; set; }

        public long? ExternalLength { get; set; }
    }
}
