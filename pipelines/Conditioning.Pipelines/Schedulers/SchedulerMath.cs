namespace Conditioning.Pipelines.Schedulers;

/// <summary>Element-wise helpers shared by the schedulers.</summary>
internal static class SchedulerMath
{
    /// <summary>Converts the model output to a predicted x0 for a DDPM-parameterised model.</summary>
    public static void PredictOriginal(string predictionType, ReadOnlySpan<float> output, ReadOnlySpan<float> sample, double alphaProd, Span<float> x0)
    {
        double a = Math.Sqrt(alphaProd), b = Math.Sqrt(1 - alphaProd);
        switch (predictionType)
        {
            case "epsilon":
                for (int i = 0; i < x0.Length; i++) x0[i] = (float)((sample[i] - (b * output[i])) / a);
                break;
            case "v_prediction":
                for (int i = 0; i < x0.Length; i++) x0[i] = (float)((a * sample[i]) - (b * output[i]));
                break;
            case "sample":
                output.CopyTo(x0);
                break;
            default:
                throw new SchedulerConfigException($"prediction_type '{predictionType}' is not supported; expected epsilon, v_prediction or sample");
        }
    }

    public static void CheckLengths(ReadOnlySpan<float> a, Span<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"model output has {a.Length} elements but the sample has {b.Length}");
    }

    public static void CheckIndex(int stepIndex, int count, int expected)
    {
        if (count == 0) throw new InvalidOperationException("SetTimesteps must be called before Step");
        if ((uint)stepIndex >= (uint)count) throw new ArgumentOutOfRangeException(nameof(stepIndex), $"step index {stepIndex} is outside 0..{count - 1}");
        if (stepIndex != expected) throw new InvalidOperationException($"steps must be taken in order: expected step {expected}, got {stepIndex}");
    }

    public static INoiseSource RequireNoise(INoiseSource? noise, string scheduler) =>
        noise ?? throw new ArgumentException($"{scheduler} draws fresh noise at each step: pass an INoiseSource", nameof(noise));
}
