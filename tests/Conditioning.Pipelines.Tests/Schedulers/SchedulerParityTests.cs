using System.Text.Json;
using Conditioning.Pipelines.Schedulers;

namespace Conditioning.Pipelines.Tests.Schedulers;

/// <summary>
/// Every case of the shared scheduler vectors (diffusers' own schedulers run in float32) reproduced with the toy
/// models the file defines: timesteps, sigmas, initial noise sigma, the per-step sums and the final latents.
/// </summary>
public sealed class SchedulerParityTests
{
    private const int Size = 64;

    public static IEnumerable<object[]> Cases => SchedulerVectors.Ids;

    [Fact]
    public void TheReferenceFileHoldsAllCases() => Assert.Equal(78, SchedulerVectors.Cases.Length);

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReproducesTimestepsSigmasAndFinalLatents(string id)
    {
        SchedulerCase c = SchedulerVectors.Get(id);
        string className = c.Scheduler.Split(' ', '(')[0];
        IScheduler scheduler = SchedulerFactory.Create(c.Config, className);
        scheduler.SetTimesteps(c.Steps, TimestepOptionsFor(c, scheduler));

        Assert.Equal(c.Timesteps.Length, scheduler.Timesteps.Count);
        for (int i = 0; i < c.Timesteps.Length; i++) Assert.True(Math.Abs(c.Timesteps[i] - scheduler.Timesteps[i]) <= 1e-3, $"timestep {i}: expected {c.Timesteps[i]}, got {scheduler.Timesteps[i]}");
        if (c.Sigmas is { Length: > 0 } sigmas)
        {
            Assert.Equal(sigmas.Length, scheduler.Sigmas.Count);
            for (int i = 0; i < sigmas.Length; i++) Assert.True(Math.Abs(sigmas[i] - scheduler.Sigmas[i]) <= 1e-4 * Math.Max(1, sigmas[i]), $"sigma {i}: expected {sigmas[i]}, got {scheduler.Sigmas[i]}");
        }

        Assert.True(Math.Abs(c.InitNoiseSigma - scheduler.InitNoiseSigma) <= 1e-4 * Math.Max(1, c.InitNoiseSigma), $"init_noise_sigma: expected {c.InitNoiseSigma}, got {scheduler.InitNoiseSigma}");

        float[] latents = RunToyLoop(c, scheduler, out double[] sums);
        for (int k = 0; k < c.TraceSums.Length; k++) Assert.True(Math.Abs(c.TraceSums[k] - sums[k]) <= 1e-3 * Math.Max(1, Math.Abs(c.TraceSums[k])), $"step {k} sum: expected {c.TraceSums[k]}, got {sums[k]}");
        for (int i = 0; i < Size; i++) Assert.True(Math.Abs(c.FinalLatent[i] - latents[i]) <= 1e-4 * Math.Max(1, Math.Abs(c.FinalLatent[i])), $"final latent {i}: expected {c.FinalLatent[i]}, got {latents[i]}");
    }

    private static TimestepOptions? TimestepOptionsFor(SchedulerCase c, IScheduler scheduler)
    {
        if (scheduler is not FlowMatchEulerDiscreteScheduler flow) return null;
        bool pipelineSigmas = c.Raw.TryGetProperty("pipeline_sigmas", out JsonElement ps) && ps.ValueKind == JsonValueKind.String;
        double? mu = null;
        if (c.Raw.TryGetProperty("image_seq_len", out JsonElement seq))
        {
            mu = flow.CalculateShift(seq.GetInt32());
            Assert.Equal(c.Raw.GetProperty("mu").GetDouble(), mu.Value, 6);
        }

        return new TimestepOptions
        {
            Mu = mu,
            Sigmas = pipelineSigmas ? [.. Enumerable.Range(0, c.Steps).Select(i => 1.0 + (i * ((1.0 / c.Steps) - 1.0) / Math.Max(1, c.Steps - 1)))] : null,
        };
    }

    private static float[] RunToyLoop(SchedulerCase c, IScheduler scheduler, out double[] sums)
    {
        bool flow = scheduler is FlowMatchEulerDiscreteScheduler;
        var x = new float[Size];
        for (int i = 0; i < Size; i++) x[i] = (float)(Math.Sin((1.3 * i) + 0.5) * (flow ? 1.0 : scheduler.InitNoiseSigma));

        double? guidance = c.Raw.TryGetProperty("guidance", out JsonElement g) ? g.GetDouble() : null;
        double? cfg = c.Raw.TryGetProperty("cfg", out JsonElement cfgJson) ? cfgJson.GetProperty("guidance_scale").GetDouble() : null;
        var noise = new CosineNoise();
        var input = new float[Size];
        var output = new float[Size];
        sums = new double[scheduler.Timesteps.Count];
        for (int step = 0; step < scheduler.Timesteps.Count; step++)
        {
            double t = scheduler.Timesteps[step];
            scheduler.ScaleModelInput(x, step, input);
            for (int i = 0; i < Size; i++)
            {
                double value;
                if (flow)
                {
                    double uncond = (0.2 * x[i]) + (0.05 * t / 1000) + (guidance is { } gd ? 0.01 * gd : 0);
                    value = cfg is { } s ? uncond + (s * ((0.25 * x[i]) - (0.02 * t / 1000) - uncond)) : uncond;
                }
                else
                {
                    double uncond = (0.1 * input[i]) + (0.05 * t / 1000);
                    value = cfg is { } s ? uncond + (s * ((0.12 * input[i]) - (0.03 * t / 1000) - uncond)) : uncond;
                }

                output[i] = (float)value;
            }

            scheduler.Step(output, step, x, noise);
            sums[step] = x.Sum(v => (double)v);
        }

        return x;
    }
}
