namespace Conditioning.Pipelines.Schedulers;

/// <summary>
/// diffusers' <c>LCMScheduler</c> (latent consistency models): timesteps picked from the 50-step distillation grid;
/// each step computes the consistency-boundary denoised sample c_out·x0 + c_skip·x and re-noises it to the next
/// timestep with fresh noise, except the last step, which returns the denoised sample.
/// </summary>
/// <remarks>Not thread-safe: one instance per generation.</remarks>
public sealed class LcmScheduler : IScheduler
{
    private readonly DiscreteSchedule _schedule;
    private readonly int _originalSteps;
    private readonly double _timestepScaling;
    private readonly double _finalAlpha;
    private float[] _timesteps = [];
    private int _next;

    /// <summary>Creates the scheduler from a diffusers config (class defaults: 50 original steps, scaling 10, set_alpha_to_one).</summary>
    /// <exception cref="SchedulerConfigException">The config asks for an unsupported schedule.</exception>
    public LcmScheduler(SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _schedule = new DiscreteSchedule(config);
        _originalSteps = config.OriginalInferenceSteps ?? 50;
        _timestepScaling = config.TimestepScaling ?? 10.0;
        _finalAlpha = config.SetAlphaToOne ?? true ? 1.0 : _schedule.AlphasCumprod[0];
        PredictionType = config.PredictionType ?? "epsilon";
    }

    /// <inheritdoc/>
    public string Name => "LCMScheduler";

    /// <summary>What the model predicts: epsilon, v_prediction or sample.</summary>
    public string PredictionType { get; }

    /// <inheritdoc/>
    public IReadOnlyList<float> Timesteps => _timesteps;

    /// <inheritdoc/>
    public IReadOnlyList<float> Sigmas => [];

    /// <inheritdoc/>
    public float InitNoiseSigma => 1f;

    /// <inheritdoc/>
    public bool UsesNoise => true;

    /// <inheritdoc/>
    public void SetTimesteps(int steps, TimestepOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, _originalSteps);
        int k = _schedule.TrainSteps / _originalSteps;
        int[] origin = [.. Enumerable.Range(1, _originalSteps).Select(i => (i * k) - 1).Reverse()];
        _timesteps = [.. DiscreteSchedule.Linspace(0, origin.Length, steps, endpoint: false).Select(v => (float)origin[(int)Math.Floor(v)])];
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
        bool last = stepIndex == _timesteps.Length - 1;
        int prev = last ? t : (int)_timesteps[stepIndex + 1];
        double alpha = _schedule.AlphasCumprod[t];
        double alphaPrev = prev >= 0 ? _schedule.AlphasCumprod[prev] : _finalAlpha;

        const double sigmaData = 0.5;
        double scaled = t * _timestepScaling;
        double cSkip = sigmaData * sigmaData / ((scaled * scaled) + (sigmaData * sigmaData));
        double cOut = scaled / Math.Sqrt((scaled * scaled) + (sigmaData * sigmaData));

        var x0 = new float[sample.Length];
        SchedulerMath.PredictOriginal(PredictionType, modelOutput, sample, alpha, x0);
        float[]? n = null;
        if (!last)
        {
            n = new float[sample.Length];
            SchedulerMath.RequireNoise(noise, Name).FillStandardNormal(n);
        }

        double a = Math.Sqrt(alphaPrev), b = Math.Sqrt(1 - alphaPrev);
        for (int i = 0; i < sample.Length; i++)
        {
            double denoised = (cOut * x0[i]) + (cSkip * sample[i]);
            sample[i] = (float)(n is null ? denoised : (a * denoised) + (b * n[i]));
        }

        _next++;
    }
}
