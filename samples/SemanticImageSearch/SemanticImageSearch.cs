using Conditioning.Scoring;

namespace Samples;

/// <summary>Index a folder of images with CLIP embeddings in SQLite, then find the best matches for a text query.</summary>
public static class SemanticImageSearch
{
    public static async Task<int> RunAsync(string[] args)
    {
        string folder = args.Length > 0 ? args[0] : "models/shapes-world/fixtures";
        string clipFolder = args.Length > 1 ? args[1] : "models/tiny-clip";
        string query = args.Length > 2 ? args[2] : "a red circle";
        string database = args.Length > 3 ? args[3] : "images.sqlite";

        using ClipModel clip = ClipModel.FromFolder(clipFolder);
        using ClipImageIndex index = ClipImageIndex.Open(database, clip);
        IndexingReport report = await index.IndexFolderAsync(folder);
        Console.WriteLine($"indexed: {report.Added} added, {report.Updated} updated, {report.Unchanged} unchanged, {report.Failed.Count} unreadable");

        foreach (SearchHit hit in await index.SearchAsync(query, top: 5))
        {
            Console.WriteLine($"{hit.Score,6:F2}  {Path.GetFileName(hit.Path)}");
        }

        return 0;
    }
}
