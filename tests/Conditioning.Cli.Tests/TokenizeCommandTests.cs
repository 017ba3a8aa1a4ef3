using System.Text.Json;

namespace Conditioning.Cli.Tests;

public sealed class TokenizeCommandTests
{
    private static string ClipFolder => SharedData.PathOf("tokenizers", "clip-vit-large-patch14");

    private static string T5Folder => SharedData.PathOf("tokenizers", "t5-v1_1-xxl");

    [Fact]
    public async Task PrintsReferenceIdsAsJsonForAClipPrompt()
    {
        (int code, string output, _) = await CliRunner.RunAsync("tokenize", "--tokenizer", ClipFolder, "--json", "don't stop me now");
        Assert.Equal(0, code);
        using JsonDocument doc = JsonDocument.Parse(output);
        Assert.Equal([49406, 847, 713, 1691, 614, 692, 49407], doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("don</w>", doc.RootElement.GetProperty("tokens")[1].GetString());
    }

    [Fact]
    public async Task StreamsJsonLinesFromStdinOneObjectPerLine()
    {
        const string stdin = "\"a photo of a cat\"\n\"A photo of a CAT\"\n";
        (int code, string output, string error) = await CliRunner.RunWithStdinAsync(stdin, "tokenize", "-t", T5Folder, "-");
        Assert.Equal(0, code);
        Assert.Equal(string.Empty, error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using JsonDocument second = JsonDocument.Parse(lines[1]);
        Assert.Equal([71, 1202, 13, 3, 9, 3, 18911, 1], second.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("▁A", second.RootElement.GetProperty("tokens")[0].GetString());
    }

    [Fact]
    public async Task ReportsABadJsonLineAndKeepsGoing()
    {
        (int code, string output, string error) = await CliRunner.RunWithStdinAsync("\"cat\"\nnot json\n\"dog\"\n", "tokenize", "-t", ClipFolder, "-");
        Assert.Equal(1, code);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("\"error\"", lines[1], StringComparison.Ordinal);
        Assert.Contains("line 2", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PadsToMaxLengthWithThePadToken()
    {
        (int code, string output, _) = await CliRunner.RunAsync("tokenize", "-t", ClipFolder, "--json", "--max-length", "77", "a cat");
        Assert.Equal(0, code);
        using JsonDocument doc = JsonDocument.Parse(output);
        int[] ids = [.. doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())];
        Assert.Equal(77, ids.Length);
        Assert.Equal([49406, 320, 2368, 49407, 49407], ids[..5]);
    }

    [Fact]
    public async Task PrintsATableByDefault()
    {
        (int code, string output, _) = await CliRunner.RunAsync("tokenize", "-t", ClipFolder, "red circle");
        Assert.Equal(0, code);
        Assert.Contains("circle</w>", output, StringComparison.Ordinal);
        Assert.Contains("4 tokens", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailsWithAClearMessageWhenTheFolderHasNoTokenizer()
    {
        (int code, string output, string error) = await CliRunner.RunAsync("tokenize", "-t", "/nonexistent/tokenizer", "x");
        Assert.NotEqual(0, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains("/nonexistent/tokenizer", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequiresTheTokenizerOption()
    {
        (int code, _, string error) = await CliRunner.RunAsync("tokenize", "x");
        Assert.NotEqual(0, code);
        Assert.Contains("--tokenizer", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShowsHelp()
    {
        (int code, string output, _) = await CliRunner.RunAsync("tokenize", "--help");
        Assert.Equal(0, code);
        Assert.Contains("JSON Lines", output, StringComparison.Ordinal);
    }
}
