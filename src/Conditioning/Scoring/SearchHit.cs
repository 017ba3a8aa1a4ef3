namespace Conditioning.Scoring;

/// <summary>One result of <see cref="ClipImageIndex"/> search.</summary>
/// <param name="Path">The image file, as it was indexed (full path).</param>
/// <param name="Cosine">Cosine similarity of the image with the query, in [−1, 1].</param>
/// <param name="Score">The CLIP score, <c>100 × max(cos, 0)</c>.</param>
public sealed record SearchHit(string Path, float Cosine, float Score);
