namespace Conditioning.Pipelines.Schedulers;

/// <summary>
/// diffusers' <c>EulerDiscreteScheduler</c> (Karras et al. Algorithm 2 without churn): σ_i interpolated from the
/// training sigmas at fractional timesteps, input scaled by 1/√(σ²+1), x' = x + (x − x0)/σ · (σ_{i+1} − σ_i).
/// </summary>
/// <remarks>Not thread-safe: one instance per generation.</remarks>
public class EulerDiscreteScheduler : IScheduler
{
    private readonly DiscreteSchedule _schedule;
    private readonly string _spacing;
    private readonly int _offset;
    private readonly bool _karras;
    private float[] _timesteps = [];
    private float[] _sigmas = [];
    private int _next;

    /// <summary>Creates the scheduler from a diffusers config (class defaults: linspace spacing, epsilon).</summary>
    /// <exception cref="SchedulerConfigException">The config asks for an unsupported schedule.</exception>
    public EulerDiscreteScheduler(SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _schedule = new DiscreteSchedule(config);
        _spacing = config.TimestepSpacing ?? "linspace";
        _offset = config.StepsOffset ?? 0;
        _karras = config.UseKarrasSigmas ?? false;
        PredictionType = config.PredictionType ?? "epsilon";
    }

    /// <inheritdoc/>
    public virtual string Name => "EulerDiscreteScheduler";

    /// <summary>What the model predicts: epsilon or v_prediction.</summary>
    public string PredictionType { get; }

    /// <inheritdoc/>
    public IReadOnlyList<float> Timesteps => _timesteps;

    /// <inheritdoc/>
    public IReadOnlyList<float> Sigmas => _sigmas;

    /// <inheritdoc/>
    public float InitNoiseSigma { get; private set; } = 1f;

    /// <inheritdoc/>
    public virtual bool UsesNoise => false;

    /// <inheritdoc/>
    public void SetTimesteps(int steps, TimestepOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        int t = _schedule.TrainSteps;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, t);
        double[] timesteps = _spacing switch
        {
            "linspace" => [.. DiscreteSchedule.Linspace(0, t - 1, steps).Reverse()],
            "leading" => [.. Enumerable.Range(0, steps).Select(i => (double)(i * (t / steps)) + _offset).Reverse()],
            "trailing" => [.. DiscreteSchedule.Arange(t, 0, -(double)t / steps).Select(v => Math.Round(v) - 1)],
            _ => throw new SchedulerConfigException($"timestep_spacing '{_spacing}' is not supported; expected leading, linspace or trailing"),
        };

        (timesteps, double[] sigmas) = _schedule.SigmasFor(timesteps, _karras);

        _timesteps = [.. timesteps.Select(v => (float)v)];
        _sigmas = [.. sigmas.Select(v => (float)v), 0f];
        float max = _sigmas.Max();
        InitNoiseSigma = _spacing is "linspace" or "trailing" ? max : (float)Math.Sqrt((max * (double)max) + 1);
        _next = 0;
    }

    /// <inheritdoc/>
    public void ScaleModelInput(ReadOnlySpan<float> sample, int stepIndex, Span<float> destination)
    {
        double sigma = _sigmas[stepIndex];
        float scale = (float)(1 / Math.Sqrt((sigma * sigma) + 1));
        System.Numerics.Tensors.TensorPrimitives.Multiply(sample, scale, destination);
    }

    /// <inheritdoc/>
    public void Step(ReadOnlySpan<float> modelOutput, int stepIndex, Span<float> sample, INoiseSource? noise = null)
    {
        SchedulerMath.CheckIndex(stepIndex, _timesteps.Length, _next);
        SchedulerMath.CheckLengths(modelOutput, sample);
        double sigma = _sigmas[stepIndex];
        double sigmaNext = _sigmas[stepIndex + 1];
        Span<float> x0 = sample.Length <= 4096 ? stackalloc float[sample.Length] : new float[sample.Length];
        PredictOriginal(modelOutput, sample, sigma, x0);
        Advance(sample, x0, sigma, sigmaNext, stepIndex, noise);
        _next++;
    }

    /// <summary>Moves <paramref name="sample"/> from σ to σ_next given the predicted x0.</summary>
    private protected virtual void Advance(Span<float> sample, ReadOnlySpan<float> x0, double sigma, double sigmaNext, int stepIndex, INoiseSource? noise)
    {
        double dt = sigmaNext - sigma;
        for (int i = 0; i < sample.Length; i++)
        {
            double derivative = (sample[i] - x0[i]) / sigma;
            sample[i] = (float)(sample[i] + (derivative * dt));
        }
    }

    private void PredictOriginal(ReadOnlySpan<float> output, ReadOnlySpan<float> sample, double sigma, Span<float> x0)
    {
        switch (PredictionType)
        {
            case "epsilon":
                for (int i = 0; i < x0.Length; i++) x0[i] = (float)(sample[i] - (sigma * output[i]));
                break;
            case "v_prediction":
                double c = -sigma / Math.Sqrt((sigma * sigma) + 1), d = 1 / ((sigma * sigma) + 1);
                for (int i = 0; i < x0.Length; i++) x0[i] = (float)((output[i] * c) + (sample[i] * d));
                break;
            default:
                throw new SchedulerConfigException($"prediction_type '{PredictionType}' is not supported by {Name}; expected epsilon or v_prediction");
        }
    }
}
