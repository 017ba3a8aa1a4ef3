namespace Conditioning.Prompts;

/// <summary>
/// A prompt ready for a text encoder: conjunction parts with their weights, each with encoder-sized chunks of token
/// ids and per-token weights per step range, and the ids the pooled embedding should be computed from.
/// </summary>
/// <remarks>Immutable and thread-safe. Produced by <see cref="WeightedTokenizer"/>.</remarks>
public sealed class WeightedPrompt
{
    /// <summary>Creates a weighted prompt.</summary>
    /// <param name="dialect">The dialect it was parsed with.</param>
    /// <param name="conjunction">How the parts combine.</param>
    /// <param name="parts">The parts.</param>
    /// <param name="pooledSource">Where the pooled embedding comes from.</param>
    /// <param name="pooledText">The text to pool (null for <see cref="PooledTextSource.FirstChunk"/>).</param>
    /// <param name="pooledIds">The ids to encode for the pooled embedding.</param>
    public WeightedPrompt(PromptDialect dialect, PromptConjunctionKind conjunction, IReadOnlyList<WeightedPromptPart> parts, PooledTextSource pooledSource, string? pooledText, IReadOnlyList<int> pooledIds)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(pooledIds);
        Dialect = dialect;
        Conjunction = conjunction;
        Parts = parts;
        PooledSource = pooledSource;
        PooledText = pooledText;
        PooledIds = pooledIds;
    }

    /// <summary>The dialect the prompt was parsed with.</summary>
    public PromptDialect Dialect { get; }

    /// <summary>How <see cref="Parts"/> combine (CFG-level AND, or token-axis concatenation).</summary>
    public PromptConjunctionKind Conjunction { get; }

    /// <summary>The conjunction parts (Compel's <c>()</c> has none).</summary>
    public IReadOnlyList<WeightedPromptPart> Parts { get; }

    /// <summary>Where the pooled embedding comes from in this dialect.</summary>
    public PooledTextSource PooledSource { get; }

    /// <summary>The text the pooled embedding is computed from; null for <see cref="PooledTextSource.FirstChunk"/>.</summary>
    public string? PooledText { get; }

    /// <summary>The ids to encode for the pooled embedding (a 77-id CLIP sequence).</summary>
    public IReadOnlyList<int> PooledIds { get; }

    /// <summary>Whether any part has more than one step range (prompt editing or alternation).</summary>
    public bool IsScheduled => Parts.Any(p => p.Schedule.Count > 1);
}
