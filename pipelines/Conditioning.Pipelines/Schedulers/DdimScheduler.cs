namespace Conditioning.Pipelines.Schedulers;

/// <summary>
/// diffusers' <c>DDIMScheduler</c> with η = 0: x0 from the model output, then x' = √ᾱ_prev·x0 + √(1−ᾱ_prev)·ε̂ with
/// prev = t − T/N. No input scaling; initial noise σ = 1.
/// </summary>
/// <remarks>Not thread-safe: one instance per generation.</remarks>
public sealed class DdimScheduler : IScheduler
{
    private readonly DiscreteSchedule _schedule;
    private readonly string _spacing;
    private readonly int _offset;
    private readonly double _finalAlpha;
    private readonly bool _clip;
    private readonly double _clipRange;
    private float[] _timesteps = [];
    private int _steps;
    private int _next;

    /// <summary>Creates the scheduler from a diffusers config (class defaults: leading spacing, set_alpha_to_one, clip_sample).</summary>
    /// <exception cref="SchedulerConfigException">The config asks for an unsupported schedule.</exception>
    public DdimScheduler(SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _schedule = new DiscreteSchedule(config);
        _spacing = config.TimestepSpacing ?? "leading";
        _offset = config.StepsOffset ?? 0;
        _finalAlpha = config.SetAlphaToOne ?? true ? 1.0 : _schedule.AlphasCumprod[0];
        _clip = config.ClipSample ?? true;
        _clipRange = config.ClipSampleRange ?? 1.0;
        PredictionType = config.PredictionType ?? "epsilon";
    }

    /// <inheritdoc/>
    public string Name => "DDIMScheduler";

    /// <summary>What the model predicts: epsilon, v_prediction or sample.</summary>
    public string PredictionType { get; }

    /// <inheritdoc/>
    public IReadOnlyList<float> Timesteps => _timesteps;

    /// <inheritdoc/>
    public IReadOnlyList<float> Sigmas => [];

    /// <inheritdoc/>
    public float InitNoiseSigma => 1f;

    /// <inheritdoc/>
    public bool UsesNoise => false;

    /// <inheritdoc/>
    public void SetTimesteps(int steps, TimestepOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, _schedule.TrainSteps);
        _timesteps = [.. _schedule.IntegerTimesteps(steps, _spacing, _offset).Select(v => (float)v)];
        _steps = steps;
        _next = 0;
    }

    /// <inheritdoc/>
    public void ScaleModelInput(ReadOnlySpan<float> sample, int stepIndex, Span<float> destination) => sample.CopyTo(destination);

    /// <inheritdoc/>
    public void Step(ReadOnlySpan<float> modelOutput, int stepIndex, Span<float> sample, INoiseSource? noise = null)
    {
        SchedulerMath.CheckIndex(stepIndex, _timesteps.Length, _next);
        SchedulerMath.CheckLengths(modelOutput, sample);
        int t = (int)_timesteps[stepIndex];
        int prev = t - (_schedule.TrainSteps / _steps);
        double alpha = _schedule.AlphasCumprod[t];
        double alphaPrev = prev >= 0 ? _schedule.AlphasCumprod[prev] : _finalAlpha;
        double a = Math.Sqrt(alpha), b = Math.Sqrt(1 - alpha);
        double aPrev = Math.Sqrt(alphaPrev), bPrev = Math.Sqrt(1 - alphaPrev);
        for (int i = 0; i < sample.Length; i++)
        {
            double x = sample[i], m = modelOutput[i];
            (double x0, double eps) = PredictionType switch
            {
                "epsilon" => ((x - (b * m)) / a, m),
                "v_prediction" => ((a * x) - (b * m), (a * m) + (b * x)),
                "sample" => (m, (x - (a * m)) / b),
                _ => throw new SchedulerConfigException($"prediction_type '{PredictionType}' is not supported; expected epsilon, v_prediction or sample"),
            };
            if (_clip) x0 = Math.Clamp(x0, -_clipRange, _clipRange);
            sample[i] = (float)((aPrev * x0) + (bPrev * eps));
        }

        _next++;
    }
}
