using Conditioning.Conditioners;
using Conditioning.Onnx;
using Conditioning.Pipelines.Denoisers;
using Conditioning.Pipelines.Images;
using Conditioning.Pipelines.Latents;
using Conditioning.Pipelines.Random;
using Conditioning.Pipelines.Schedulers;
using Conditioning.Pipelines.Vae;
using Conditioning.Prompts;

namespace Conditioning.Pipelines.Generation;

/// <summary>
/// Text-to-image from a diffusers ONNX folder: SD-style (SD1.x/SD2/SDXL, UNet, ε or v) and Flux-style (flow
/// matching on packed latents). Prompts go through this library's conditioner (any dialect), or callers bring their
/// own <see cref="DiffusionConditioning"/>; the denoiser, VAE and scheduler are replaceable.
/// </summary>
/// <remarks>
/// Thread-safe: each generation creates its own scheduler and noise stream, and the ONNX components are thread-safe.
/// Dispose releases the components this pipeline loaded.
/// </remarks>
public sealed class DiffusionPipeline : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private DiffusionPipeline(DiffusersModelFolder folder, IPromptConditioner conditioner, IDenoiser denoiser, IVaeDecoder vae, SchedulerConfig scheduler)
    {
        Folder = folder;
        Conditioner = conditioner;
        Denoiser = denoiser;
        Vae = vae;
        SchedulerConfig = scheduler;
    }

    /// <summary>The model folder.</summary>
    public DiffusersModelFolder Folder { get; }

    /// <summary>The text side.</summary>
    public IPromptConditioner Conditioner { get; }

    /// <summary>The UNet or transformer.</summary>
    public IDenoiser Denoiser { get; }

    /// <summary>The VAE decoder.</summary>
    public IVaeDecoder Vae { get; }

    /// <summary>The folder's <c>scheduler/scheduler_config.json</c>.</summary>
    public SchedulerConfig SchedulerConfig { get; }

    /// <summary>The model family.</summary>
    public ModelFamily Family => Folder.Family;

    /// <summary>Loads every component of <paramref name="modelFolder"/>.</summary>
    /// <exception cref="ModelFolderException">The folder is not a known diffusers ONNX layout.</exception>
    /// <exception cref="ModelContractException">A component's inputs/outputs do not match its role.</exception>
    public static DiffusionPipeline Load(string modelFolder, OnnxModelOptions? options = null, Encoders.EmbeddingCache? cache = null)
    {
        DiffusersModelFolder folder = DiffusersModelFolder.Open(modelFolder);

        var owned = new List<IDisposable>();
        try
        {
            IPromptConditioner conditioner = Own(PromptConditioner.FromFolder(folder, options, cache));
            IDenoiser denoiser = folder.Family switch
            {
                ModelFamily.Flux => Own(OnnxFluxTransformer.Load(folder.ModelPath("transformer"), options)),
                ModelFamily.StableDiffusion3 => Own(OnnxSd3Transformer.Load(folder.ModelPath("transformer"), options)),
                _ => Own(OnnxUNetDenoiser.Load(folder.ModelPath("unet"), options)),
            };
            IVaeDecoder vae = Own(OnnxVaeDecoder.Load(folder.ModelPath("vae_decoder"), options));
            SchedulerConfig scheduler = SchedulerConfig.FromFile(Path.Combine(folder.ComponentFolder("scheduler"), "scheduler_config.json"));
            var pipeline = new DiffusionPipeline(folder, conditioner, denoiser, vae, scheduler);
            pipeline._owned.AddRange(owned);
            return pipeline;
        }
        catch
        {
            owned.ForEach(o => o.Dispose());
            throw;
        }

        T Own<T>(T item)
            where T : IDisposable
        {
            owned.Add(item);
            return item;
        }
    }

    /// <summary>
    /// The default image side: the denoiser's fixed latent size × the VAE factor, else the size the configs give
    /// (<see cref="DiffusersModelFolder.NativeImageSize"/>), else 512 (SD) or 1024 (SDXL, SD3, Flux).
    /// </summary>
    public int DefaultImageSize => Denoiser switch
    {
        OnnxUNetDenoiser { LatentHeight: { } h } => h * Folder.Vae.DownsampleFactor,
        OnnxSd3Transformer { LatentHeight: { } h } => h * Folder.Vae.DownsampleFactor,
        _ => Folder.NativeImageSize ?? (Family == ModelFamily.StableDiffusion ? 512 : 1024),
    };

    /// <summary>The CFG scale used when the options do not set one: 7.5 (SD/SDXL), 7 (SD3), 1 (Flux: distilled guidance instead).</summary>
    public float DefaultGuidance => Family switch { ModelFamily.Flux => 1f, ModelFamily.StableDiffusion3 => 7f, _ => 7.5f };

    /// <summary>Encodes <paramref name="prompt"/> (in <paramref name="dialect"/>) and generates an image.</summary>
    /// <exception cref="PromptSyntaxException">The prompt is invalid in its dialect.</exception>
    /// <exception cref="NonFiniteLatentsException">The latents became NaN/∞ (fp16 overflow).</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public async Task<GeneratedImage> GenerateAsync(
        string prompt,
        string? negativePrompt = null,
        PromptDialect dialect = PromptDialect.A1111,
        GenerationOptions? options = null,
        IProgress<GenerationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new GenerationOptions();
        int steps = options.Steps ?? 20;
        int size = DefaultImageSize;
        float guidance = options.GuidanceScale ?? DefaultGuidance;
        var request = new ConditioningRequest
        {
            Prompt = prompt,
            NegativePrompt = negativePrompt,
            Dialect = dialect,
            Steps = steps,
            ClassifierFreeGuidance = guidance > 1,
            Width = options.Width ?? size,
            Height = options.Height ?? size,
        };
        DiffusionConditioning conditioning = await Conditioner.EncodeAsync(request, cancellationToken);
        GeneratedImage image = await GenerateAsync(conditioning, options, progress, cancellationToken);
        return new GeneratedImage(image.Image, image.Parameters with { Prompt = prompt, NegativePrompt = negativePrompt, Dialect = dialect.ToString() });
    }

    /// <summary>Generates an image from conditioning the caller built (ours or their own).</summary>
    /// <exception cref="ArgumentException">The conditioning is for another family.</exception>
    public async Task<GeneratedImage> GenerateAsync(DiffusionConditioning conditioning, GenerationOptions? options = null, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conditioning);
        if (conditioning.Family != Family) throw new ArgumentException($"the conditioning is for {conditioning.Family} but the model is {Family}", nameof(conditioning));
        options ??= new GenerationOptions();
        int steps = options.Steps ?? 20;
        int width = options.Width ?? DefaultImageSize, height = options.Height ?? DefaultImageSize;
        float guidance = options.GuidanceScale ?? DefaultGuidance;
        VaeScaling vae = Folder.Vae;
        IScheduler scheduler = SchedulerFactory.Create(SchedulerConfig, options.Scheduler);
        var noise = new TorchCpuRandom(options.Seed);

        int channels = vae.LatentChannels;
        int h, w;
        int[] shape;
        float[] latents;
        ReadOnlyMemory<float>? imageIds = null;
        if (Family == ModelFamily.Flux)
        {
            h = 2 * (height / (vae.DownsampleFactor * 2));
            w = 2 * (width / (vae.DownsampleFactor * 2));
            var unpacked = new float[channels * h * w];
            noise.FillStandardNormal(unpacked);
            latents = new float[unpacked.Length];
            FluxLatents.Pack(unpacked, 1, channels, h, w, latents);
            shape = [1, h / 2 * (w / 2), channels * 4];
            imageIds = FluxLatents.ImageIds(h, w);
            var flow = (FlowMatchEulerDiscreteScheduler)scheduler;
            double? mu = flow.UsesDynamicShifting ? flow.CalculateShift(shape[1]) : null;
            scheduler.SetTimesteps(steps, new TimestepOptions { Mu = mu, Sigmas = [.. Enumerable.Range(0, steps).Select(i => 1.0 + (i * ((1.0 / steps) - 1.0) / Math.Max(1, steps - 1)))] });
        }
        else
        {
            h = height / vae.DownsampleFactor;
            w = width / vae.DownsampleFactor;
            shape = [1, channels, h, w];
            latents = new float[channels * h * w];
            noise.FillStandardNormal(latents);

            // SD3 passes no explicit sigmas; μ only when its config enables dynamic shifting.
            double? mu = scheduler is FlowMatchEulerDiscreteScheduler { UsesDynamicShifting: true } flow ? flow.CalculateShift(h / 2 * (w / 2)) : null;
            scheduler.SetTimesteps(steps, new TimestepOptions { Mu = mu });
            System.Numerics.Tensors.TensorPrimitives.Multiply(latents, scheduler.InitNoiseSigma, latents);
        }

        IDenoiser denoiser = imageIds is { } ids ? new WithImageIds(Denoiser, ids) : Denoiser;
        await DenoisingLoop.RunAsync(
            latents, shape, scheduler, denoiser, conditioning, guidance, options.GuidanceRescale ?? 0, options.DistilledGuidance ?? 3.5f, noise,
            Family == ModelFamily.Flux ? 1f / 1000 : 1f, progress, cancellationToken);

        float[] decodeInput = latents;
        if (Family == ModelFamily.Flux)
        {
            decodeInput = new float[latents.Length];
            FluxLatents.Unpack(latents, 1, channels, h, w, decodeInput);
        }

        for (int i = 0; i < decodeInput.Length; i++) decodeInput[i] = (float)((decodeInput[i] / vae.ScalingFactor) + vae.ShiftFactor);
        (float[] pixels, int[] pixelShape) = await Vae.DecodeAsync(decodeInput, [1, channels, h, w], cancellationToken);
        if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(pixels)) throw new NonFiniteLatentsException(steps, "in the VAE decoder output");
        var parameters = new GenerationParameters
        {
            Prompt = string.Empty,
            Steps = steps,
            Sampler = scheduler is FlowMatchEulerDiscreteScheduler { StochasticSampling: true } ? $"{scheduler.Name} (stochastic_sampling)" : scheduler.Name,
            GuidanceScale = guidance,
            Seed = options.Seed,
            Width = pixelShape[3],
            Height = pixelShape[2],
            Model = Path.GetFileName(Folder.Path),
        };
        return new GeneratedImage(GeneratedImage.FromTensor(pixels, pixelShape), parameters);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (IDisposable d in _owned) d.Dispose();
        _owned.Clear();
    }

    /// <summary>Adds Flux's img_ids to every call of the inner denoiser.</summary>
    private sealed class WithImageIds(IDenoiser inner, ReadOnlyMemory<float> imageIds) : IDenoiser
    {
        public int MaxBatchSize => inner.MaxBatchSize;

        public Task<float[]> PredictAsync(DenoiserInput input, CancellationToken cancellationToken) =>
            inner.PredictAsync(input with { ImageIds = imageIds }, cancellationToken);
    }
}
