namespace Conditioning.Conditioners;

/// <summary>
/// One A1111 <c>AND</c> part (or the whole prompt): its composable-diffusion weight and, per sampling step, the
/// embeddings in force (prompt editing <c>[a:b:when]</c> and alternation change them as steps advance).
/// </summary>
/// <remarks>Immutable; safe to share.</remarks>
public sealed class ConditioningPart
{
    /// <summary>Creates a part from a schedule of (last step, embeddings), ascending by step.</summary>
    /// <exception cref="ArgumentException">The schedule is empty or not ascending.</exception>
    public ConditioningPart(double weight, IReadOnlyList<(int EndAtStep, PromptEmbeddings Embeddings)> schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (schedule.Count == 0) throw new ArgumentException("a conditioning part needs at least one schedule entry", nameof(schedule));
        for (int i = 1; i < schedule.Count; i++)
        {
            if (schedule[i].EndAtStep <= schedule[i - 1].EndAtStep) throw new ArgumentException("schedule entries must be in ascending step order", nameof(schedule));
        }

        Weight = weight;
        Schedule = schedule;
    }

    /// <summary>Creates an unscheduled part.</summary>
    public ConditioningPart(double weight, PromptEmbeddings embeddings)
        : this(weight, [(int.MaxValue, embeddings)])
    {
    }

    /// <summary>The composable-diffusion weight (A1111 <c>AND text :w</c>; 1 by default).</summary>
    public double Weight { get; }

    /// <summary>(last step the entry applies to, its embeddings), ascending.</summary>
    public IReadOnlyList<(int EndAtStep, PromptEmbeddings Embeddings)> Schedule { get; }

    /// <summary>
    /// The embeddings in force at 0-based sampling step <paramref name="step"/>: the first entry with
    /// <c>step ≤ EndAtStep</c>, as A1111's <c>reconstruct_cond_batch</c> picks it; past the end, the last.
    /// </summary>
    public PromptEmbeddings At(int step)
    {
        foreach ((int end, PromptEmbeddings e) in Schedule)
        {
            if (step <= end) return e;
        }

        return Schedule[^1].Embeddings;
    }
}
