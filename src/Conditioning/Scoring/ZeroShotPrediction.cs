namespace Conditioning.Scoring;

/// <summary>The zero-shot result for one image.</summary>
/// <param name="Label">The most likely class's label.</param>
/// <param name="ClassIndex">Its index in the classes.</param>
/// <param name="Probabilities">Per class, in class order: <c>softmax(LogitScale × cos)</c>; they sum to 1.</param>
/// <param name="Cosines">Per class, in class order: the cosine of the image with the class embedding.</param>
public sealed record ZeroShotPrediction(string Label, int ClassIndex, IReadOnlyList<float> Probabilities, IReadOnlyList<float> Cosines);
