using Conditioning.Conditioners;
using Conditioning.Onnx;
using Conditioning.Pipelines.Latents;

namespace Conditioning.Pipelines.Denoisers;

/// <summary>
/// An SD-style UNet ONNX export (optimum, diffusers script, Olive): <c>sample</c>, <c>timestep</c> (0-d or [B];
/// float32, float16 or int64 — read from the model), <c>encoder_hidden_states</c>, and for SDXL <c>text_embeds</c> and
/// <c>time_ids</c>, for LCM UNets <c>timestep_cond</c> → <c>out_sample</c>.
/// </summary>
/// <remarks>Thread-safe. Dispose releases the session when this instance owns it.</remarks>
public sealed class OnnxUNetDenoiser : IDenoiser, IDisposable
{
    /// <summary>The contract every UNet export must meet.</summary>
    public static ModelContract Contract { get; } = new(
        "UNet",
        inputs:
        [
            new TensorRequirement("sample", [OnnxElementType.Float32, OnnxElementType.Float16], [4]),
            new TensorRequirement("timestep", [OnnxElementType.Float32, OnnxElementType.Float16, OnnxElementType.Int64, OnnxElementType.Int32], [0, 1]),
            new TensorRequirement("encoder_hidden_states", [OnnxElementType.Float32, OnnxElementType.Float16], [3]),
            new TensorRequirement("text_embeds", [OnnxElementType.Float32, OnnxElementType.Float16], [2], isOptional: true),
            new TensorRequirement("time_ids", [OnnxElementType.Float32, OnnxElementType.Float16], [2], isOptional: true),
            new TensorRequirement("timestep_cond", [OnnxElementType.Float32, OnnxElementType.Float16], [2], isOptional: true),
        ],
        outputs: [new TensorRequirement("out_sample", [OnnxElementType.Float32, OnnxElementType.Float16], [4])]);

    private readonly IOnnxModel _model;
    private readonly bool _ownsModel;
    private readonly OnnxTensorInfo _timestep;

    /// <summary>Wraps a loaded UNet.</summary>
    /// <exception cref="ModelContractException">The model is not a UNet.</exception>
    public OnnxUNetDenoiser(IOnnxModel model, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        Contract.Validate(model.Metadata);
        _model = model;
        _ownsModel = ownsModel;
        _timestep = model.Metadata.InputsByName["timestep"];
        OnnxTensorInfo sample = model.Metadata.InputsByName["sample"];
        MaxBatchSize = sample.Dimensions[0] ?? int.MaxValue;
        LatentChannels = sample.Dimensions[1];
        LatentHeight = sample.Dimensions[2];
        LatentWidth = sample.Dimensions[3];
        IsSdxl = model.Metadata.InputsByName.ContainsKey("text_embeds");
        TimestepCondDim = model.Metadata.InputsByName.TryGetValue("timestep_cond", out OnnxTensorInfo? tc) ? tc.Dimensions[1] ?? 256 : null;
    }

    /// <summary>Loads <c>unet/model.onnx</c>.</summary>
    public static OnnxUNetDenoiser Load(string path, OnnxModelOptions? options = null) => new(OnnxModel.Load(path, options, Contract), ownsModel: true);

    /// <inheritdoc/>
    public int MaxBatchSize { get; }

    /// <summary>Latent channels, when the export fixes them.</summary>
    public int? LatentChannels { get; }

    /// <summary>Latent height, when the export fixes it.</summary>
    public int? LatentHeight { get; }

    /// <summary>Latent width, when the export fixes it.</summary>
    public int? LatentWidth { get; }

    /// <summary>Whether the UNet takes SDXL's <c>text_embeds</c> and <c>time_ids</c>.</summary>
    public bool IsSdxl { get; }

    /// <summary>The width of an LCM UNet's <c>timestep_cond</c>, or null.</summary>
    public int? TimestepCondDim { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">SDXL inputs are needed but the conditioning lacks pooled embeddings or time ids.</exception>
    public async Task<float[]> PredictAsync(DenoiserInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        int batch = input.Shape[0];
        var inputs = new Dictionary<string, ModelTensor>
        {
            ["sample"] = ModelTensor.Create(input.Latents, input.Shape),
            ["timestep"] = Timestep(input.Timestep, batch),
            ["encoder_hidden_states"] = Stack(input.Conditioning, e => e.Sequence, "encoder_hidden_states"),
        };
        if (IsSdxl)
        {
            inputs["text_embeds"] = Stack(input.Conditioning, e => e.Pooled ?? throw new ArgumentException("this SDXL UNet needs pooled text embeds (text_embeds)"), "text_embeds");
            inputs["time_ids"] = Stack(input.Conditioning, e => e.TimeIds ?? throw new ArgumentException("this SDXL UNet needs time_ids"), "time_ids");
        }

        if (TimestepCondDim is { } dim)
        {
            float[] embedding = GuidanceEmbedding.Compute(input.Guidance ?? 8.5f, dim);
            float[] all = new float[batch * dim];
            for (int b = 0; b < batch; b++) embedding.CopyTo(all, b * dim);
            inputs["timestep_cond"] = ModelTensor.Create<float>(all, batch, dim);
        }

        ModelOutputs outputs = await _model.RunAsync(inputs, ["out_sample"], cancellationToken);
        return outputs["out_sample"].Span.ToArray();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }

    private ModelTensor Timestep(float t, int batch)
    {
        bool integer = _timestep.ElementType is OnnxElementType.Int64 or OnnxElementType.Int32;
        if (_timestep.Rank == 0)
        {
            return integer ? ModelTensor.Scalar((long)t) : ModelTensor.Scalar(t);
        }

        // diffusers' ONNX pipeline builds np.array([t], dtype=<the input's type>): integer types truncate.
        return integer ? ModelTensor.Create<long>(Enumerable.Repeat((long)t, batch).ToArray(), batch) : ModelTensor.Create<float>(Enumerable.Repeat(t, batch).ToArray(), batch);
    }

    internal static ModelTensor<float> Stack(IReadOnlyList<PromptEmbeddings> items, Func<PromptEmbeddings, ModelTensor<float>> select, string name)
    {
        ModelTensor<float> first = select(items[0]);
        int per = first.Data.Length;
        var data = new float[per * items.Count];
        for (int b = 0; b < items.Count; b++)
        {
            ModelTensor<float> t = select(items[b]);
            if (!t.Shape.Equals(first.Shape)) throw new ArgumentException($"{name}: batch item {b} is {t.Shape} but item 0 is {first.Shape}; pad prompts of a batch to the same length");
            t.Span.CopyTo(data.AsSpan(b * per));
        }

        int[] dims = [.. first.Shape.Dimensions];
        dims[0] = items.Count;
        return new ModelTensor<float>(data, dims);
    }
}
