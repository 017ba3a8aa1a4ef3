namespace Conditioning.Pipelines.Schedulers;

/// <summary>
/// diffusers' <c>DPMSolverMultistepScheduler</c> as DPM-Solver++(2M) (algorithm dpmsolver++, order 2, midpoint,
/// final sigma 0), optionally with Karras sigmas: the data prediction x0 is extrapolated from the last two steps in
/// λ = log(α/σ); the first and the last step are first order.
/// </summary>
/// <remarks>Not thread-safe: one instance per generation.</remarks>
public sealed class DpmSolverMultistepScheduler : IScheduler
{
    private readonly DiscreteSchedule _schedule;
    private readonly string _spacing;
    private readonly int _offset;
    private readonly bool _karras;
    private readonly int _order;
    private float[] _timesteps = [];
    private float[] _sigmas = [];
    private float[]? _previousX0;
    private int _lowerOrderCount;
    private int _next;

    /// <summary>Creates the scheduler from a diffusers config (class defaults: linspace spacing, order 2, dpmsolver++).</summary>
    /// <exception cref="SchedulerConfigException">The config asks for an algorithm, order or solver type not implemented here.</exception>
    public DpmSolverMultistepScheduler(SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string algorithm = config.AlgorithmType ?? "dpmsolver++";
        if (algorithm != "dpmsolver++") throw new SchedulerConfigException($"DPMSolverMultistepScheduler algorithm_type '{algorithm}' is not supported; only dpmsolver++ is");
        _order = config.SolverOrder ?? 2;
        if (_order is < 1 or > 2) throw new SchedulerConfigException($"DPMSolverMultistepScheduler solver_order {_order} is not supported; use 1 or 2");
        string finalSigmas = config.FinalSigmasType ?? "zero";
        if (finalSigmas != "zero") throw new SchedulerConfigException($"final_sigmas_type '{finalSigmas}' is not supported; only 'zero' is");
        _schedule = new DiscreteSchedule(config);
        _spacing = config.TimestepSpacing ?? "linspace";
        _offset = config.StepsOffset ?? 0;
        _karras = config.UseKarrasSigmas ?? false;
        PredictionType = config.PredictionType ?? "epsilon";
    }

    /// <inheritdoc/>
    public string Name => "DPMSolverMultistepScheduler";

    /// <summary>What the model predicts: epsilon, v_prediction or sample.</summary>
    public string PredictionType { get; }

    /// <inheritdoc/>
    public IReadOnlyList<float> Timesteps => _timesteps;

    /// <inheritdoc/>
    public IReadOnlyList<float> Sigmas => _sigmas;

    /// <inheritdoc/>
    public float InitNoiseSigma => 1f;

    /// <inheritdoc/>
    public bool UsesNoise => false;

    /// <inheritdoc/>
    public void SetTimesteps(int steps, TimestepOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        int t = _schedule.TrainSteps;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, t - 1);

        // DPM-Solver spaces N + 1 points and drops the last.
        double[] timesteps = _spacing switch
        {
            "linspace" => [.. DiscreteSchedule.Linspace(0, t - 1, steps + 1).Select(v => Math.Round(v)).Reverse().Take(steps)],
            "leading" => [.. Enumerable.Range(0, steps + 1).Select(i => (double)(i * (t / (steps + 1)))).Reverse().Take(steps).Select(v => v + _offset)],
            "trailing" => [.. DiscreteSchedule.Arange(t, 0, -(double)t / steps).Select(v => Math.Round(v) - 1)],
            _ => throw new SchedulerConfigException($"timestep_spacing '{_spacing}' is not supported; expected leading, linspace or trailing"),
        };

        (timesteps, double[] sigmas) = _schedule.SigmasFor(timesteps, _karras);

        _timesteps = [.. timesteps.Select(v => (float)v)];
        _sigmas = [.. sigmas.Select(v => (float)v), 0f];
        _previousX0 = null;
        _lowerOrderCount = 0;
        _next = 0;
    }

    /// <inheritdoc/>
    public void ScaleModelInput(ReadOnlySpan<float> sample, int stepIndex, Span<float> destination) => sample.CopyTo(destination);

    /// <inheritdoc/>
    public void Step(ReadOnlySpan<float> modelOutput, int stepIndex, Span<float> sample, INoiseSource? noise = null)
    {
        SchedulerMath.CheckIndex(stepIndex, _timesteps.Length, _next);
        SchedulerMath.CheckLengths(modelOutput, sample);
        double sigma = _sigmas[stepIndex], sigmaNext = _sigmas[stepIndex + 1];
        (double alpha, double sigmaT) = AlphaSigma(sigma);
        var x0 = new float[sample.Length];
        SchedulerMath.PredictOriginal(PredictionType, modelOutput, sample, alpha * alpha, x0);

        // With final sigma 0 the last step is always first order (diffusers' lower_order_final rule reduces to it).
        bool firstOrder = _order == 1 || _lowerOrderCount < 1 || _previousX0 is null;

        (double alphaNext, double sigmaTNext) = AlphaSigma(sigmaNext);
        if (sigmaNext == 0)
        {
            // λ_next = +∞, so e^{-h} = 0 and both orders reduce to x' = x0.
            x0.CopyTo(sample);
        }
        else
        {
            double lambda = Math.Log(alpha) - Math.Log(sigmaT);
            double lambdaNext = Math.Log(alphaNext) - Math.Log(sigmaTNext);
            double h = lambdaNext - lambda;
            double ratio = sigmaTNext / sigmaT;
            double coeff = alphaNext * (Math.Exp(-h) - 1.0);
            if (firstOrder)
            {
                for (int i = 0; i < sample.Length; i++) sample[i] = (float)((ratio * sample[i]) - (coeff * x0[i]));
            }
            else
            {
                (double alphaPrev, double sigmaTPrev) = AlphaSigma(_sigmas[stepIndex - 1]);
                double lambdaPrev = Math.Log(alphaPrev) - Math.Log(sigmaTPrev);
                double r0 = (lambda - lambdaPrev) / h;
                for (int i = 0; i < sample.Length; i++)
                {
                    double d1 = (1 / r0) * (x0[i] - _previousX0![i]);
                    sample[i] = (float)((ratio * sample[i]) - (coeff * x0[i]) - (0.5 * coeff * d1));
                }
            }
        }

        _previousX0 = x0;
        if (_lowerOrderCount < _order) _lowerOrderCount++;
        _next++;
    }

    private static (double Alpha, double Sigma) AlphaSigma(double sigma)
    {
        double alpha = 1 / Math.Sqrt((sigma * sigma) + 1);
        return (alpha, sigma * alpha);
    }
}
