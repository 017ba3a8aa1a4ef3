using System.Globalization;
using System.Text.Json;

namespace Conditioning.Cli.Tests;

/// <summary>
/// The CLIP commands end to end on the randomly initialised tiny CLIP fixture (tests/Conditioning.Tests/Fixtures/tiny-clip-random);
/// the numbers themselves are checked against PyTorch in Conditioning.Tests.
/// </summary>
public sealed class ClipCommandsTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("conditioning-cli-clip-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_temp, recursive: true);
    }

    private static string Clip
    {
        get
        {
            for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string path = Path.Combine(dir.FullName, "tests", "Conditioning.Tests", "Fixtures", "tiny-clip-random");
                if (Directory.Exists(path)) return path;
            }

            throw new DirectoryNotFoundException("tiny-clip-random fixture not found");
        }
    }

    private static string Image(int k) => Path.Combine(Clip, "images", $"image_{k}.png");

    [Fact]
    public async Task ScoresEachImageAndTheBatch()
    {
        (int code, string output, string error) = await CliRunner.RunAsync("score", "-m", Clip, "-p", "a red circle", Image(0), Image(1));
        Assert.True(code == 0, error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.EndsWith(Image(1), lines[1], StringComparison.Ordinal);
        Assert.InRange(float.Parse(lines[0].Split('\t')[0], CultureInfo.InvariantCulture), 0, 100);
    }

    [Fact]
    public async Task RerankPrintsTheBestFirst()
    {
        (int code, string output, string error) = await CliRunner.RunAsync("rerank", "-m", Clip, "-p", "a blue square", "--json", Image(0), Image(1), Image(2), Image(3));
        Assert.True(code == 0, error);
        float[] scores = [.. JsonDocument.Parse(output).RootElement.EnumerateArray().Select(e => e.GetProperty("score").GetSingle())];
        Assert.Equal(4, scores.Length);
        Assert.Equal(scores.OrderDescending(), scores);
    }

    [Fact]
    public async Task ClassifiesWithTemplates()
    {
        (int code, string output, string error) = await CliRunner.RunAsync(
            "classify", "-m", Clip, "-l", "red,green,blue", "--template", "a {} shape", "--template", "a photo of a {}", "--cache", _temp, Image(0));
        Assert.True(code == 0, error);
        Assert.Matches(@"^(red|green|blue)\t[01]\.\d{4}\t", output);
        Assert.NotEmpty(Directory.GetFiles(_temp, "*.clipemb"));
    }

    [Fact]
    public async Task InterrogatesWithPhraseLists()
    {
        string shapes = Path.Combine(_temp, "shapes.txt");
        await File.WriteAllLinesAsync(shapes, ["circle", "square", "", "star"]);
        (int code, string output, string error) = await CliRunner.RunAsync(
            "interrogate", "-m", Clip, "--list", "colour=red,green,blue", "--list", $"shape=@{shapes}", Image(2));
        Assert.True(code == 0, error);
        Assert.Contains("colour: ", output, StringComparison.Ordinal);
        Assert.Contains("shape: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IndexesAFolderThenSearchesIt()
    {
        string db = Path.Combine(_temp, "index.sqlite");
        (int code, string output, string error) = await CliRunner.RunAsync("index", "-m", Clip, "--db", db, Path.Combine(Clip, "images"));
        Assert.True(code == 0, error);
        Assert.Contains("added 5, updated 0, unchanged 0, unreadable 0", output, StringComparison.Ordinal);
        (code, output, error) = await CliRunner.RunAsync("index", "-m", Clip, "--db", db, Path.Combine(Clip, "images"));
        Assert.Contains("added 0, updated 0, unchanged 5", output, StringComparison.Ordinal);

        (code, output, error) = await CliRunner.RunAsync("search", "-m", Clip, "--db", db, "-k", "2", "a red circle");
        Assert.True(code == 0, error);
        Assert.Equal(2, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task ReportsABadImageAsAnErrorNamingIt()
    {
        string bad = Path.Combine(_temp, "bad.png");
        await File.WriteAllTextAsync(bad, "not an image");
        (int code, _, string error) = await CliRunner.RunAsync("score", "-m", Clip, "-p", "x", bad);
        Assert.Equal(1, code);
        Assert.Contains(bad, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportsAMissingModelFolder()
    {
        (int code, _, string error) = await CliRunner.RunAsync("rerank", "-m", Path.Combine(_temp, "nope"), "-p", "x", Image(0));
        Assert.Equal(1, code);
        Assert.StartsWith("error:", error, StringComparison.Ordinal);
    }
}
