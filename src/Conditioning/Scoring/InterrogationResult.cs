namespace Conditioning.Scoring;

/// <summary>The outcome of <c>ClipInterrogator.InterrogateAsync</c>.</summary>
/// <param name="Prompt">The prompt built greedily from the phrases.</param>
/// <param name="Cosine">Its cosine similarity with the image.</param>
/// <param name="TopPhrases">Per label list (by name), its best phrases with their cosine, best first.</param>
public sealed record InterrogationResult(string Prompt, float Cosine, IReadOnlyDictionary<string, IReadOnlyList<RankedItem<string>>> TopPhrases);
