using Conditioning.Onnx;

namespace Conditioning.Pipelines.Denoisers;

/// <summary>
/// A Flux transformer ONNX export (optimum's <c>flux-transformer-2d</c> and OnnxStack's): <c>hidden_states</c>
/// [B, N, 4C] packed latents, <c>encoder_hidden_states</c>, <c>pooled_projections</c>, <c>timestep</c> [B] = σ,
/// <c>img_ids</c> and <c>txt_ids</c> (2-D, or 3-D in exports older than diffusers 0.31), and <c>guidance</c> [B] for
/// guidance-distilled (dev) models → the velocity (<c>out_hidden_states</c>, or the export's single output).
/// </summary>
/// <remarks>Thread-safe. Dispose releases the session when this instance owns it.</remarks>
public sealed class OnnxFluxTransformer : IDenoiser, IDisposable
{
    private static readonly OnnxElementType[] Floats = [OnnxElementType.Float32, OnnxElementType.Float16, OnnxElementType.BFloat16];

    /// <summary>The contract every Flux transformer export must meet.</summary>
    public static ModelContract Contract { get; } = new(
        "Flux transformer",
        inputs:
        [
            new TensorRequirement("hidden_states", Floats, [3]),
            new TensorRequirement("encoder_hidden_states", Floats, [3]),
            new TensorRequirement("pooled_projections", Floats, [2]),
            new TensorRequirement("timestep", Floats, [1]),
            new TensorRequirement("img_ids", [.. Floats, OnnxElementType.Int64, OnnxElementType.Int32], [2, 3]),
            new TensorRequirement("txt_ids", [.. Floats, OnnxElementType.Int64, OnnxElementType.Int32], [2, 3]),
            new TensorRequirement("guidance", Floats, [1], isOptional: true),
        ],
        outputs: [new TensorRequirement("*", Floats, [3])]);

    private readonly IOnnxModel _model;
    private readonly bool _ownsModel;
    private readonly string _output;
    private readonly bool _idsHaveBatch;

    /// <summary>Wraps a loaded transformer.</summary>
    /// <exception cref="ModelContractException">The model is not a Flux transformer.</exception>
    public OnnxFluxTransformer(IOnnxModel model, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        Contract.Validate(model.Metadata);
        _model = model;
        _ownsModel = ownsModel;
        _output = model.Metadata.OutputsByName.ContainsKey("out_hidden_states") ? "out_hidden_states" : model.Metadata.Outputs[0].Name;
        _idsHaveBatch = model.Metadata.InputsByName["img_ids"].Rank == 3;
        HasGuidance = model.Metadata.InputsByName.ContainsKey("guidance");
        MaxBatchSize = model.Metadata.InputsByName["hidden_states"].Dimensions[0] ?? int.MaxValue;
    }

    /// <summary>Loads <c>transformer/model.onnx</c>.</summary>
    public static OnnxFluxTransformer Load(string path, OnnxModelOptions? options = null) => new(OnnxModel.Load(path, options, Contract), ownsModel: true);

    /// <inheritdoc/>
    public int MaxBatchSize { get; }

    /// <summary>Whether the model takes a distilled <c>guidance</c> input (Flux-dev); schnell does not.</summary>
    public bool HasGuidance { get; }

    /// <inheritdoc/>
    /// <remarks><see cref="DenoiserInput.Timestep"/> must already be σ (the pipeline divides the scheduler's timestep by 1000).</remarks>
    /// <exception cref="ArgumentException">Image ids, pooled embeddings or text ids are missing.</exception>
    public async Task<float[]> PredictAsync(DenoiserInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        int batch = input.Shape[0];
        ReadOnlyMemory<float> imageIds = input.ImageIds ?? throw new ArgumentException("Flux needs img_ids for the packed latents");
        int tokens = imageIds.Length / 3;
        var inputs = new Dictionary<string, ModelTensor>
        {
            ["hidden_states"] = ModelTensor.Create(input.Latents, input.Shape),
            ["encoder_hidden_states"] = OnnxUNetDenoiser.Stack(input.Conditioning, e => e.Sequence, "encoder_hidden_states"),
            ["pooled_projections"] = OnnxUNetDenoiser.Stack(input.Conditioning, e => e.Pooled ?? throw new ArgumentException("Flux needs pooled_projections (CLIP pooler_output)"), "pooled_projections"),
            ["timestep"] = ModelTensor.Create<float>(Enumerable.Repeat(input.Timestep, batch).ToArray(), batch),
            ["img_ids"] = Ids(imageIds, tokens, batch),
        };
        ModelTensor<float> textIds = input.Conditioning[0].TextIds ?? throw new ArgumentException("Flux needs txt_ids");
        inputs["txt_ids"] = Ids(textIds.Data, textIds.Shape[0], batch);
        if (HasGuidance) inputs["guidance"] = ModelTensor.Create<float>(Enumerable.Repeat(input.Guidance ?? 3.5f, batch).ToArray(), batch);
        ModelOutputs outputs = await _model.RunAsync(inputs, [_output], cancellationToken);
        return outputs[_output].Span.ToArray();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }

    private ModelTensor Ids(ReadOnlyMemory<float> ids, int rows, int batch)
    {
        if (!_idsHaveBatch) return ModelTensor.Create(ids, rows, 3);
        var data = new float[batch * ids.Length];
        for (int b = 0; b < batch; b++) ids.Span.CopyTo(data.AsSpan(b * ids.Length));
        return ModelTensor.Create<float>(data, batch, rows, 3);
    }
}
