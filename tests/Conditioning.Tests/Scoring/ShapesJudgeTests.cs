using System.Text.Json;
using Conditioning.Scoring;
using SixLabors.ImageSharp.Processing;
using Xunit.Abstractions;

namespace Conditioning.Tests.Scoring;

/// <summary>
/// The judge against the world generator's ground truth on the committed held-out renders
/// (models/shapes-world/fixtures, made by models/training/world.py).
/// </summary>
public sealed class ShapesJudgeTests(ITestOutputHelper output)
{
    private static string Fixtures => Environment.GetEnvironmentVariable("CONDITIONING_SHAPES_FIXTURES") ?? RepoPaths.Of("models", "shapes-world", "fixtures");

    private static List<(string File, JsonElement Truth)> Load(int objects)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "ground_truth.json")));
        return [.. doc.RootElement.GetProperty("images").EnumerateArray()
            .Where(e => e.GetProperty("objects").GetArrayLength() == objects)
            .Select(e => (e.GetProperty("file").GetString()!, e.Clone()))];
    }

    [Fact]
    public void AgreesWithGroundTruthOnAtLeast98PercentOfSingleObjectImages()
    {
        var cases = Load(objects: 1);
        Assert.True(cases.Count >= 200, $"expected a few hundred single-object fixtures, found {cases.Count}");
        var failures = new List<string>();
        foreach ((string file, JsonElement truth) in cases)
        {
            ShapesJudgement judged = ShapesJudge.Judge(Path.Combine(Fixtures, file));
            JsonElement o = truth.GetProperty("objects")[0];
            string expected = $"{truth.GetProperty("background").GetString()} {o.GetProperty("colour").GetString()} {o.GetProperty("shape").GetString()} {o.GetProperty("size").GetString()} {o.GetProperty("position").GetString()}";
            JudgedObject? main = judged.Main;
            string actual = main is null ? $"{judged.Background} (none)" : $"{judged.Background} {main.Colour} {main.Shape} {main.Size} {main.Position}";
            if (expected != actual) failures.Add($"{file}: expected '{expected}', judged '{actual}'");
        }

        double agreement = 1.0 - ((double)failures.Count / cases.Count);
        output.WriteLine($"all five attributes right: {cases.Count - failures.Count}/{cases.Count} ({agreement:P1})");
        failures.ForEach(output.WriteLine);
        Assert.True(agreement >= 0.98, $"agreement {agreement:P1} ({cases.Count - failures.Count}/{cases.Count}); failures:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public void FindsBothObjectsOfTwoObjectImages()
    {
        var cases = Load(objects: 2);
        Assert.NotEmpty(cases);
        int correct = 0;
        foreach ((string file, JsonElement truth) in cases)
        {
            ShapesJudgement judged = ShapesJudge.Judge(Path.Combine(Fixtures, file));
            var expected = truth.GetProperty("objects").EnumerateArray().Select(o => $"{o.GetProperty("colour").GetString()} {o.GetProperty("position").GetString()}").Order();
            var actual = judged.Objects.Select(o => $"{o.Colour} {o.Position}").Order();
            if (expected.SequenceEqual(actual)) correct++;
        }

        output.WriteLine($"two-object images, colour and position of both right: {correct}/{cases.Count}");
        Assert.True(correct >= 0.9 * cases.Count, $"colour and position of both objects right in {correct}/{cases.Count}");
    }

    [Fact]
    public void ReadsTheShapeThroughSoftEdges()
    {
        // A decoder's output has soft edges; a Gaussian blur (sigma 0.7 px) of the ground-truth renders stands in for
        // them. A box taken from the first faintly covered column grows with the blur and turns squares into circles
        // (about 86 % right); the coverage-mass edges keep the shape.
        var cases = Load(objects: 1);
        int right = 0;
        var misses = new List<string>();
        foreach ((string file, JsonElement truth) in cases)
        {
            using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(Path.Combine(Fixtures, file));
            image.Mutate(x => x.GaussianBlur(0.7f));
            string expected = truth.GetProperty("objects")[0].GetProperty("shape").GetString()!;
            string? judged = ShapesJudge.Judge(image).Main?.Shape;
            if (judged == expected) right++;
            else misses.Add($"{file}: {expected} judged {judged ?? "(none)"}");
        }

        output.WriteLine($"shape right on blurred renders: {right}/{cases.Count}");
        misses.ForEach(output.WriteLine);
        Assert.True(right >= 0.95 * cases.Count, $"shape right on {right}/{cases.Count} blurred renders");
    }

    [Fact]
    public void ReportsNoObjectOnAPlainBackground()
    {
        byte[] beige = new byte[64 * 64 * 3];
        for (int i = 0; i < beige.Length; i += 3)
        {
            beige[i] = 232;
            beige[i + 1] = 214;
            beige[i + 2] = 178;
        }

        ShapesJudgement judged = ShapesJudge.Judge(beige);
        Assert.Equal("beige", judged.Background);
        Assert.Null(judged.Main);
    }

    [Fact]
    public void RejectsPixelBuffersOfTheWrongSize() =>
        Assert.Throws<ArgumentException>(() => ShapesJudge.Judge(new byte[10]));
}
