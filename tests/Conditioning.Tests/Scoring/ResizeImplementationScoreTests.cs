using Conditioning.Scoring;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit.Abstractions;

namespace Conditioning.Tests.Scoring;

/// <summary>
/// PIL's bicubic (the default Pillow port) and ImageSharp's bicubic differ by about one level of 255; on the trained tiny
/// CLIP that must move the CLIP score by less than 0.5 for images that need resizing.
/// </summary>
public sealed class ResizeImplementationScoreTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ImageSharpResizingMovesTheClipScoreByLessThanHalfAPoint()
    {
        using ClipModel clip = ClipModel.FromFolder(RepoPaths.Of("models", "tiny-clip"));
        string config = RepoPaths.Of("models", "tiny-clip", "preprocessor_config.json");
        var pillow = ClipImagePreprocessor.FromFile(config, ResizeImplementation.Pillow);
        var imageSharp = ClipImagePreprocessor.FromFile(config, ResizeImplementation.ImageSharp);
        ClipEmbeddings text = await clip.EmbedTextsAsync(["a large red circle", "a small blue star at the top", "a green square on the left"]);

        double worst = 0;
        foreach (string file in Directory.EnumerateFiles(RepoPaths.Of("models", "shapes-world", "fixtures"), "*.png").Order().Take(24))
        {
            // Upscale to 97×97 first so both preprocessors must resize back down to 64 (the renders are already 64×64).
            using Image<Rgb24> image = Image.Load<Rgb24>(file);
            image.Mutate(x => x.Resize(97, 97, KnownResamplers.NearestNeighbor));
            ClipEmbeddings a = await clip.EmbedPixelsAsync(pillow.Preprocess(image));
            ClipEmbeddings b = await clip.EmbedPixelsAsync(imageSharp.Preprocess(image));
            SimilarityMatrix sa = a.CosineSimilarity(text), sb = b.CosineSimilarity(text);
            for (int t = 0; t < 3; t++) worst = Math.Max(worst, Math.Abs(ClipScore.FromCosine(sa[0, t]) - ClipScore.FromCosine(sb[0, t])));
        }

        output.WriteLine($"max CLIP score difference, Pillow vs ImageSharp bicubic: {worst:F4}");
        Assert.True(worst < 0.5, $"CLIP score moved by {worst}");
    }
}
