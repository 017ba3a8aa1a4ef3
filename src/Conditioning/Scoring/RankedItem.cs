namespace Conditioning.Scoring;

/// <summary>One item of a ranking: the item, its position in the input, and its score.</summary>
/// <typeparam name="T">The item type (an image, a path, a label, …).</typeparam>
/// <param name="Item">The item.</param>
/// <param name="Index">Its position in the input (for generated images, the index of its seed).</param>
/// <param name="Score">Its score; higher ranks first.</param>
public sealed record RankedItem<T>(T Item, int Index, float Score);
