using System.Globalization;
using System.Numerics.Tensors;
using System.Text.RegularExpressions;
using Conditioning.Onnx;

namespace Conditioning.Encoders;

/// <summary>
/// Runs any CLIP text-encoder ONNX export — diffusers/Olive (<c>input_ids</c> int32), optimum (int64), with
/// <c>pooler_output</c> (CLIPTextModel) or <c>text_embeds</c> (CLIPTextModelWithProjection), with or without
/// <c>hidden_states.N</c> — on batches of 77-token id sequences, and returns the hidden layer a pipeline asks for.
/// Clip skip takes <c>hidden_states.N</c> and applies the export's own final LayerNorm, whose weights are read from
/// the ONNX file, so results equal the PyTorch model's.
/// </summary>
/// <remarks>
/// Thread-safe: encoding may run concurrently (ONNX Runtime sessions are). Dispose releases the session when this
/// instance owns it. The batch axis is used when the model declares it dynamic; otherwise sequences run one by one.
/// </remarks>
public sealed class ClipTextEncoder : IDisposable
{
    private static readonly Regex HiddenStateName = new(@"^hidden_states\.(\d+)$", RegexOptions.CultureInvariant);

    /// <summary>The contract every CLIP text export must meet.</summary>
    public static ModelContract Contract { get; } = new(
        "CLIP text encoder",
        inputs: [new TensorRequirement("input_ids", [OnnxElementType.Int32, OnnxElementType.Int64], [2])],
        outputs:
        [
            new TensorRequirement("last_hidden_state", [OnnxElementType.Float32, OnnxElementType.Float16], [3]),
            new TensorRequirement("pooler_output", [OnnxElementType.Float32, OnnxElementType.Float16], [2], isOptional: true),
            new TensorRequirement("text_embeds", [OnnxElementType.Float32, OnnxElementType.Float16], [2], isOptional: true),
            new TensorRequirement("hidden_states.*", [OnnxElementType.Float32, OnnxElementType.Float16], [3], isOptional: true),
        ]);

    private readonly IOnnxModel _model;
    private readonly bool _ownsModel;
    private readonly string? _modelPath;
    private readonly Lazy<(float[] Scale, float[] Bias, float Epsilon)> _finalNorm;
    private readonly bool _dynamicBatch;

    /// <summary>Wraps an already loaded model (validated against <see cref="Contract"/>).</summary>
    /// <param name="model">The ONNX model.</param>
    /// <param name="ownsModel">Whether <see cref="Dispose"/> disposes <paramref name="model"/>.</param>
    /// <param name="layerNormEpsilon">The final LayerNorm epsilon when the graph does not say (CLIP config <c>layer_norm_eps</c>, 1e-5).</param>
    /// <exception cref="ModelContractException">The model is not a CLIP text encoder.</exception>
    /// <param name="cache">A cache of per-sequence results shared across encoders, or null for none.</param>
    public ClipTextEncoder(IOnnxModel model, bool ownsModel = false, float layerNormEpsilon = 1e-5f, EmbeddingCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Contract.Validate(model.Metadata);
        _model = model;
        _ownsModel = ownsModel;
        _modelPath = model.Metadata.ModelPath;
        OnnxTensorInfo hidden = model.Metadata.OutputsByName["last_hidden_state"];
        HiddenSize = hidden.Dimensions[2] ?? -1;
        HiddenLayers = [.. model.Metadata.Outputs.Select(o => HiddenStateName.Match(o.Name)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order()];
        HasPoolerOutput = model.Metadata.OutputsByName.ContainsKey("pooler_output");
        HasTextEmbeds = model.Metadata.OutputsByName.ContainsKey("text_embeds");
        _dynamicBatch = model.Metadata.InputsByName["input_ids"].Dimensions[0] is null;
        FixedLength = model.Metadata.InputsByName["input_ids"].Dimensions[1];
        _finalNorm = new(() => ReadFinalNorm(layerNormEpsilon));
        Cache = cache;
    }

    /// <summary>Loads <c>text_encoder/model.onnx</c> (or any CLIP text export), reading <c>config.json</c> beside it when present.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelLoadException">The file is not a loadable ONNX model.</exception>
    /// <exception cref="ModelContractException">The model is not a CLIP text encoder.</exception>
    public static ClipTextEncoder Load(string modelPath, OnnxModelOptions? options = null, EmbeddingCache? cache = null)
    {
        OnnxModel model = OnnxModel.Load(modelPath, options, Contract);
        try
        {
            return new ClipTextEncoder(model, ownsModel: true, ComponentConfig.Read(modelPath).LayerNormEpsilon ?? 1e-5f, cache);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The width of the hidden states (768 for CLIP-L, 1280 for OpenCLIP-G); −1 when the export leaves it symbolic.</summary>
    public int HiddenSize { get; }

    /// <summary>The indices N of the <c>hidden_states.N</c> outputs (0 = embeddings … L = last layer); empty when the export has none.</summary>
    public IReadOnlyList<int> HiddenLayers { get; }

    /// <summary>The number of transformer layers L, or null when the export has no hidden-state outputs.</summary>
    public int? LayerCount => HiddenLayers.Count > 0 ? HiddenLayers[^1] : null;

    /// <summary>Whether the export has <c>pooler_output</c>.</summary>
    public bool HasPoolerOutput { get; }

    /// <summary>Whether the export has <c>text_embeds</c>.</summary>
    public bool HasTextEmbeds { get; }

    /// <summary>The sequence length the export fixes, or null when it is dynamic.</summary>
    public int? FixedLength { get; }

    /// <summary>The cache consulted per sequence, if any.</summary>
    public EmbeddingCache? Cache { get; }

    /// <summary>The ONNX file, for cache keys and messages.</summary>
    public string? ModelPath => _modelPath;

    /// <summary>Encodes equal-length id sequences (usually 77 each) in one batch where the model allows.</summary>
    /// <param name="sequences">Token ids, BOS … EOS + padding, all the same length.</param>
    /// <param name="layer">The hidden layer to return; default <see cref="ClipLayerSelection.Last"/>.</param>
    /// <param name="cancellationToken">Stops a running inference.</param>
    /// <returns>Sequence [B, S, H], and the pooled outputs the export has.</returns>
    /// <exception cref="ArgumentException">No sequences, unequal lengths, or a length the model does not accept.</exception>
    /// <exception cref="NotSupportedException">The layer needs <c>hidden_states.N</c> outputs the export lacks.</exception>
    public async Task<ClipTextEncoding> EncodeAsync(IReadOnlyList<int[]> sequences, ClipLayerSelection? layer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("at least one sequence is needed", nameof(sequences));
        int length = sequences[0].Length;
        if (sequences.Any(s => s.Length != length)) throw new ArgumentException("all sequences of a batch must have the same length", nameof(sequences));
        if (FixedLength is { } fixedLength && fixedLength != length)
        {
            throw new ArgumentException($"'{_modelPath}' takes exactly {fixedLength} tokens per sequence, got {length}", nameof(sequences));
        }

        layer ??= ClipLayerSelection.Last;
        string variant = string.Create(CultureInfo.InvariantCulture, $"clip:{layer.FromEnd}:{layer.ApplyFinalLayerNorm}");
        ModelTensor<float>[] outputs = await CachedBatch.EncodeAsync(sequences, Cache, _modelPath ?? "(model)", variant, async batch =>
        {
            ClipTextEncoding e = await EncodeUncachedAsync(batch, layer, cancellationToken);
            return [e.Sequence, .. e.PoolerOutput is { } p ? [p] : Array.Empty<ModelTensor<float>>(), .. e.TextEmbeds is { } t ? [t] : Array.Empty<ModelTensor<float>>()];
        });
        return new ClipTextEncoding(outputs[0], HasPoolerOutput ? outputs[1] : null, HasTextEmbeds ? outputs[^1] : null);
    }

    private async Task<ClipTextEncoding> EncodeUncachedAsync(IReadOnlyList<int[]> sequences, ClipLayerSelection layer, CancellationToken cancellationToken)
    {
        string sequenceOutput = SequenceOutputName(layer);
        var wanted = new List<string> { sequenceOutput };
        if (HasPoolerOutput) wanted.Add("pooler_output");
        if (HasTextEmbeds) wanted.Add("text_embeds");

        var parts = new List<ModelOutputs>();
        if (_dynamicBatch || sequences.Count == 1)
        {
            parts.Add(await RunAsync(sequences, wanted, cancellationToken));
        }
        else
        {
            foreach (int[] s in sequences) parts.Add(await RunAsync([s], wanted, cancellationToken));
        }

        ModelTensor<float> sequence = BatchTensors.Concat(parts.Select(p => p[sequenceOutput]).ToList());
        if (!layer.IsLastHiddenState && layer.ApplyFinalLayerNorm) sequence = ApplyFinalNorm(sequence);
        return new ClipTextEncoding(
            sequence,
            HasPoolerOutput ? BatchTensors.Concat(parts.Select(p => p["pooler_output"]).ToList()) : null,
            HasTextEmbeds ? BatchTensors.Concat(parts.Select(p => p["text_embeds"]).ToList()) : null);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }

    private Task<ModelOutputs> RunAsync(IReadOnlyList<int[]> batch, IReadOnlyCollection<string> outputs, CancellationToken cancellationToken)
    {
        int length = batch[0].Length;
        var ids = new long[batch.Count * length];
        for (int b = 0; b < batch.Count; b++)
        {
            for (int i = 0; i < length; i++) ids[(b * length) + i] = batch[b][i];
        }

        var inputs = new Dictionary<string, ModelTensor> { ["input_ids"] = ModelTensor.Create<long>(ids, batch.Count, length) };
        return _model.RunAsync(inputs, outputs, cancellationToken);
    }

    private string SequenceOutputName(ClipLayerSelection layer)
    {
        if (layer.IsLastHiddenState) return "last_hidden_state";
        if (LayerCount is not { } count)
        {
            throw new NotSupportedException(
                $"Clip skip / layer {layer.FromEnd} from the end needs hidden_states.N outputs, but '{_modelPath}' exports only " +
                $"{string.Join(", ", _model.Metadata.Outputs.Select(o => o.Name))}. Re-export the text encoder with output_hidden_states=True " +
                "(as optimum does for SDXL/SD3), or use the last layer.");
        }

        int index = count + 1 - layer.FromEnd;
        if (index < 0 || !HiddenLayers.Contains(index))
        {
            throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer.FromEnd} from the end is hidden_states.{index}, which '{_modelPath}' does not export (it has hidden_states.0…{count})");
        }

        return string.Create(CultureInfo.InvariantCulture, $"hidden_states.{index}");
    }

    internal ModelTensor<float> ApplyFinalNorm(ModelTensor<float> hidden)
    {
        (float[] scale, float[] bias, float epsilon) = _finalNorm.Value;
        int width = hidden.Shape[hidden.Shape.Rank - 1];
        if (scale.Length != width) throw new ModelLoadException(_modelPath ?? "(model)", $"the final LayerNorm of '{_modelPath}' has {scale.Length} weights but the hidden states are {width} wide", null);
        float[] data = hidden.Span.ToArray();
        for (int offset = 0; offset < data.Length; offset += width)
        {
            Span<float> row = data.AsSpan(offset, width);
            float mean = TensorPrimitives.Sum<float>(row) / width;
            TensorPrimitives.Subtract(row, mean, row);
            float variance = TensorPrimitives.SumOfSquares<float>(row) / width;
            TensorPrimitives.Multiply(row, 1f / MathF.Sqrt(variance + epsilon), row);
            TensorPrimitives.FusedMultiplyAdd(row, scale, bias, row);
        }

        return new ModelTensor<float>(data, hidden.Shape);
    }

    private (float[] Scale, float[] Bias, float Epsilon) ReadFinalNorm(float defaultEpsilon)
    {
        if (_modelPath is null || !File.Exists(_modelPath))
        {
            throw new NotSupportedException("Applying the final LayerNorm needs the ONNX file to read its weights from; this encoder wraps a model without a file path.");
        }

        var graph = OnnxGraphFile.Read(_modelPath);
        var found = graph.FindLayerNorm("last_hidden_state", "final_layer_norm")
            ?? throw new ModelLoadException(_modelPath, $"'{_modelPath}' has no LayerNormalization feeding last_hidden_state and no *final_layer_norm.weight/bias initializers, so clip skip cannot apply the final LayerNorm.", null);
        return (found.Scale, found.Bias, found.Epsilon ?? defaultEpsilon);
    }
}
