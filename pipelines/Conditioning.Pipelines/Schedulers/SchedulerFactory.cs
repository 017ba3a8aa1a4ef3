namespace Conditioning.Pipelines.Schedulers;

/// <summary>Creates a scheduler from a diffusers config, by its <c>_class_name</c> or by an explicit choice.</summary>
public static class SchedulerFactory
{
    /// <summary>The diffusers class names this factory knows.</summary>
    public static IReadOnlyList<string> KnownNames { get; } =
    [
        "DDIMScheduler", "PNDMScheduler", "EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler",
        "DPMSolverMultistepScheduler", "LCMScheduler", "FlowMatchEulerDiscreteScheduler",
    ];

    /// <summary>
    /// Creates the scheduler named <paramref name="className"/> (or the config's <c>_class_name</c>) from
    /// <paramref name="config"/>. Short names are accepted: ddim, pndm, euler, euler_a, dpm++2m, dpm++2m_karras, lcm, flow_euler
    /// (as the config says), flow_euler_ode and flow_euler_stochastic (<c>stochastic_sampling</c> off or on).
    /// </summary>
    /// <exception cref="SchedulerConfigException">The name is unknown or the config is unsupported.</exception>
    public static IScheduler Create(SchedulerConfig config, string? className = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        string name = className ?? config.ClassName ?? throw new SchedulerConfigException("the scheduler config has no _class_name; choose a scheduler explicitly");
        return name.ToLowerInvariant() switch
        {
            "ddimscheduler" or "ddim" => new DdimScheduler(config),
            "pndmscheduler" or "pndm" or "plms" => new PndmScheduler(config),
            "eulerdiscretescheduler" or "euler" => new EulerDiscreteScheduler(config),
            "eulerancestraldiscretescheduler" or "euler_a" or "euler-ancestral" => new EulerAncestralDiscreteScheduler(config),
            "dpmsolvermultistepscheduler" or "dpm++2m" or "dpmpp_2m" => new DpmSolverMultistepScheduler(config),
            "dpm++2m_karras" or "dpmpp_2m_karras" => new DpmSolverMultistepScheduler(config with { UseKarrasSigmas = true }),
            "lcmscheduler" or "lcm" => new LcmScheduler(config),
            "flowmatcheulerdiscretescheduler" or "flow_euler" => new FlowMatchEulerDiscreteScheduler(config),
            "flow_euler_ode" => new FlowMatchEulerDiscreteScheduler(config with { StochasticSampling = false }),
            "flow_euler_stochastic" => new FlowMatchEulerDiscreteScheduler(config with { StochasticSampling = true }),
            _ => throw new SchedulerConfigException($"unknown scheduler '{name}'; known: {string.Join(", ", KnownNames)}"),
        };
    }
}
