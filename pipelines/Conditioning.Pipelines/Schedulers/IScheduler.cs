namespace Conditioning.Pipelines.Schedulers;

/// <summary>
/// A diffusion sampler, one algorithm per implementation, used as diffusers does: <see cref="SetTimesteps"/>, then
/// for each model call <c>i</c>: <see cref="ScaleModelInput"/>, run the model at <c>Timesteps[i]</c>, <see cref="Step"/>.
/// Samples are flat float spans (any layout; the schedulers here are element-wise).
/// </summary>
/// <remarks>
/// Schedulers keep per-generation state (multistep history, step counters): an instance is not thread-safe and
/// serves one generation at a time; <see cref="SetTimesteps"/> resets it.
/// </remarks>
public interface IScheduler
{
    /// <summary>The diffusers class this scheduler reproduces, e.g. <c>EulerDiscreteScheduler</c>.</summary>
    string Name { get; }

    /// <summary>The timestep fed to the model at each call, on the 0…T scale (may be fractional).</summary>
    IReadOnlyList<float> Timesteps { get; }

    /// <summary>The noise level per call plus a trailing 0, for σ-parameterised schedulers; empty otherwise.</summary>
    IReadOnlyList<float> Sigmas { get; }

    /// <summary>The standard deviation of the initial noise (latents = N(0, 1) · this).</summary>
    float InitNoiseSigma { get; }

    /// <summary>Whether <see cref="Step"/> consumes fresh noise (ancestral, LCM).</summary>
    bool UsesNoise { get; }

    /// <summary>Computes the timesteps (and sigmas) for <paramref name="steps"/> inference steps and resets state.</summary>
    /// <param name="steps">Number of inference steps, ≥ 1.</param>
    /// <param name="options">Flow-matching μ or explicit sigmas; ignored by schedulers that do not use them.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1 or larger than the training schedule allows.</exception>
    void SetTimesteps(int steps, TimestepOptions? options = null);

    /// <summary>Writes the model input for call <paramref name="stepIndex"/> (e.g. x/√(σ²+1) for Euler) to <paramref name="destination"/>.</summary>
    void ScaleModelInput(ReadOnlySpan<float> sample, int stepIndex, Span<float> destination);

    /// <summary>Advances <paramref name="sample"/> in place from call <paramref name="stepIndex"/> to the next.</summary>
    /// <param name="modelOutput">The (guided) model prediction at this call: ε, v, or the flow velocity.</param>
    /// <param name="stepIndex">The index of the call in <see cref="Timesteps"/>; calls must come in order.</param>
    /// <param name="sample">The current latents, replaced by the next ones.</param>
    /// <param name="noise">The noise stream, required when <see cref="UsesNoise"/>.</param>
    /// <exception cref="InvalidOperationException"><see cref="SetTimesteps"/> was not called, or steps came out of order.</exception>
    /// <exception cref="ArgumentException">Spans differ in length, or noise is required but missing.</exception>
    void Step(ReadOnlySpan<float> modelOutput, int stepIndex, Span<float> sample, INoiseSource? noise = null);
}
