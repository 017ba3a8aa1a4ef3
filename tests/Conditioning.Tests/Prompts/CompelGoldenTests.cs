using System.Text.Json;
using Conditioning.Prompts;

namespace Conditioning.Tests.Prompts;

public sealed class CompelGoldenTests
{
    private const string File = "compel_parse.json";

    public static IEnumerable<object[]> Cases => PromptVectors.Indices(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConjunctionMatchesParseConjunction(int index)
    {
        JsonElement c = PromptVectors.Cases(File)[index];
        string prompt = c.GetProperty("prompt").GetString()!;
        if (c.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.String)
        {
            Assert.Throws<PromptSyntaxException>(() => new CompelPromptParser().Parse(prompt));
            return;
        }

        JsonAssert.Equal(c.GetProperty("conjunction"), PromptReferenceJson.CompelConjunction(prompt), PromptVectors.Show(prompt));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FlatFragmentsMatchTheExpectedField(int index)
    {
        JsonElement c = PromptVectors.Cases(File)[index];
        string prompt = c.GetProperty("prompt").GetString()!;
        if (c.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.String)
        {
            Assert.Throws<PromptSyntaxException>(() => PromptReferenceJson.CompelExpected(prompt));
            return;
        }

        JsonAssert.Equal(c.GetProperty("expected"), PromptReferenceJson.CompelExpected(prompt), PromptVectors.Show(prompt));
    }
}
