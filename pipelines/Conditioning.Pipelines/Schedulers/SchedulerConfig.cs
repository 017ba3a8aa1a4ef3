using System.Globalization;
using System.Text.Json;

namespace Conditioning.Pipelines.Schedulers;

/// <summary>
/// The fields of a diffusers <c>scheduler/scheduler_config.json</c> the schedulers here read. A null property means
/// "absent from the file": each scheduler then applies its own diffusers class default (for example
/// <c>timestep_spacing</c> is "leading" for DDIM/PNDM/LCM and "linspace" for Euler/DPM-Solver).
/// </summary>
/// <remarks>Immutable; safe to share across threads.</remarks>
public sealed record SchedulerConfig
{
    /// <summary>The diffusers class name, e.g. <c>EulerDiscreteScheduler</c>.</summary>
    public string? ClassName { get; init; }

    /// <summary>Training timesteps T (default 1000).</summary>
    public int? NumTrainTimesteps { get; init; }

    /// <summary>First beta of the schedule.</summary>
    public double? BetaStart { get; init; }

    /// <summary>Last beta of the schedule.</summary>
    public double? BetaEnd { get; init; }

    /// <summary><c>scaled_linear</c> (SD), <c>linear</c> or <c>squaredcos_cap_v2</c>.</summary>
    public string? BetaSchedule { get; init; }

    /// <summary>Explicit betas, overriding the schedule.</summary>
    public IReadOnlyList<double>? TrainedBetas { get; init; }

    /// <summary><c>epsilon</c>, <c>v_prediction</c> or <c>sample</c>.</summary>
    public string? PredictionType { get; init; }

    /// <summary>Offset added to "leading" timesteps (1 in SD/SDXL configs).</summary>
    public int? StepsOffset { get; init; }

    /// <summary><c>leading</c>, <c>linspace</c> or <c>trailing</c>.</summary>
    public string? TimestepSpacing { get; init; }

    /// <summary>Whether the final ᾱ is 1 (else ᾱ[0]).</summary>
    public bool? SetAlphaToOne { get; init; }

    /// <summary>PNDM: skip the Runge–Kutta warm-up (PLMS only).</summary>
    public bool? SkipPrkSteps { get; init; }

    /// <summary>Clamp predicted x0 to ±<see cref="ClipSampleRange"/>.</summary>
    public bool? ClipSample { get; init; }

    /// <summary>Range for <see cref="ClipSample"/> (default 1).</summary>
    public double? ClipSampleRange { get; init; }

    /// <summary>Use Karras et al. sigmas.</summary>
    public bool? UseKarrasSigmas { get; init; }

    /// <summary>DPM-Solver: <c>dpmsolver++</c>.</summary>
    public string? AlgorithmType { get; init; }

    /// <summary>DPM-Solver order (2 for DPM++ 2M).</summary>
    public int? SolverOrder { get; init; }

    /// <summary>DPM-Solver: use first order at the final steps.</summary>
    public bool? LowerOrderFinal { get; init; }

    /// <summary>DPM-Solver: <c>zero</c> or <c>sigma_min</c>.</summary>
    public string? FinalSigmasType { get; init; }

    /// <summary>LCM: the distillation schedule length (50).</summary>
    public int? OriginalInferenceSteps { get; init; }

    /// <summary>LCM: timestep scaling in the boundary condition (10).</summary>
    public double? TimestepScaling { get; init; }

    /// <summary>Flow matching: the static shift (SD3 3.0, Flux-schnell 1.0).</summary>
    public double? Shift { get; init; }

    /// <summary>Flow matching: resolution-dependent shift μ (Flux-dev).</summary>
    public bool? UseDynamicShifting { get; init; }

    /// <summary>Flow matching: μ at <see cref="BaseImageSeqLen"/>.</summary>
    public double? BaseShift { get; init; }

    /// <summary>Flow matching: μ at <see cref="MaxImageSeqLen"/>.</summary>
    public double? MaxShift { get; init; }

    /// <summary>Flow matching: image sequence length of <see cref="BaseShift"/>.</summary>
    public int? BaseImageSeqLen { get; init; }

    /// <summary>Flow matching: image sequence length of <see cref="MaxShift"/>.</summary>
    public int? MaxImageSeqLen { get; init; }

    /// <summary>
    /// Flow matching: diffusers' <c>stochastic_sampling</c>: each step predicts x0 = x − σ·v and re-noises it to the next
    /// σ with fresh noise, (1 − σ')·x0 + σ'·ε, instead of the Euler step.
    /// </summary>
    public bool? StochasticSampling { get; init; }

    /// <summary>Reads a <c>scheduler_config.json</c>.</summary>
    /// <exception cref="SchedulerConfigException">The file is missing or is not a JSON object.</exception>
    public static SchedulerConfig FromFile(string path)
    {
        if (!File.Exists(path)) throw new SchedulerConfigException($"scheduler config '{path}' does not exist");
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            return FromJson(doc.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new SchedulerConfigException($"scheduler config '{path}' is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Reads the fields from a parsed JSON object; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="SchedulerConfigException">A field has the wrong JSON type.</exception>
    public static SchedulerConfig FromJson(JsonElement json, string source = "scheduler config")
    {
        if (json.ValueKind != JsonValueKind.Object) throw new SchedulerConfigException($"{source} must be a JSON object");
        return new SchedulerConfig
        {
            ClassName = Str("_class_name"),
            NumTrainTimesteps = (int?)Num("num_train_timesteps"),
            BetaStart = Num("beta_start"),
            BetaEnd = Num("beta_end"),
            BetaSchedule = Str("beta_schedule"),
            TrainedBetas = json.TryGetProperty("trained_betas", out JsonElement tb) && tb.ValueKind == JsonValueKind.Array ? [.. tb.EnumerateArray().Select(e => e.GetDouble())] : null,
            PredictionType = Str("prediction_type"),
            StepsOffset = (int?)Num("steps_offset"),
            TimestepSpacing = Str("timestep_spacing"),
            SetAlphaToOne = Bool("set_alpha_to_one"),
            SkipPrkSteps = Bool("skip_prk_steps"),
            ClipSample = Bool("clip_sample"),
            ClipSampleRange = Num("clip_sample_range"),
            UseKarrasSigmas = Bool("use_karras_sigmas"),
            AlgorithmType = Str("algorithm_type"),
            SolverOrder = (int?)Num("solver_order"),
            LowerOrderFinal = Bool("lower_order_final"),
            FinalSigmasType = Str("final_sigmas_type"),
            OriginalInferenceSteps = (int?)Num("original_inference_steps"),
            TimestepScaling = Num("timestep_scaling"),
            Shift = Num("shift"),
            UseDynamicShifting = Bool("use_dynamic_shifting"),
            BaseShift = Num("base_shift"),
            MaxShift = Num("max_shift"),
            BaseImageSeqLen = (int?)Num("base_image_seq_len"),
            MaxImageSeqLen = (int?)Num("max_image_seq_len"),
            StochasticSampling = Bool("stochastic_sampling"),
        };

        string? Str(string name) => Get(name) is { } e ? e.ValueKind == JsonValueKind.String ? e.GetString() : throw Bad(name, "a string") : null;

        double? Num(string name) => Get(name) is { } e ? e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw Bad(name, "a number") : null;

        bool? Bool(string name) => Get(name) is { } e ? e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : throw Bad(name, "true or false") : null;

        JsonElement? Get(string name) => json.TryGetProperty(name, out JsonElement e) && e.ValueKind != JsonValueKind.Null ? e : null;

        SchedulerConfigException Bad(string name, string expected) =>
            new(string.Create(CultureInfo.InvariantCulture, $"{source}: field '{name}' must be {expected}"));
    }
}
