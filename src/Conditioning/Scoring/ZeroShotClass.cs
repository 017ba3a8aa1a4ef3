namespace Conditioning.Scoring;

/// <summary>
/// One class for zero-shot classification: its label and the prompts that describe it. The class embedding is the
/// mean of the prompts' unit-length embeddings, renormalised (CLIP's prompt ensembling).
/// </summary>
/// <param name="Label">The label reported when the class wins, e.g. <c>red</c>.</param>
/// <param name="Prompts">At least one prompt, e.g. <c>a photo of a red object</c>.</param>
public sealed record ZeroShotClass(string Label, IReadOnlyList<string> Prompts)
{
    /// <summary>The placeholder a template's label goes into, as in CLIP's Python templates (<c>"a photo of a {}."</c>).</summary>
    public const string Placeholder = "{}";

    /// <summary>One class per label, with one prompt per template (<see cref="Placeholder"/> replaced by the label).</summary>
    /// <param name="labels">The labels.</param>
    /// <param name="templates">The templates; each must contain <see cref="Placeholder"/>.</param>
    /// <returns>The classes, in label order.</returns>
    /// <exception cref="ArgumentException">There are no templates, or a template lacks the placeholder.</exception>
    public static IReadOnlyList<ZeroShotClass> FromTemplates(IEnumerable<string> labels, IReadOnlyList<string> templates)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(templates);
        if (templates.Count == 0) throw new ArgumentException("At least one template is needed, e.g. \"a photo of a {}\".", nameof(templates));
        string? bad = templates.FirstOrDefault(t => !t.Contains(Placeholder, StringComparison.Ordinal));
        if (bad is not null) throw new ArgumentException($"The template \"{bad}\" has no {Placeholder} for the label.", nameof(templates));
        return [.. labels.Select(l => new ZeroShotClass(l, [.. templates.Select(t => t.Replace(Placeholder, l, StringComparison.Ordinal))]))];
    }
}
