using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conditioning.Cli.Tests;

/// <summary>
/// <c>conditioning parse --json</c> prints each stage in exactly the shape of the reference files' <c>expected</c>
/// fields: checked over every case of those files, through the real command.
/// </summary>
public sealed class ParseCommandTests
{
    public static TheoryData<string, string, string> ReferenceFiles => new()
    {
        { "a1111_attention.json", "a1111", "fragments" },
        { "comfy_weights.json", "comfy", "fragments" },
        { "compel_parse.json", "compel", "fragments" },
        { "a1111_and.json", "a1111", "and" },
        { "a1111_schedules.json", "a1111", "schedule" },
    };

    [Theory]
    [MemberData(nameof(ReferenceFiles))]
    public async Task PrintsEveryReferenceCaseInItsExpectedShape(string file, string dialect, string field)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(SharedData.PathOf("prompts", file)));
        var cases = doc.RootElement.GetProperty("cases").EnumerateArray()
            .Where(c => c.TryGetProperty("expected", out _) && !c.TryGetProperty("error", out _))
            .Where(c => field != "schedule" || (c.GetProperty("hires_steps").ValueKind == JsonValueKind.Null && !c.GetProperty("use_old_scheduling").GetBoolean()))
            .ToList();
        Assert.NotEmpty(cases);
        string stdin = string.Join('\n', cases.Select(c => JsonSerializer.Serialize(c.GetProperty("prompt").GetString())));
        var mismatches = new List<string>();
        foreach (IGrouping<int, JsonElement> group in cases.GroupBy(c => field == "schedule" ? c.GetProperty("steps").GetInt32() : 0))
        {
            string input = string.Join('\n', group.Select(c => JsonSerializer.Serialize(c.GetProperty("prompt").GetString())));
            string[] args = field == "schedule"
                ? ["parse", "--dialect", dialect, "--steps", group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), "-"]
                : ["parse", "--dialect", dialect, "-"];
            (int code, string output, string error) = await CliRunner.RunWithStdinAsync(input, args);
            string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == group.Count(), $"expected {group.Count()} lines, got {lines.Length}; stderr: {error}");
            int i = 0;
            foreach (JsonElement c in group)
            {
                JsonNode? actual = JsonNode.Parse(lines[i++])![field];
                JsonNode? expected = JsonNode.Parse(c.GetProperty("expected").GetRawText());
                if (!Same(expected, actual)) mismatches.Add($"{c.GetProperty("prompt").GetString()}: expected {expected?.ToJsonString()}, got {actual?.ToJsonString()}");
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {cases.Count} differ:\n{string.Join('\n', mismatches.Take(10))}");
    }

    [Fact]
    public async Task ReportsAPromptTheReferenceToolRejects()
    {
        (int code, _, string error) = await CliRunner.RunAsync("parse", "--dialect", "a1111", "(a:1.2.3)");
        Assert.Equal(1, code);
        Assert.Contains("1.2.3", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShowsTheChunksOfTheFullPipeline()
    {
        (int code, string output, string error) = await CliRunner.RunAsync("parse", "--json", "--steps", "10", "-t", SharedData.PathOf("tokenizers", "clip-vit-large-patch14"), "a (red:1.3) [circle:square:0.5]");
        Assert.True(code == 0, error);
        JsonArray parts = JsonNode.Parse(output)!["chunks"]!.AsArray();
        JsonArray schedule = parts[0]!["schedule"]!.AsArray();
        Assert.Equal(2, schedule.Count);
        Assert.Equal(5, schedule[0]!["until_step"]!.GetValue<int>());
        JsonNode chunk = schedule[0]!["chunks"]![0]!;
        Assert.Equal([49406, 320, 736, 7117, 49407], chunk["ids"]!.AsArray().Take(5).Select(n => n!.GetValue<int>()));
        Assert.Equal([1.0, 1.0, 1.3, 1.0, 1.0], chunk["weights"]!.AsArray().Take(5).Select(n => n!.GetValue<double>()));
        Assert.Equal(77, chunk["ids"]!.AsArray().Count);
        var clip = Conditioning.Tokenizers.ClipTokenizer.FromFolder(SharedData.PathOf("tokenizers", "clip-vit-large-patch14"));
        Assert.Equal(clip.TokenToId("square</w>"), schedule[1]!["chunks"]![0]!["ids"]![3]!.GetValue<int>());
    }

    [Fact]
    public async Task ShowsEachCompelBlendMembersChunks()
    {
        (int code, string output, string error) = await CliRunner.RunAsync("parse", "--json", "--dialect", "compel", "-t", SharedData.PathOf("tokenizers", "clip-vit-large-patch14"), "(\"a red circle\", \"a blue square\").blend(0.7, 0.3)");
        Assert.True(code == 0, error);
        JsonNode blend = JsonNode.Parse(output)!["chunks"]![0]!["blend"]!;
        Assert.Equal([0.7, 0.3], blend["weights"]!.AsArray().Select(n => n!.GetValue<double>()));
        JsonArray members = blend["members"]!.AsArray();
        Assert.Equal(2, members.Count);
        var clip = Conditioning.Tokenizers.ClipTokenizer.FromFolder(SharedData.PathOf("tokenizers", "clip-vit-large-patch14"));
        Assert.Equal(clip.TokenToId("square</w>"), members[1]![0]!["ids"]![3]!.GetValue<int>());
    }

    [Fact]
    public async Task PrintsTablesForPeople()
    {
        (int code, string output, _) = await CliRunner.RunAsync("parse", "--steps", "20", "a [cat:dog:0.5]");
        Assert.Equal(0, code);
        Assert.Contains("schedule", output, StringComparison.Ordinal);
        Assert.Contains("a cat", output, StringComparison.Ordinal);
        Assert.Contains("a dog", output, StringComparison.Ordinal);
    }

    private static bool Same(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a is JsonArray x && b is JsonArray y) return x.Count == y.Count && x.Zip(y).All(p => Same(p.First, p.Second));
        if (a is JsonValue va && b is JsonValue vb)
        {
            if (va.GetValueKind() == JsonValueKind.Number && vb.GetValueKind() == JsonValueKind.Number) return va.GetValue<double>() == vb.GetValue<double>();
            return va.ToJsonString() == vb.ToJsonString();
        }

        return a.ToJsonString() == b.ToJsonString();
    }
}
