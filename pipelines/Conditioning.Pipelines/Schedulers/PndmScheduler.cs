namespace Conditioning.Pipelines.Schedulers;

/// <summary>
/// diffusers' <c>PNDMScheduler</c> in PLMS mode (<c>skip_prk_steps</c>, as SD1.x ships it): the second timestep is
/// repeated (N + 1 model calls) and the linear multistep combinations of up to four past ε are used.
/// </summary>
/// <remarks>Not thread-safe: one instance per generation.</remarks>
public sealed class PndmScheduler : IScheduler
{
    private readonly DiscreteSchedule _schedule;
    private readonly string _spacing;
    private readonly int _offset;
    private readonly double _finalAlpha;
    private readonly List<float[]> _ets = [];
    private float[]? _curSample;
    private float[] _timesteps = [];
    private int _steps;
    private int _counter;

    /// <summary>Creates the scheduler from a diffusers config (class defaults: leading spacing, set_alpha_to_one false).</summary>
    /// <exception cref="SchedulerConfigException">The config asks for the Runge–Kutta warm-up (skip_prk_steps false) or an unsupported schedule.</exception>
    public PndmScheduler(SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.SkipPrkSteps == false)
        {
            throw new SchedulerConfigException("PNDMScheduler with skip_prk_steps=false (Runge–Kutta warm-up) is not supported; set skip_prk_steps to true (PLMS), as SD1.x configs do");
        }

        _schedule = new DiscreteSchedule(config);
        _spacing = config.TimestepSpacing ?? "leading";
        _offset = config.StepsOffset ?? 0;
        _finalAlpha = config.SetAlphaToOne ?? false ? 1.0 : _schedule.AlphasCumprod[0];
        PredictionType = config.PredictionType ?? "epsilon";
    }

    /// <inheritdoc/>
    public string Name => "PNDMScheduler";

    /// <summary>What the model predicts: epsilon or v_prediction.</summary>
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
        double[] ascending = [.. _schedule.IntegerTimesteps(steps, _spacing, _offset).Reverse()];
        var plms = new List<double>(ascending[..^1]);
        if (ascending.Length >= 2) plms.Add(ascending[^2]);
        plms.Add(ascending[^1]);
        plms.Reverse();
        _timesteps = [.. plms.Select(v => (float)v)];
        _steps = steps;
        _counter = 0;
        _ets.Clear();
        _curSample = null;
    }

    /// <inheritdoc/>
    public void ScaleModelInput(ReadOnlySpan<float> sample, int stepIndex, Span<float> destination) => sample.CopyTo(destination);

    /// <inheritdoc/>
    public void Step(ReadOnlySpan<float> modelOutput, int stepIndex, Span<float> sample, INoiseSource? noise = null)
    {
        SchedulerMath.CheckIndex(stepIndex, _timesteps.Length, _counter);
        SchedulerMath.CheckLengths(modelOutput, sample);
        int ratio = _schedule.TrainSteps / _steps;
        int timestep = (int)_timesteps[stepIndex];
        int prev = timestep - ratio;
        if (_counter != 1)
        {
            if (_ets.Count > 3) _ets.RemoveAt(0);
            _ets.Add(modelOutput.ToArray());
        }
        else
        {
            prev = timestep;
            timestep += ratio;
        }

        int n = sample.Length;
        var eps = new float[n];
        int k = _ets.Count;
        if (k == 1 && _counter == 0)
        {
            modelOutput.CopyTo(eps);
            _curSample = sample.ToArray();
        }
        else if (k == 1 && _counter == 1)
        {
            for (int i = 0; i < n; i++) eps[i] = (modelOutput[i] + _ets[^1][i]) / 2;
            _curSample!.CopyTo(sample);
            _curSample = null;
        }
        else if (k == 2)
        {
            for (int i = 0; i < n; i++) eps[i] = ((3 * _ets[^1][i]) - _ets[^2][i]) / 2;
        }
        else if (k == 3)
        {
            for (int i = 0; i < n; i++) eps[i] = ((23 * _ets[^1][i]) - (16 * _ets[^2][i]) + (5 * _ets[^3][i])) / 12;
        }
        else
        {
            for (int i = 0; i < n; i++) eps[i] = (1f / 24) * ((55 * _ets[^1][i]) - (59 * _ets[^2][i]) + (37 * _ets[^3][i]) - (9 * _ets[^4][i]));
        }

        double alpha = _schedule.AlphasCumprod[timestep];
        double alphaPrev = prev >= 0 ? _schedule.AlphasCumprod[prev] : _finalAlpha;
        double beta = 1 - alpha, betaPrev = 1 - alphaPrev;
        double sampleCoeff = Math.Sqrt(alphaPrev / alpha);
        double denom = (alpha * Math.Sqrt(betaPrev)) + Math.Sqrt(alpha * beta * alphaPrev);
        for (int i = 0; i < n; i++)
        {
            double e = eps[i];
            if (PredictionType == "v_prediction") e = (Math.Sqrt(alpha) * e) + (Math.Sqrt(beta) * sample[i]);
            else if (PredictionType != "epsilon") throw new SchedulerConfigException($"prediction_type '{PredictionType}' is not supported by PNDM; expected epsilon or v_prediction");
            sample[i] = (float)((sampleCoeff * sample[i]) - ((alphaPrev - alpha) * e / denom));
        }

        _counter++;
    }
}
