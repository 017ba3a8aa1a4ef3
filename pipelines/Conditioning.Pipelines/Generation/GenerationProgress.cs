namespace Conditioning.Pipelines.Generation;

/// <summary>Reported after each denoising step.</summary>
/// <param name="Step">Steps done (1-based).</param>
/// <param name="TotalSteps">Steps in all.</param>
/// <param name="Timestep">The timestep just processed.</param>
public sealed record GenerationProgress(int Step, int TotalSteps, float Timestep);
