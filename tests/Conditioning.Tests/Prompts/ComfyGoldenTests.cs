using System.Text.Json;
using Conditioning.Prompts;

namespace Conditioning.Tests.Prompts;

public sealed class ComfyGoldenTests
{
    private const string File = "comfy_weights.json";

    public static IEnumerable<object[]> Cases => PromptVectors.Indices(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void SegmentsMatchTokenWeightsBitForBit(int index)
    {
        JsonElement c = PromptVectors.Cases(File)[index];
        string prompt = c.GetProperty("prompt").GetString()!;
        PromptVectors.AssertFragments(c.GetProperty("expected"), ComfyPromptParser.ParseWeights(prompt), prompt);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ParsedPromptHoldsTheSameSegmentsInOnePart(int index)
    {
        JsonElement c = PromptVectors.Cases(File)[index];
        string prompt = c.GetProperty("prompt").GetString()!;
        ParsedPrompt parsed = new ComfyPromptParser().Parse(prompt.AsSpan());
        PromptPart part = Assert.Single(parsed.Parts);
        PromptVectors.AssertFragments(c.GetProperty("expected"), part.Fragments, prompt);
    }
}
