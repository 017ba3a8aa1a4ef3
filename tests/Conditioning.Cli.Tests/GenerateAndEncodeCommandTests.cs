using SixLabors.ImageSharp;

namespace Conditioning.Cli.Tests;

/// <summary><c>generate</c> and <c>encode</c> end to end on the toy diffusers folders of the pipeline tests.</summary>
public sealed class GenerateAndEncodeCommandTests : IDisposable
{
    private readonly DirectoryInfo _out = Directory.CreateTempSubdirectory("cond-cli-");

    public void Dispose() => _out.Delete(recursive: true);

    private static string Toy(string name) => RepoPaths.Of("tests", "Conditioning.Pipelines.Tests", "Fixtures", name);

    [Fact]
    public async Task GenerateWritesOnePngPerBatchItem()
    {
        string target = Path.Combine(_out.FullName, "img.png");
        (int code, string output, string error) = await CliRunner.RunAsync("generate", "a (red:1.3) circle", "--model", Toy("toy-sd"), "--steps", "3", "--batch", "2", "--seed", "5", "--out", target, "--judge");
        Assert.True(code == 0, error);
        Assert.True(File.Exists(Path.Combine(_out.FullName, "img-0.png")));
        Assert.True(File.Exists(Path.Combine(_out.FullName, "img-1.png")));
        Assert.Contains("seed 6", output, StringComparison.Ordinal);
        Assert.Contains("judged:", output, StringComparison.Ordinal);
        using Image image = await Image.LoadAsync(Path.Combine(_out.FullName, "img-1.png"));
        Assert.Equal(32, image.Width);
    }

    [Fact]
    public async Task GenerateCreatesTheOutputFolder()
    {
        string target = Path.Combine(_out.FullName, "new", "deeper", "img.png");
        (int code, _, string error) = await CliRunner.RunAsync("generate", "a circle", "--model", Toy("toy-sd"), "--steps", "2", "--out", target);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(target));
    }

    [Fact]
    public async Task AnOutputPathThatIsAFolderIsAUserErrorWithoutAStackTrace()
    {
        (int code, _, string error) = await CliRunner.RunAsync("generate", "a circle", "--model", Toy("toy-sd"), "--steps", "2", "--out", _out.FullName);
        Assert.Equal(1, code);
        Assert.Contains(_out.FullName, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);

        // encode has no early check: the write fails, and it is still a user error in one line.
        (code, _, error) = await CliRunner.RunAsync("encode", "--model", Toy("toy-sd"), "a circle", "--out", _out.FullName);
        Assert.Equal(1, code);
        Assert.Contains(_out.FullName, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncodeTakesACompelPromptWithNoParts()
    {
        string target = Path.Combine(_out.FullName, "empty.safetensors");
        (int code, _, string error) = await CliRunner.RunAsync("encode", "--model", Toy("toy-sd"), "--dialect", "compel", "()", "--out", target);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(target));
    }

    [Fact]
    public async Task GenerateNamesAMissingModelFolder()
    {
        (int code, _, string error) = await CliRunner.RunAsync("generate", "a circle", "--model", "/nonexistent/model");
        Assert.Equal(1, code);
        Assert.Contains("/nonexistent/model", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateRejectsAnUnknownScheduler()
    {
        (int code, _, string error) = await CliRunner.RunAsync("generate", "a circle", "--model", Toy("toy-sd"), "--scheduler", "warp-drive", "--out", Path.Combine(_out.FullName, "x.png"));
        Assert.Equal(1, code);
        Assert.Contains("warp-drive", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncodeWritesSafetensorsAndPrintsShapes()
    {
        string target = Path.Combine(_out.FullName, "cond.safetensors");
        (int code, string output, string error) = await CliRunner.RunAsync("encode", "--model", Toy("toy-flux"), "--negative", "blurry", "--out", target, "a (red:1.2) circle");
        Assert.True(code == 0, error);
        Assert.Contains("prompt_embeds", output, StringComparison.Ordinal);
        Assert.Contains("pooled_prompt_embeds", output, StringComparison.Ordinal);
        Assert.Contains("negative_prompt_embeds", output, StringComparison.Ordinal);
        Assert.Contains("txt_ids", output, StringComparison.Ordinal);
        Assert.True(new FileInfo(target).Length > 1000);
    }

    [Fact]
    public async Task EncodeWritesOneNpyPerTensor()
    {
        (int code, _, string error) = await CliRunner.RunAsync("encode", "-m", Toy("toy-sd"), "-o", Path.Combine(_out.FullName, "c.npy"), "a circle");
        Assert.True(code == 0, error);
        Assert.True(File.Exists(Path.Combine(_out.FullName, "c.prompt_embeds.npy")));
        Assert.True(File.Exists(Path.Combine(_out.FullName, "c.negative_prompt_embeds.npy")));
    }

    [Fact]
    public async Task BestOfKeepsTheCandidateWithTheHighestClipScore()
    {
        string clip = Path.Combine(Path.GetDirectoryName(Toy("toy-sd"))!, "..", "..", "Conditioning.Tests", "Fixtures", "tiny-clip-random");
        string target = Path.Combine(_out.FullName, "best.png");
        (int code, string output, string error) = await CliRunner.RunAsync("generate", "a (red:1.2) circle", "--model", Toy("toy-sd"), "--steps", "2", "--best-of", "3", "--seed", "10", "--clip", clip, "--out", target);
        Assert.True(code == 0, error);
        var scores = System.Text.RegularExpressions.Regex.Matches(output, @"seed (\d+): (-?[\d.]+)").Select(m => (Seed: m.Groups[1].Value, Score: double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(["10", "11", "12"], scores.Select(s => s.Seed).Order());
        string bestSeed = scores.MaxBy(s => s.Score).Seed;
        Assert.Contains($"seed {bestSeed}, ", output.Split("wrote")[1], StringComparison.Ordinal);
        Assert.Contains("\"a red circle\"", output, StringComparison.Ordinal);
    }
}
