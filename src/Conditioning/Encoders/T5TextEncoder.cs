using Conditioning.Onnx;

namespace Conditioning.Encoders;

/// <summary>
/// Runs a T5 encoder ONNX export (<c>input_ids</c> int64 or int32 [B,S] → <c>last_hidden_state</c> [B,S,D]) as
/// Flux's <c>text_encoder_2</c> and SD3's <c>text_encoder_3</c> are used: no attention mask (an export that declares
/// <c>attention_mask</c> gets all ones, which is what an unpadded-mask pipeline passes).
/// </summary>
/// <remarks>Thread-safe. The batch axis is used when the model declares it dynamic; otherwise sequences run one by one.</remarks>
public sealed class T5TextEncoder : IDisposable
{
    /// <summary>The contract every T5 encoder export must meet.</summary>
    public static ModelContract Contract { get; } = new(
        "T5 text encoder",
        inputs:
        [
            new TensorRequirement("input_ids", [OnnxElementType.Int32, OnnxElementType.Int64], [2]),
            new TensorRequirement("attention_mask", [OnnxElementType.Int32, OnnxElementType.Int64], [2], isOptional: true),
        ],
        outputs: [new TensorRequirement("last_hidden_state", [OnnxElementType.Float32, OnnxElementType.Float16], [3])]);

    private readonly IOnnxModel _model;
    private readonly bool _ownsModel;
    private readonly bool _dynamicBatch;
    private readonly bool _hasMask;

    /// <summary>Wraps an already loaded model.</summary>
    /// <exception cref="ModelContractException">The model is not a T5 encoder.</exception>
    public T5TextEncoder(IOnnxModel model, bool ownsModel = false, EmbeddingCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Contract.Validate(model.Metadata);
        _model = model;
        _ownsModel = ownsModel;
        Cache = cache;
        OnnxTensorInfo ids = model.Metadata.InputsByName["input_ids"];
        _dynamicBatch = ids.Dimensions[0] is null;
        FixedLength = ids.Dimensions[1];
        _hasMask = model.Metadata.InputsByName.ContainsKey("attention_mask");
        HiddenSize = model.Metadata.OutputsByName["last_hidden_state"].Dimensions[2] ?? -1;
    }

    /// <summary>Loads <c>text_encoder_2/model.onnx</c> (Flux) or <c>text_encoder_3/model.onnx</c> (SD3).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelLoadException">The file is not a loadable ONNX model.</exception>
    /// <exception cref="ModelContractException">The model is not a T5 encoder.</exception>
    public static T5TextEncoder Load(string modelPath, OnnxModelOptions? options = null, EmbeddingCache? cache = null)
    {
        OnnxModel model = OnnxModel.Load(modelPath, options, Contract);
        return new T5TextEncoder(model, ownsModel: true, cache);
    }

    /// <summary>The width D of the hidden states (4096 for T5-XXL); −1 when symbolic.</summary>
    public int HiddenSize { get; }

    /// <summary>The sequence length the export fixes, or null when dynamic.</summary>
    public int? FixedLength { get; }

    /// <summary>The cache consulted per sequence, if any.</summary>
    public EmbeddingCache? Cache { get; }

    /// <summary>Encodes equal-length id sequences (padded to the pipeline's max_sequence_length).</summary>
    /// <returns><c>last_hidden_state</c>, [B, S, D].</returns>
    /// <exception cref="ArgumentException">No sequences, unequal lengths, or a length the model does not accept.</exception>
    public async Task<ModelTensor<float>> EncodeAsync(IReadOnlyList<int[]> sequences, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("at least one sequence is needed", nameof(sequences));
        int length = sequences[0].Length;
        if (sequences.Any(s => s.Length != length)) throw new ArgumentException("all sequences of a batch must have the same length", nameof(sequences));
        if (FixedLength is { } fixedLength && fixedLength != length)
        {
            throw new ArgumentException($"'{_model.Metadata.ModelPath}' takes exactly {fixedLength} tokens per sequence, got {length}", nameof(sequences));
        }

        ModelTensor<float>[] outputs = await CachedBatch.EncodeAsync(sequences, Cache, _model.Metadata.ModelPath, "t5", async batch =>
        {
            if (_dynamicBatch || batch.Count == 1) return [await RunAsync(batch, cancellationToken)];
            var parts = new List<ModelTensor<float>>();
            foreach (int[] s in batch) parts.Add(await RunAsync([s], cancellationToken));
            return [BatchTensors.Concat(parts)];
        });
        return outputs[0];
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }

    private async Task<ModelTensor<float>> RunAsync(IReadOnlyList<int[]> batch, CancellationToken cancellationToken)
    {
        int length = batch[0].Length;
        var ids = new long[batch.Count * length];
        for (int b = 0; b < batch.Count; b++)
        {
            for (int i = 0; i < length; i++) ids[(b * length) + i] = batch[b][i];
        }

        var inputs = new Dictionary<string, ModelTensor> { ["input_ids"] = ModelTensor.Create<long>(ids, batch.Count, length) };
        if (_hasMask)
        {
            long[] mask = new long[ids.Length];
            Array.Fill(mask, 1L);
            inputs["attention_mask"] = ModelTensor.Create<long>(mask, batch.Count, length);
        }

        ModelOutputs outputs = await _model.RunAsync(inputs, ["last_hidden_state"], cancellationToken);
        return outputs["last_hidden_state"];
    }
}
