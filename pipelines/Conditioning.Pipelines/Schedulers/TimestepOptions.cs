namespace Conditioning.Pipelines.Schedulers;

/// <summary>Per-call inputs to <see cref="IScheduler.SetTimesteps"/> that pipelines compute.</summary>
public sealed record TimestepOptions
{
    /// <summary>Flow matching with dynamic shifting: μ, e.g. from <see cref="FlowMatchEulerDiscreteScheduler.CalculateShift"/>.</summary>
    public double? Mu { get; init; }

    /// <summary>Explicit sigmas before shifting (the Flux pipeline passes linspace(1, 1/N, N)).</summary>
    public IReadOnlyList<double>? Sigmas { get; init; }
}
