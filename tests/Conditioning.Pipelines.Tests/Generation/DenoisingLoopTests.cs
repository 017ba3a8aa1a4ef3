using Conditioning.Conditioners;
using Conditioning.Onnx;
using Conditioning.Pipelines.Denoisers;
using Conditioning.Pipelines.Generation;
using Conditioning.Pipelines.Schedulers;
using Conditioning.Pipelines.Tests.Schedulers;

namespace Conditioning.Pipelines.Tests.Generation;

/// <summary>
/// The loop against the CFG cases of ../shared/pipelines/scheduler_vectors.json (diffusers' schedulers with toy
/// models whose conditional and unconditional predictions differ), plus composable-diffusion, batching,
/// cancellation and NaN behaviour.
/// </summary>
public sealed class DenoisingLoopTests
{
    private static readonly PromptEmbeddings Negative = Embeddings(0);
    private static readonly PromptEmbeddings Positive = Embeddings(1);

    public static TheoryData<string, int> CfgCases => new()
    {
        { "sdxl/euler/leading/20/cfg5", 1 },
        { "sdxl/euler/leading/20/cfg5", 2 },
        { "sd3/flow_euler/20/cfg7", 1 },
        { "sd3/flow_euler/20/cfg7", 2 },
    };

    [Theory]
    [MemberData(nameof(CfgCases))]
    public async Task ReproducesTheReferenceCfgLoops(string id, int maxBatch)
    {
        SchedulerCase c = SchedulerVectors.Get(id);
        bool flow = id.StartsWith("sd3", StringComparison.Ordinal);
        IScheduler scheduler = SchedulerFactory.Create(c.Config, flow ? "FlowMatchEulerDiscreteScheduler" : "EulerDiscreteScheduler");
        scheduler.SetTimesteps(c.Steps);
        float[] latents = InitialLatents(flow ? 1f : scheduler.InitNoiseSigma);
        var denoiser = new ToyDenoiser(flow, maxBatch);
        var conditioning = new DiffusionConditioning(ModelFamily.StableDiffusionXL, ConditioningSchedule.Single(Positive), ConditioningSchedule.Single(Negative));

        await DenoisingLoop.RunAsync(latents, [1, 4, 4, 4], scheduler, denoiser, conditioning, (float)c.Raw.GetProperty("cfg").GetProperty("guidance_scale").GetDouble());

        for (int i = 0; i < latents.Length; i++) Assert.True(Math.Abs(c.FinalLatent[i] - latents[i]) <= 1e-4 * Math.Max(1, Math.Abs(c.FinalLatent[i])), $"latent {i}: expected {c.FinalLatent[i]}, got {latents[i]}");
        Assert.Equal(maxBatch == 2 ? c.Steps : 2 * c.Steps, denoiser.Calls);
    }

    [Fact]
    public async Task SplittingAPromptIntoEquallyWeightedAndPartsChangesNothing()
    {
        var single = new DiffusionConditioning(ModelFamily.StableDiffusion, ConditioningSchedule.Single(Positive), ConditioningSchedule.Single(Negative));
        var split = new DiffusionConditioning(
            ModelFamily.StableDiffusion,
            new ConditioningSchedule([new ConditioningPart(0.5, Positive), new ConditioningPart(0.5, Positive)]),
            ConditioningSchedule.Single(Negative));
        float[] a = await Run(single);
        float[] b = await Run(split);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 5);
    }

    [Fact]
    public async Task UsesTheScheduledEmbeddingsOfEachStep()
    {
        var denoiser = new ToyDenoiser(flow: false, maxBatch: 2);
        var part = new ConditioningPart(1.0, [(1, Positive), (int.MaxValue, Embeddings(2))]);
        var conditioning = new DiffusionConditioning(ModelFamily.StableDiffusion, new ConditioningSchedule([part]), ConditioningSchedule.Single(Negative));
        await Run(conditioning, denoiser);
        Assert.Equal([1f, 1f, 2f, 2f], denoiser.ConditionalTags);
    }

    [Fact]
    public async Task StopsBetweenStepsWhenCancelled()
    {
        using var cts = new CancellationTokenSource();
        var reports = new List<GenerationProgress>();
        var progress = new SyncProgress(p =>
        {
            reports.Add(p);
            if (p.Step == 2) cts.Cancel();
        });
        var conditioning = new DiffusionConditioning(ModelFamily.StableDiffusion, ConditioningSchedule.Single(Positive), ConditioningSchedule.Single(Negative));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Run(conditioning, progress: progress, cancellationToken: cts.Token));
        Assert.Equal(2, reports.Count);
    }

    [Fact]
    public async Task ReportsNaNLatentsWithTheStep()
    {
        var conditioning = new DiffusionConditioning(ModelFamily.StableDiffusion, ConditioningSchedule.Single(Positive), null);
        var e = await Assert.ThrowsAsync<NonFiniteLatentsException>(() => Run(conditioning, new ToyDenoiser(flow: false, maxBatch: 1, nanAtCall: 3)));
        Assert.Equal(3, e.Step);
        Assert.Contains("float16", e.Message, StringComparison.Ordinal);
    }

    private static async Task<float[]> Run(DiffusionConditioning conditioning, ToyDenoiser? denoiser = null, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        IScheduler scheduler = new EulerDiscreteScheduler(new SchedulerConfig { BetaSchedule = "scaled_linear", BetaStart = 0.00085, BetaEnd = 0.012, StepsOffset = 1, TimestepSpacing = "leading" });
        scheduler.SetTimesteps(4);
        float[] latents = InitialLatents(scheduler.InitNoiseSigma);
        await DenoisingLoop.RunAsync(latents, [1, 4, 4, 4], scheduler, denoiser ?? new ToyDenoiser(false, 2), conditioning, 5f, progress: progress, cancellationToken: cancellationToken);
        return latents;
    }

    private static float[] InitialLatents(float sigma) => [.. Enumerable.Range(0, 64).Select(i => (float)(Math.Sin((1.3 * i) + 0.5) * sigma))];

    private static PromptEmbeddings Embeddings(float tag) => new(ModelTensor.Create<float>(new[] { tag }, 1, 1, 1));

    /// <summary>The reference file's toy models: tag 0 = unconditional, anything else = conditional.</summary>
    private sealed class ToyDenoiser(bool flow, int maxBatch, int nanAtCall = -1) : IDenoiser
    {
        public int MaxBatchSize => maxBatch;

        public int Calls { get; private set; }

        public List<float> ConditionalTags { get; } = [];

        public Task<float[]> PredictAsync(DenoiserInput input, CancellationToken cancellationToken)
        {
            Calls++;
            int per = input.Latents.Length / input.Conditioning.Count;
            var output = new float[input.Latents.Length];
            ReadOnlySpan<float> x = input.Latents.Span;
            double t = input.Timestep;
            for (int b = 0; b < input.Conditioning.Count; b++)
            {
                float tag = input.Conditioning[b].Sequence.Span[0];
                if (tag != 0) ConditionalTags.Add(tag);
                for (int i = 0; i < per; i++)
                {
                    double v = x[(b * per) + i];
                    output[(b * per) + i] = (float)(flow
                        ? tag == 0 ? (0.2 * v) + (0.05 * t / 1000) : (0.25 * v) - (0.02 * t / 1000)
                        : tag == 0 ? (0.1 * v) + (0.05 * t / 1000) : (0.12 * v) - (0.03 * t / 1000));
                }
            }

            if (Calls == nanAtCall) output[5] = float.NaN;
            return Task.FromResult(output);
        }
    }

    private sealed class SyncProgress(Action<GenerationProgress> report) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value) => report(value);
    }
}
