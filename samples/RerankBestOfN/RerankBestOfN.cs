using System.Globalization;
using Conditioning.Pipelines.Generation;
using Conditioning.Pipelines.Images;
using Conditioning.Scoring;
using SixLabors.ImageSharp;

namespace Samples;

/// <summary>Best-of-N: generate several seeds, score each image against the prompt with CLIP, save the best.</summary>
public static class RerankBestOfN
{
    public static async Task<int> RunAsync(string[] args)
    {
        string model = args.Length > 0 ? args[0] : "models/tiny-flux";
        string clipFolder = args.Length > 1 ? args[1] : "models/tiny-clip";
        string output = args.Length > 2 ? args[2] : "best.png";
        int n = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 4;
        const string prompt = "a small yellow star at the top, black background";

        using DiffusionPipeline pipeline = DiffusionPipeline.Load(model);
        using ClipModel clip = ClipModel.FromFolder(clipFolder);
        var scorer = new ClipScorer(clip);
        var images = new Dictionary<long, GeneratedImage>();
        IReadOnlyList<RankedItem<Image>> ranked = await scorer.GenerateAndRerankAsync(
            prompt,
            [.. Enumerable.Range(0, n).Select(i => (long)i)],
            async (seed, ct) =>
            {
                GeneratedImage image = await pipeline.GenerateAsync(prompt, options: new GenerationOptions { Seed = (ulong)seed, Steps = 20 }, cancellationToken: ct);
                images[seed] = image;
                return image.Image;
            });

        foreach (RankedItem<Image> r in ranked) Console.WriteLine($"seed {r.Index}: CLIP score {r.Score:F2}");
        GeneratedImage best = images[ranked[0].Index];
        await best.SavePngAsync(output);
        foreach (GeneratedImage image in images.Values) image.Dispose();
        Console.WriteLine($"kept seed {ranked[0].Index} → {output}");
        return 0;
    }
}
