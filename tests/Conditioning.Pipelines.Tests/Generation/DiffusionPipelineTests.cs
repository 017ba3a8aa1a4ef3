using Conditioning.Conditioners;
using Conditioning.Pipelines.Generation;
using Conditioning.Pipelines.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;

namespace Conditioning.Pipelines.Tests.Generation;

/// <summary>
/// The whole pipeline on the toy diffusers folders of Fixtures/ (real ONNX contracts, arithmetic networks): loading,
/// conditioning, latents, packing, decoding, PNG metadata, determinism and cancellation.
/// </summary>
public sealed class DiffusionPipelineTests
{
    private static string Toy(string name) => RepoPaths.Of("tests", "Conditioning.Pipelines.Tests", "Fixtures", name);

    [Fact]
    public async Task GeneratesAnSdImageOfTheUNetsNativeSize()
    {
        using DiffusionPipeline pipeline = DiffusionPipeline.Load(Toy("toy-sd"));
        Assert.Equal(ModelFamily.StableDiffusion, pipeline.Family);
        using GeneratedImage image = await pipeline.GenerateAsync("a (red:1.2) circle", "blurry", options: new GenerationOptions { Seed = 7, Steps = 4 });
        Assert.Equal((32, 32), (image.Image.Width, image.Image.Height));
        Assert.Equal("EulerDiscreteScheduler", image.Parameters.Sampler);
    }

    [Fact]
    public async Task TheSameSeedGivesTheSameImageAndAnotherSeedDoesNot()
    {
        using DiffusionPipeline pipeline = DiffusionPipeline.Load(Toy("toy-sd"));
        byte[] a = await Png(pipeline, 1), b = await Png(pipeline, 1), c = await Png(pipeline, 2);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task WritesTheParametersIntoThePng()
    {
        using DiffusionPipeline pipeline = DiffusionPipeline.Load(Toy("toy-sd"));
        using GeneratedImage image = await pipeline.GenerateAsync("a red circle", "blue", options: new GenerationOptions { Seed = 42, Steps = 3, GuidanceScale = 5 });
        using var stream = new MemoryStream();
        await image.SavePngAsync(stream);
        stream.Position = 0;
        using Image loaded = await Image.LoadAsync(stream);
        string parameters = loaded.Metadata.GetPngMetadata().TextData.Single(t => t.Keyword == "parameters").Value;
        Assert.StartsWith("a red circle\nNegative prompt: blue\nSteps: 3, Sampler: EulerDiscreteScheduler, CFG scale: 5, Seed: 42, Size: 32x32, Model: toy-sd", parameters, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GeneratesAFluxImageFromPackedLatents()
    {
        using DiffusionPipeline pipeline = DiffusionPipeline.Load(Toy("toy-flux"));
        Assert.Equal(ModelFamily.Flux, pipeline.Family);
        var steps = new List<GenerationProgress>();
        using GeneratedImage image = await pipeline.GenerateAsync("a red circle", options: new GenerationOptions { Seed = 3, Steps = 4, Width = 32, Height = 32 }, progress: new Collect(steps));
        Assert.Equal((32, 32), (image.Image.Width, image.Image.Height));
        Assert.Equal("FlowMatchEulerDiscreteScheduler", image.Parameters.Sampler);
        Assert.Equal([1, 2, 3, 4], steps.Select(s => s.Step));
    }

    [Fact]
    public async Task StochasticFlowSamplingDrawsItsNoiseFromTheSeed()
    {
        using DiffusionPipeline pipeline = DiffusionPipeline.Load(Toy("toy-flux"));
        async Task<byte[]> Run(ulong seed, string scheduler)
        {
            using GeneratedImage image = await pipeline.GenerateAsync("a red circle", options: new GenerationOptions { Seed = seed, Steps = 4, Width = 32, Height = 32, Scheduler = scheduler });
            Assert.Equal(scheduler == "flow_euler_stochastic" ? "FlowMatchEulerDiscreteScheduler (stochastic_sampling)" : "FlowMatchEulerDiscreteScheduler", image.Parameters.Sampler);
            return await Bytes(image);
        }

        byte[] a = await Run(3, "flow_euler_stochastic"), b = await Run(3, "flow_euler_stochastic"), c = await Run(4, "flow_euler_stochastic");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, await Run(3, "flow_euler_ode"));
    }

    [Fact]
    public async Task RunsTrueCfgForFluxWhenANegativeAndAScaleAreGiven()
    {
        using DiffusionPipeline pipeline = DiffusionPipeline.Load(Toy("toy-flux"));
        var options = new GenerationOptions { Seed = 3, Steps = 2, Width = 32, Height = 32, GuidanceScale = 4 };
        using GeneratedImage with = await pipeline.GenerateAsync("a red circle", "blue", options: options);
        using GeneratedImage without = await pipeline.GenerateAsync("a red circle", options: options);
        Assert.NotEqual(await Bytes(with), await Bytes(without));
    }

    [Fact]
    public async Task GeneratesAnSd3ImageWithTheTransformerAndAllThreeEncoders()
    {
        using DiffusionPipeline pipeline = DiffusionPipeline.Load(Toy("toy-sd3"));
        Assert.Equal(ModelFamily.StableDiffusion3, pipeline.Family);
        Assert.Equal(7f, pipeline.DefaultGuidance);
        using GeneratedImage image = await pipeline.GenerateAsync("a red circle", "blurry", options: new GenerationOptions { Seed = 1, Steps = 3 });
        Assert.Equal((32, 32), (image.Image.Width, image.Image.Height));
        Assert.Equal("FlowMatchEulerDiscreteScheduler", image.Parameters.Sampler);
    }

    [Fact]
    public async Task StopsWhenCancelled()
    {
        using DiffusionPipeline pipeline = DiffusionPipeline.Load(Toy("toy-sd"));
        using var cts = new CancellationTokenSource();
        var progress = new Collect([], p =>
        {
            if (p.Step == 1) cts.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pipeline.GenerateAsync("a circle", options: new GenerationOptions { Steps = 10 }, progress: progress, cancellationToken: cts.Token));
    }

    [Fact]
    public async Task RejectsConditioningForAnotherFamily()
    {
        using DiffusionPipeline pipeline = DiffusionPipeline.Load(Toy("toy-sd"));
        var flux = new DiffusionConditioning(ModelFamily.Flux, ConditioningSchedule.Single(new PromptEmbeddings(Onnx.ModelTensor.Create<float>(new float[8], 1, 1, 8))), null);
        await Assert.ThrowsAsync<ArgumentException>(() => pipeline.GenerateAsync(flux));
    }

    private static async Task<byte[]> Png(DiffusionPipeline pipeline, ulong seed)
    {
        using GeneratedImage image = await pipeline.GenerateAsync("a circle", options: new GenerationOptions { Seed = seed, Steps = 3 });
        return await Bytes(image);
    }

    private static async Task<byte[]> Bytes(GeneratedImage image)
    {
        using var stream = new MemoryStream();
        await image.Image.SaveAsPngAsync(stream, new PngEncoder());
        return stream.ToArray();
    }

    private sealed class Collect(List<GenerationProgress> into, Action<GenerationProgress>? also = null) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value)
        {
            into.Add(value);
            also?.Invoke(value);
        }
    }
}
