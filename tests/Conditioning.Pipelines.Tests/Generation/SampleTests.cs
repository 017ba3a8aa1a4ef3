using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;

namespace Conditioning.Pipelines.Tests.Generation;

/// <summary>Each sample in samples/ runs to completion (on the toy SD folder) and writes its image.</summary>
public sealed class SampleTests : IDisposable
{
    private readonly DirectoryInfo _out = Directory.CreateTempSubdirectory("cond-samples-");

    public void Dispose() => _out.Delete(recursive: true);

    private static string ToySd() => RepoPaths.Of("tests", "Conditioning.Pipelines.Tests", "Fixtures", "toy-sd");

    [Fact]
    public async Task WeightedPromptToImageWritesAPng()
    {
        string png = Path.Combine(_out.FullName, "circle.png");
        Assert.Equal(0, await Samples.WeightedPromptToImage.RunAsync([ToySd(), png]));
        using Image image = await Image.LoadAsync(png);
        Assert.Equal(32, image.Width);
    }

    [Fact]
    public async Task BringYourOwnDenoiserRunsItsOwnLoopOnOurConditioning()
    {
        string png = Path.Combine(_out.FullName, "own.png");
        Assert.Equal(0, await Samples.BringYourOwnDenoiser.RunAsync([ToySd(), png]));
        using Image image = await Image.LoadAsync(png);
        Assert.Equal((32, 32), (image.Width, image.Height));
        Assert.Contains("own loop", image.Metadata.GetPngMetadata().TextData.Single(t => t.Keyword == "parameters").Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RerankBestOfNKeepsTheBestScoredCandidate()
    {
        string png = Path.Combine(_out.FullName, "best.png");
        Assert.Equal(0, await Samples.RerankBestOfN.RunAsync([ToySd(), RepoPaths.Of("models", "tiny-clip"), png, "3"]));
        using Image image = await Image.LoadAsync(png);
        Assert.Equal(32, image.Width);
    }

    [Fact]
    public async Task SemanticImageSearchFindsRedCirclesAmongTheRenders()
    {
        using var output = new StringWriter();
        TextWriter original = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, await Samples.SemanticImageSearch.RunAsync([RepoPaths.Of("models", "shapes-world", "fixtures"), RepoPaths.Of("models", "tiny-clip"), "a red circle", Path.Combine(_out.FullName, "index.sqlite")]));
        }
        finally
        {
            Console.SetOut(original);
        }

        using var truth = System.Text.Json.JsonDocument.Parse(File.ReadAllText(RepoPaths.Of("models", "shapes-world", "fixtures", "ground_truth.json")));
        var redCircles = truth.RootElement.GetProperty("images").EnumerateArray()
            .Where(e => e.GetProperty("objects").EnumerateArray().Any(o => o.GetProperty("colour").GetString() == "red" && o.GetProperty("shape").GetString() == "circle"))
            .Select(e => e.GetProperty("file").GetString()!).ToHashSet();
        string[] hits = [.. output.ToString().Split('\n').Where(l => l.Contains(".png", StringComparison.Ordinal)).Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1])];
        Assert.Equal(5, hits.Length);
        Assert.True(hits.Count(redCircles.Contains) >= 4, $"top 5: {string.Join(", ", hits)}");
    }
}
