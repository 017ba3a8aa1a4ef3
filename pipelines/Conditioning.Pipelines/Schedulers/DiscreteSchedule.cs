namespace Conditioning.Pipelines.Schedulers;

/// <summary>
/// The DDPM training schedule shared by the discrete schedulers: betas, ᾱ = cumprod(1 − β), and training sigmas
/// σ_t = √((1 − ᾱ_t)/ᾱ_t); plus diffusers' timestep-spacing rules.
/// </summary>
internal sealed class DiscreteSchedule
{
    public DiscreteSchedule(SchedulerConfig config)
    {
        TrainSteps = config.NumTrainTimesteps ?? 1000;
        if (TrainSteps < 2) throw new SchedulerConfigException($"num_train_timesteps must be at least 2, found {TrainSteps}");
        double[] betas;
        if (config.TrainedBetas is { Count: > 0 } trained)
        {
            betas = [.. trained];
            TrainSteps = betas.Length;
        }
        else
        {
            double start = config.BetaStart ?? 0.0001;
            double end = config.BetaEnd ?? 0.02;
            string schedule = config.BetaSchedule ?? "linear";
            betas = new double[TrainSteps];
            switch (schedule)
            {
                case "linear":
                    for (int i = 0; i < TrainSteps; i++) betas[i] = (float)Lerp(start, end, i, TrainSteps);
                    break;
                case "scaled_linear":
                    for (int i = 0; i < TrainSteps; i++)
                    {
                        float root = (float)Lerp(Math.Sqrt(start), Math.Sqrt(end), i, TrainSteps);
                        betas[i] = root * root;
                    }

                    break;
                case "squaredcos_cap_v2":
                    for (int i = 0; i < TrainSteps; i++)
                    {
                        double t1 = (double)i / TrainSteps, t2 = (double)(i + 1) / TrainSteps;
                        betas[i] = Math.Min(1 - (AlphaBar(t2) / AlphaBar(t1)), 0.999);
                    }

                    break;
                default:
                    throw new SchedulerConfigException($"beta_schedule '{schedule}' is not supported; expected linear, scaled_linear or squaredcos_cap_v2");
            }
        }

        // diffusers keeps these tensors in float32; rounding each product to float32 reproduces its cumprod.
        AlphasCumprod = new double[TrainSteps];
        float running = 1f;
        for (int i = 0; i < TrainSteps; i++)
        {
            running *= 1f - (float)betas[i];
            AlphasCumprod[i] = running;
        }

        TrainSigmas = [.. AlphasCumprod.Select(a => Math.Sqrt((1 - a) / a))];
    }

    public int TrainSteps { get; }

    public double[] AlphasCumprod { get; }

    public double[] TrainSigmas { get; }

    /// <summary>numpy.linspace(start, stop, count) evaluated as numpy does.</summary>
    public static double[] Linspace(double start, double stop, int count, bool endpoint = true)
    {
        var result = new double[count];
        if (count == 0) return result;
        int div = endpoint ? count - 1 : count;
        double step = div > 0 ? (stop - start) / div : 0;
        for (int i = 0; i < count; i++) result[i] = start + (i * step);
        if (endpoint && count > 1) result[^1] = stop;
        return result;
    }

    /// <summary>Timesteps for DDIM/PNDM-style integer schedules (descending).</summary>
    public double[] IntegerTimesteps(int steps, string spacing, int stepsOffset)
    {
        double[] t = spacing switch
        {
            "linspace" => [.. Linspace(0, TrainSteps - 1, steps).Select(v => Math.Round(v)).Reverse()],
            "leading" => [.. Enumerable.Range(0, steps).Select(i => (double)(i * (TrainSteps / steps)) + stepsOffset).Reverse()],
            "trailing" => [.. Arange(TrainSteps, 0, -(double)TrainSteps / steps).Select(v => Math.Round(v) - 1)],
            _ => throw new SchedulerConfigException($"timestep_spacing '{spacing}' is not supported; expected leading, linspace or trailing"),
        };
        return t;
    }

    /// <summary>numpy.arange(start, stop, step) for a negative step.</summary>
    public static IEnumerable<double> Arange(double start, double stop, double step)
    {
        int count = (int)Math.Ceiling((stop - start) / step);
        for (int i = 0; i < count; i++) yield return start + (i * step);
    }

    /// <summary>numpy.interp(x, 0..n−1, values).</summary>
    public static double Interp(double x, double[] values)
    {
        if (x <= 0) return values[0];
        if (x >= values.Length - 1) return values[^1];
        int lo = (int)Math.Floor(x);
        double w = x - lo;
        return values[lo] + (w * (values[lo + 1] - values[lo]));
    }

    /// <summary>The fractional training timestep of σ, interpolating log σ between bracketing indices (diffusers' _sigma_to_t).</summary>
    public double SigmaToT(double sigma)
    {
        double logSigma = Math.Log(Math.Max(sigma, 1e-10));
        int low = 0;
        for (int i = 0; i < TrainSigmas.Length; i++)
        {
            if (logSigma - Math.Log(TrainSigmas[i]) >= 0) low = i;
        }

        low = Math.Min(low, TrainSigmas.Length - 2);
        double lo = Math.Log(TrainSigmas[low]), hi = Math.Log(TrainSigmas[low + 1]);
        double w = Math.Clamp((lo - logSigma) / (lo - hi), 0, 1);
        return ((1 - w) * low) + (w * (low + 1));
    }

    /// <summary>
    /// The sigmas of <paramref name="timesteps"/> (training sigmas interpolated linearly), or with
    /// <paramref name="karras"/> Karras sigmas over the same count and the timesteps they map back to.
    /// </summary>
    public (double[] Timesteps, double[] Sigmas) SigmasFor(double[] timesteps, bool karras)
    {
        if (!karras) return (timesteps, [.. timesteps.Select(ts => Interp(ts, TrainSigmas))]);
        double[] sigmas = KarrasSigmas(timesteps.Length);
        return ([.. sigmas.Select(s => Math.Round(SigmaToT(s)))], sigmas);
    }

    /// <summary>Karras et al. (2022) sigmas between the training extremes, ρ = 7, descending.</summary>
    public double[] KarrasSigmas(int steps)
    {
        const double rho = 7.0;
        double sigmaMin = TrainSigmas[0], sigmaMax = TrainSigmas[^1];
        double minInv = Math.Pow(sigmaMin, 1 / rho), maxInv = Math.Pow(sigmaMax, 1 / rho);
        return [.. Linspace(0, 1, steps).Select(r => Math.Pow(maxInv + (r * (minInv - maxInv)), rho))];
    }

    private static double Lerp(double start, double end, int i, int count) => start + ((end - start) * i / (count - 1));

    private static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
}
