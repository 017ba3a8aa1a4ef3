using Conditioning.Onnx;

namespace Conditioning.Pipelines.Vae;

/// <summary>A <c>vae_decoder/model.onnx</c>: <c>latent_sample</c> [B, C, h, w] → <c>sample</c> [B, 3, H, W] in [−1, 1].</summary>
/// <remarks>Thread-safe. Dispose releases the session when this instance owns it.</remarks>
public sealed class OnnxVaeDecoder : IVaeDecoder, IDisposable
{
    /// <summary>The contract every VAE decoder export must meet.</summary>
    public static ModelContract Contract { get; } = new(
        "VAE decoder",
        inputs: [new TensorRequirement("latent_sample", [OnnxElementType.Float32, OnnxElementType.Float16], [4])],
        outputs: [new TensorRequirement("sample", [OnnxElementType.Float32, OnnxElementType.Float16], [4])]);

    private readonly IOnnxModel _model;
    private readonly bool _ownsModel;

    /// <summary>Wraps a loaded decoder.</summary>
    /// <exception cref="ModelContractException">The model is not a VAE decoder.</exception>
    public OnnxVaeDecoder(IOnnxModel model, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        Contract.Validate(model.Metadata);
        _model = model;
        _ownsModel = ownsModel;
    }

    /// <summary>Loads <c>vae_decoder/model.onnx</c>.</summary>
    public static OnnxVaeDecoder Load(string path, OnnxModelOptions? options = null) => new(OnnxModel.Load(path, options, Contract), ownsModel: true);

    /// <inheritdoc/>
    public async Task<(float[] Pixels, int[] Shape)> DecodeAsync(float[] latents, int[] shape, CancellationToken cancellationToken)
    {
        ModelOutputs outputs = await _model.RunAsync(
            new Dictionary<string, ModelTensor> { ["latent_sample"] = ModelTensor.Create<float>(latents, shape) }, ["sample"], cancellationToken);
        ModelTensor<float> sample = outputs["sample"];
        return (sample.Span.ToArray(), [.. sample.Shape.Dimensions]);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }
}
