namespace Conditioning.Conditioners;

/// <summary>
/// Everything a denoising loop needs from the text side: the positive schedule, and the negative one used for
/// classifier-free guidance (null when the model runs without CFG, e.g. distilled Flux with no true-CFG negative).
/// Callers may build it from their own embeddings.
/// </summary>
/// <param name="Family">The model family the tensors are shaped for.</param>
/// <param name="Positive">The prompt's conditioning.</param>
/// <param name="Negative">The negative prompt's (or the empty prompt's, or SDXL's zeros), or null.</param>
public sealed record DiffusionConditioning(ModelFamily Family, ConditioningSchedule Positive, ConditioningSchedule? Negative);
