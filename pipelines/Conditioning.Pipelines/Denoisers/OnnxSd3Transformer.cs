using Conditioning.Onnx;

namespace Conditioning.Pipelines.Denoisers;

/// <summary>
/// An SD3 MMDiT ONNX export (optimum's <c>sd3-transformer-2d</c>, OnnxStack's): <c>hidden_states</c> [B, 16, h, w],
/// <c>encoder_hidden_states</c> [B, S, 4096], <c>pooled_projections</c> [B, 2048], <c>timestep</c> [B] on the 0…1000
/// scale → the flow velocity (<c>out_hidden_states</c>, or the export's single output such as <c>out_sample</c>).
/// </summary>
/// <remarks>Thread-safe. Dispose releases the session when this instance owns it.</remarks>
public sealed class OnnxSd3Transformer : IDenoiser, IDisposable
{
    private static readonly OnnxElementType[] Floats = [OnnxElementType.Float32, OnnxElementType.Float16, OnnxElementType.BFloat16];

    /// <summary>The contract every SD3 transformer export must meet.</summary>
    public static ModelContract Contract { get; } = new(
        "SD3 transformer",
        inputs:
        [
            new TensorRequirement("hidden_states", Floats, [4]),
            new TensorRequirement("encoder_hidden_states", Floats, [3]),
            new TensorRequirement("pooled_projections", Floats, [2]),
            new TensorRequirement("timestep", [.. Floats, OnnxElementType.Int64], [1]),
        ],
        outputs: [new TensorRequirement("*", Floats, [4])]);

    private readonly IOnnxModel _model;
    private readonly bool _ownsModel;
    private readonly string _output;

    /// <summary>Wraps a loaded transformer.</summary>
    /// <exception cref="ModelContractException">The model is not an SD3 transformer.</exception>
    public OnnxSd3Transformer(IOnnxModel model, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        Contract.Validate(model.Metadata);
        _model = model;
        _ownsModel = ownsModel;
        _output = model.Metadata.OutputsByName.ContainsKey("out_hidden_states") ? "out_hidden_states" : model.Metadata.Outputs[0].Name;
        OnnxTensorInfo hidden = model.Metadata.InputsByName["hidden_states"];
        MaxBatchSize = hidden.Dimensions[0] ?? int.MaxValue;
        LatentHeight = hidden.Dimensions[2];
    }

    /// <summary>Loads <c>transformer/model.onnx</c>.</summary>
    public static OnnxSd3Transformer Load(string path, OnnxModelOptions? options = null) => new(OnnxModel.Load(path, options, Contract), ownsModel: true);

    /// <inheritdoc/>
    public int MaxBatchSize { get; }

    /// <summary>The latent height, when the export fixes it.</summary>
    public int? LatentHeight { get; }

    /// <inheritdoc/>
    public async Task<float[]> PredictAsync(DenoiserInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        int batch = input.Shape[0];
        var inputs = new Dictionary<string, ModelTensor>
        {
            ["hidden_states"] = ModelTensor.Create(input.Latents, input.Shape),
            ["encoder_hidden_states"] = OnnxUNetDenoiser.Stack(input.Conditioning, e => e.Sequence, "encoder_hidden_states"),
            ["pooled_projections"] = OnnxUNetDenoiser.Stack(input.Conditioning, e => e.Pooled ?? throw new ArgumentException("SD3 needs pooled_projections"), "pooled_projections"),
            ["timestep"] = ModelTensor.Create<float>(Enumerable.Repeat(input.Timestep, batch).ToArray(), batch),
        };
        ModelOutputs outputs = await _model.RunAsync(inputs, [_output], cancellationToken);
        return outputs[_output].Span.ToArray();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }
}
