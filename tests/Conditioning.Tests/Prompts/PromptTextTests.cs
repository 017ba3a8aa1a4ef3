using Conditioning.Prompts;

namespace Conditioning.Tests.Prompts;

public sealed class PromptTextTests
{
    [Theory]
    [InlineData("a (red:1.3) circle, [blue] square", PromptDialect.A1111, "a red circle, blue square")]
    [InlineData("a red circle AND a blue square :0.5", PromptDialect.A1111, "a red circle a blue square")]
    [InlineData("an (important:1.2) word", PromptDialect.ComfyUI, "an important word")]
    [InlineData("a red++ (circle)1.2 on the left", PromptDialect.Compel, "a red circle on the left")]
    [InlineData("a BREAK b", PromptDialect.A1111, "a b")]
    public void DropsTheWeightingSyntax(string prompt, PromptDialect dialect, string expected) =>
        Assert.Equal(expected, PromptText.Plain(prompt, dialect));
}
