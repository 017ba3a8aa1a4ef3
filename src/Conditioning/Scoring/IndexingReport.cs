namespace Conditioning.Scoring;

/// <summary>What one <see cref="ClipImageIndex.IndexAsync"/> call did.</summary>
/// <param name="Added">Files embedded for the first time.</param>
/// <param name="Updated">Files whose content changed and were embedded again.</param>
/// <param name="Unchanged">Files skipped because their hash (or size and modification time) matched the index.</param>
/// <param name="Failed">Files skipped because they could not be read as images; each is logged as a warning.</param>
public sealed record IndexingReport(int Added, int Updated, int Unchanged, IReadOnlyList<string> Failed);
