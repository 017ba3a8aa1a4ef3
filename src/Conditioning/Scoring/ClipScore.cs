namespace Conditioning.Scoring;

/// <summary>
/// The CLIP score as torchmetrics defines it (<c>torchmetrics.multimodal.CLIPScore</c>, after Hessel et al. 2021 with
/// weight 100): per image–text pair <c>100 × cos(E_image, E_text)</c>, and over a set of pairs
/// <c>max(mean(100 × cos), 0)</c>.
/// </summary>
/// <remarks>
/// torchmetrics clamps the <em>mean</em> at 0, not each pair; <see cref="FromCosine"/> clamps one pair (a single pair's
/// torchmetrics score), so the mean of per-pair scores can exceed <see cref="Aggregate"/> when some cosines are
/// negative. Stateless and thread-safe.
/// </remarks>
public static class ClipScore
{
    /// <summary>The weight torchmetrics multiplies cosines by.</summary>
    public const float Weight = 100f;

    /// <summary>The score of one pair: <c>100 × max(cosine, 0)</c>, in [0, 100].</summary>
    /// <param name="cosine">The cosine similarity of the L2-normalised image and text embeddings.</param>
    public static float FromCosine(float cosine) => Weight * MathF.Max(cosine, 0f);

    /// <summary>torchmetrics' score over many pairs: <c>max(mean(100 × cosine), 0)</c>.</summary>
    /// <param name="cosines">The cosine of each pair.</param>
    /// <returns>The aggregate score in [0, 100].</returns>
    /// <exception cref="ArgumentException">There are no pairs.</exception>
    public static float Aggregate(ReadOnlySpan<float> cosines)
    {
        if (cosines.IsEmpty) throw new ArgumentException("There are no pairs to score.", nameof(cosines));
        double sum = 0;
        foreach (float c in cosines) sum += Weight * c;
        return (float)Math.Max(sum / cosines.Length, 0);
    }
}
