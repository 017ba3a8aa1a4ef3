namespace Conditioning.Onnx;

/// <summary>
/// One entry of a <see cref="ModelContract"/>: an input or output name (or a <c>*</c> pattern such as
/// <c>hidden_states.*</c>) with the element types and ranks a caller can work with.
/// </summary>
/// <remarks>Immutable; safe to share across threads.</remarks>
public sealed record TensorRequirement
{
    /// <summary>Creates a requirement.</summary>
    /// <param name="name">
    /// The exact name, or a pattern in which <c>*</c> matches any run of characters (<c>hidden_states.*</c>).
    /// </param>
    /// <param name="elementTypes">The element types accepted; empty or <see langword="null"/> accepts any.</param>
    /// <param name="ranks">The ranks accepted (0 = scalar); empty or <see langword="null"/> accepts any.</param>
    /// <param name="isOptional">Whether the model may lack it; when present it must still match.</param>
    public TensorRequirement(
        string name,
        IEnumerable<OnnxElementType>? elementTypes = null,
        IEnumerable<int>? ranks = null,
        bool isOptional = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        ElementTypes = elementTypes?.Distinct().ToArray() ?? [];
        Ranks = ranks?.Distinct().Order().ToArray() ?? [];
        IsOptional = isOptional;
    }

    /// <summary>The exact name or <c>*</c> pattern.</summary>
    public string Name { get; }

    /// <summary>The accepted element types; empty accepts any.</summary>
    public IReadOnlyList<OnnxElementType> ElementTypes { get; }

    /// <summary>The accepted ranks; empty accepts any.</summary>
    public IReadOnlyList<int> Ranks { get; }

    /// <summary>Whether the model may lack it (for a pattern: may have no match).</summary>
    public bool IsOptional { get; }

    /// <summary>Whether <see cref="Name"/> contains a <c>*</c> wildcard.</summary>
    public bool IsPattern => Name.Contains('*', StringComparison.Ordinal);

    /// <summary>Whether <paramref name="name"/> is this requirement's name, or matches its pattern.</summary>
    /// <param name="name">A model input or output name.</param>
    public bool Matches(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return IsPattern ? Glob(Name, name) : string.Equals(Name, name, StringComparison.Ordinal);
    }

    /// <summary>Whether a declared tensor has an accepted element type and rank.</summary>
    /// <param name="info">The declaration read from the model.</param>
    public bool Accepts(OnnxTensorInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.IsTensor
            && (ElementTypes.Count == 0 || ElementTypes.Contains(info.ElementType))
            && (Ranks.Count == 0 || Ranks.Contains(info.Rank));
    }

    /// <summary>What is expected, as <c>hidden_states.*: float32|float16, rank 3</c>.</summary>
    public string Describe()
    {
        string types = ElementTypes.Count == 0 ? "any type" : string.Join("|", ElementTypes.Select(OnnxTensorInfo.FormatType));
        string ranks = Ranks.Count == 0 ? "any rank" : "rank " + string.Join(" or ", Ranks);
        return $"{Name}: {types}, {ranks}{(IsOptional ? " (optional)" : string.Empty)}";
    }

    /// <summary>The same text as <see cref="Describe"/>.</summary>
    public override string ToString() => Describe();

    /// <inheritdoc />
    public bool Equals(TensorRequirement? other) =>
        other is not null
        && Name == other.Name
        && IsOptional == other.IsOptional
        && ElementTypes.SequenceEqual(other.ElementTypes)
        && Ranks.SequenceEqual(other.Ranks);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, IsOptional, ElementTypes.Count, Ranks.Count);

    private static bool Glob(string pattern, string text)
    {
        // Iterative wildcard match with backtracking to the last '*': linear for the short names ONNX uses.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
