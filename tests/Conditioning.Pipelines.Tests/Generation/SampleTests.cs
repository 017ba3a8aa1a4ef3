using SixLabors.ImageSharp;

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
        Assert.True(File.Exists(png));
    }
}
