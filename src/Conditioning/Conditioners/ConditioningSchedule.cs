namespace Conditioning.Conditioners;

/// <summary>
/// What one prompt (positive or negative) conditions across sampling: one or more weighted parts (A1111 <c>AND</c>),
/// each possibly scheduled over steps. Ask <see cref="ConditioningPart.At"/> for the embeddings at a step.
/// </summary>
/// <remarks>Immutable; safe to share.</remarks>
public sealed class ConditioningSchedule
{
    /// <summary>Creates a schedule from its parts.</summary>
    /// <exception cref="ArgumentException">There are no parts.</exception>
    public ConditioningSchedule(IReadOnlyList<ConditioningPart> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("at least one part is needed", nameof(parts));
        Parts = parts;
    }

    /// <summary>The parts; one for a plain prompt.</summary>
    public IReadOnlyList<ConditioningPart> Parts { get; }

    /// <summary>Whether the embeddings never change across steps and there is a single part of weight 1.</summary>
    public bool IsSimple => Parts.Count == 1 && Parts[0].Schedule.Count == 1 && Parts[0].Weight == 1.0;

    /// <summary>A single unscheduled part of weight 1.</summary>
    public static ConditioningSchedule Single(PromptEmbeddings embeddings) => new([new ConditioningPart(1.0, embeddings)]);
}
