using System.Text.Json;
using Conditioning.Pipelines.Schedulers;

namespace Conditioning.Pipelines.Tests.Schedulers;

/// <summary>
/// diffusers' <c>FlowMatchEulerDiscreteScheduler(stochastic_sampling=True)</c>: x0 = x − σ·v, then
/// x' = (1 − σ_next)·x0 + σ_next·ε with fresh noise at every step. The shared vectors hold no stochastic case, so the
/// expectation is that formula evaluated here in double precision, on the shared file's toy flow model and its
/// deterministic cosine "noise" (see <see cref="SchedulerParityTests"/>), over sigmas computed here from diffusers'
/// schedule (linspace of 1000·σ from 1 to 1/1000, static shift s·σ/(1 + (s − 1)σ)).
/// </summary>
public sealed class FlowMatchStochasticSamplingTests
{
    private const int Size = 64;

    [Fact]
    public void ReadsTheFlagFromTheDiffusersConfig()
    {
        using JsonDocument on = JsonDocument.Parse("""{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 3.0, "stochastic_sampling": true}""");
        using JsonDocument off = JsonDocument.Parse("""{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 3.0}""");
        var stochastic = (FlowMatchEulerDiscreteScheduler)SchedulerFactory.Create(SchedulerConfig.FromJson(on.RootElement, "on.json"));
        var plain = (FlowMatchEulerDiscreteScheduler)SchedulerFactory.Create(SchedulerConfig.FromJson(off.RootElement, "off.json"));
        Assert.True(stochastic.StochasticSampling);
        Assert.True(stochastic.UsesNoise);
        Assert.False(plain.StochasticSampling);
        Assert.False(plain.UsesNoise);

        // The short names override the config either way.
        Assert.False(((FlowMatchEulerDiscreteScheduler)SchedulerFactory.Create(SchedulerConfig.FromJson(on.RootElement, "on.json"), "flow_euler_ode")).UsesNoise);
        Assert.True(((FlowMatchEulerDiscreteScheduler)SchedulerFactory.Create(SchedulerConfig.FromJson(off.RootElement, "off.json"), "flow_euler_stochastic")).UsesNoise);
    }

    [Fact]
    public void RejectsAStochasticStepWithoutNoise()
    {
        var scheduler = new FlowMatchEulerDiscreteScheduler(new SchedulerConfig { StochasticSampling = true });
        scheduler.SetTimesteps(4);
        var x = new float[Size];
        var v = new float[Size];
        Assert.Throws<ArgumentException>(() => scheduler.Step(v, 0, x));
    }

    [Theory]
    [InlineData(1.0, 10)]
    [InlineData(3.0, 7)]
    public void FollowsTheDiffusersFormulaOnTheToyLoop(double shift, int steps)
    {
        var scheduler = new FlowMatchEulerDiscreteScheduler(new SchedulerConfig { Shift = shift, StochasticSampling = true });
        scheduler.SetTimesteps(steps);

        double[] sigmas = ExpectedSigmas(shift, steps);
        var expected = new double[Size];
        var x = new float[Size];
        for (int i = 0; i < Size; i++)
        {
            expected[i] = Math.Sin((1.3 * i) + 0.5);
            x[i] = (float)expected[i];
        }

        var noise = new CosineNoise();
        var v = new float[Size];
        for (int k = 0; k < steps; k++)
        {
            Assert.Equal(sigmas[k], scheduler.Sigmas[k], 5);
            double t = 1000 * sigmas[k];
            for (int i = 0; i < Size; i++) v[i] = (float)((0.2 * x[i]) + (0.05 * t / 1000));
            scheduler.Step(v, k, x, noise);

            // The reference, in double, from the same toy model evaluated on the reference's own state.
            for (int i = 0; i < Size; i++)
            {
                double velocity = (0.2 * expected[i]) + (0.05 * t / 1000);
                double x0 = expected[i] - (sigmas[k] * velocity);
                expected[i] = ((1 - sigmas[k + 1]) * x0) + (sigmas[k + 1] * Math.Cos((0.7 * i) + (1.1 * k) + 0.3));
            }

            for (int i = 0; i < Size; i++) Assert.True(Math.Abs(expected[i] - x[i]) <= 1e-5, $"step {k}, element {i}: expected {expected[i]}, got {x[i]}");
        }

        Assert.Equal(steps, noise.Draws);
    }

    [Fact]
    public void LandsOnTheDataPointWhenTheVelocityIsExact()
    {
        // Data concentrated at c: the exact velocity is v = (x − c)/σ, so x0 = c at every step whatever the noise was,
        // and the last step (σ_next = 0) returns c.
        var scheduler = new FlowMatchEulerDiscreteScheduler(new SchedulerConfig { StochasticSampling = true });
        scheduler.SetTimesteps(8);
        var c = new float[Size];
        var x = new float[Size];
        for (int i = 0; i < Size; i++)
        {
            c[i] = (float)Math.Cos(0.37 * i);
            x[i] = (float)Math.Sin((1.3 * i) + 0.5);
        }

        var noise = new CosineNoise();
        var v = new float[Size];
        for (int k = 0; k < 8; k++)
        {
            for (int i = 0; i < Size; i++) v[i] = (x[i] - c[i]) / scheduler.Sigmas[k];
            scheduler.Step(v, k, x, noise);
        }

        for (int i = 0; i < Size; i++) Assert.Equal(c[i], x[i], 5);
    }

    private static double[] ExpectedSigmas(double shift, int steps)
    {
        double Shifted(double s) => shift * s / (1 + ((shift - 1) * s));
        double max = Shifted(1.0) * 1000, min = Shifted(1.0 / 1000) * 1000;
        var sigmas = new double[steps + 1];
        for (int k = 0; k < steps; k++) sigmas[k] = Shifted((max + ((min - max) * k / Math.Max(1, steps - 1))) / 1000);
        return sigmas;
    }
}
