namespace Conditioning.Pipelines.Schedulers;

/// <summary>
/// diffusers' <c>EulerAncestralDiscreteScheduler</c>: the Euler step to σ_down plus fresh noise scaled by σ_up, where
/// σ_up = √(σ_to²(σ²−σ_to²)/σ²) and σ_down = √(σ_to² − σ_up²). Same sigmas and input scaling as Euler.
/// </summary>
/// <remarks>Not thread-safe: one instance per generation.</remarks>
public sealed class EulerAncestralDiscreteScheduler : EulerDiscreteScheduler
{
    /// <summary>Creates the scheduler from a diffusers config.</summary>
    /// <exception cref="SchedulerConfigException">The config asks for an unsupported schedule.</exception>
    public EulerAncestralDiscreteScheduler(SchedulerConfig config)
        : base(config with { UseKarrasSigmas = false })
    {
    }

    /// <inheritdoc/>
    public override string Name => "EulerAncestralDiscreteScheduler";

    /// <inheritdoc/>
    public override bool UsesNoise => true;

    private protected override void Advance(Span<float> sample, ReadOnlySpan<float> x0, double sigma, double sigmaNext, int stepIndex, INoiseSource? noise)
    {
        INoiseSource source = SchedulerMath.RequireNoise(noise, Name);
        double up = Math.Sqrt(sigmaNext * sigmaNext * ((sigma * sigma) - (sigmaNext * sigmaNext)) / (sigma * sigma));
        double down = Math.Sqrt((sigmaNext * sigmaNext) - (up * up));
        double dt = down - sigma;
        float[] n = new float[sample.Length];
        source.FillStandardNormal(n);
        for (int i = 0; i < sample.Length; i++)
        {
            double derivative = (sample[i] - x0[i]) / sigma;
            sample[i] = (float)(sample[i] + (derivative * dt) + (n[i] * up));
        }
    }
}
