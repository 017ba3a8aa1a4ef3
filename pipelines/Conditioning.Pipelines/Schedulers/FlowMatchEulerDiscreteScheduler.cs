namespace Conditioning.Pipelines.Schedulers;

/// <summary>
/// diffusers' <c>FlowMatchEulerDiscreteScheduler</c> (SD3, Flux): rectified-flow Euler steps x' = x + (σ_{i+1} − σ_i)·v
/// over shifted sigmas — a static shift s·σ/(1 + (s−1)σ), or with dynamic shifting e^μ/(e^μ + 1/σ − 1).
/// Timesteps are 1000·σ (the Flux transformer takes σ itself: divide by 1000). With <c>stochastic_sampling</c> each step
/// instead predicts x0 = x − σ·v and re-noises it to the next level, x' = (1 − σ_{i+1})·x0 + σ_{i+1}·ε, with fresh noise
/// drawn at every step (the last one multiplies it by σ = 0), as diffusers does.
/// </summary>
/// <remarks>Not thread-safe: one instance per generation.</remarks>
public sealed class FlowMatchEulerDiscreteScheduler : IScheduler
{
    private readonly int _trainSteps;
    private readonly double _shift;
    private readonly bool _dynamic;
    private readonly bool _stochastic;
    private readonly SchedulerConfig _config;
    private float[] _timesteps = [];
    private float[] _sigmas = [];
    private int _next;

    /// <summary>Creates the scheduler from a diffusers config (defaults: 1000 steps, shift 1, no dynamic shifting, deterministic).</summary>
    public FlowMatchEulerDiscreteScheduler(SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _trainSteps = config.NumTrainTimesteps ?? 1000;
        _shift = config.Shift ?? 1.0;
        _dynamic = config.UseDynamicShifting ?? false;
        _stochastic = config.StochasticSampling ?? false;
    }

    /// <inheritdoc/>
    public string Name => "FlowMatchEulerDiscreteScheduler";

    /// <inheritdoc/>
    public IReadOnlyList<float> Timesteps => _timesteps;

    /// <inheritdoc/>
    public IReadOnlyList<float> Sigmas => _sigmas;

    /// <inheritdoc/>
    public float InitNoiseSigma => 1f;

    /// <inheritdoc/>
    public bool UsesNoise => _stochastic;

    /// <summary>Whether steps re-noise the predicted x0 with fresh noise (diffusers' <c>stochastic_sampling</c>).</summary>
    public bool StochasticSampling => _stochastic;

    /// <summary>Whether <see cref="TimestepOptions.Mu"/> is required (dynamic shifting).</summary>
    public bool UsesDynamicShifting => _dynamic;

    /// <summary>
    /// The Flux pipeline's μ for an image of <paramref name="imageSequenceLength"/> packed tokens: linear from
    /// base_shift at base_image_seq_len to max_shift at max_image_seq_len (0.5 at 256 → 1.15 at 4096 by default).
    /// </summary>
    public double CalculateShift(int imageSequenceLength)
    {
        double baseLen = _config.BaseImageSeqLen ?? 256, maxLen = _config.MaxImageSeqLen ?? 4096;
        double baseShift = _config.BaseShift ?? 0.5, maxShift = _config.MaxShift ?? 1.15;
        double m = (maxShift - baseShift) / (maxLen - baseLen);
        double b = baseShift - (m * baseLen);
        return (imageSequenceLength * m) + b;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">Dynamic shifting is on and <see cref="TimestepOptions.Mu"/> is missing, or explicit sigmas do not number <paramref name="steps"/>.</exception>
    public void SetTimesteps(int steps, TimestepOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        double[] sigmas;
        if (options?.Sigmas is { } given)
        {
            if (given.Count != steps) throw new ArgumentException($"{given.Count} explicit sigmas were given for {steps} steps", nameof(options));
            sigmas = [.. given];
        }
        else
        {
            // The training sigmas are shifted once; their extremes span the inference grid, which is shifted again.
            double sigmaMax = _dynamic ? 1.0 : StaticShift(1.0);
            double sigmaMin = _dynamic ? 1.0 / _trainSteps : StaticShift(1.0 / _trainSteps);
            sigmas = [.. DiscreteSchedule.Linspace(sigmaMax * _trainSteps, sigmaMin * _trainSteps, steps).Select(t => t / _trainSteps)];
        }

        if (_dynamic)
        {
            double mu = options?.Mu ?? throw new ArgumentException("this flow-matching config uses dynamic shifting: pass TimestepOptions.Mu (see CalculateShift)", nameof(options));
            double e = Math.Exp(mu);
            sigmas = [.. sigmas.Select(s => e / (e + ((1 / s) - 1)))];
        }
        else
        {
            sigmas = [.. sigmas.Select(StaticShift)];
        }

        _timesteps = [.. sigmas.Select(s => (float)(s * _trainSteps))];
        _sigmas = [.. sigmas.Select(s => (float)s), 0f];
        _next = 0;
    }

    /// <inheritdoc/>
    public void ScaleModelInput(ReadOnlySpan<float> sample, int stepIndex, Span<float> destination) => sample.CopyTo(destination);

    /// <inheritdoc/>
    public void Step(ReadOnlySpan<float> modelOutput, int stepIndex, Span<float> sample, INoiseSource? noise = null)
    {
        SchedulerMath.CheckIndex(stepIndex, _timesteps.Length, _next);
        SchedulerMath.CheckLengths(modelOutput, sample);
        float sigma = _sigmas[stepIndex], sigmaNext = _sigmas[stepIndex + 1];
        if (_stochastic)
        {
            var n = new float[sample.Length];
            SchedulerMath.RequireNoise(noise, Name).FillStandardNormal(n);
            for (int i = 0; i < sample.Length; i++)
            {
                float x0 = sample[i] - (sigma * modelOutput[i]);
                sample[i] = ((1f - sigmaNext) * x0) + (sigmaNext * n[i]);
            }
        }
        else
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(modelOutput, sigmaNext - sigma, sample, sample);
        }

        _next++;
    }

    private double StaticShift(double sigma) => _shift * sigma / (1 + ((_shift - 1) * sigma));
}
