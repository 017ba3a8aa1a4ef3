using System.Text.Json.Nodes;
using Conditioning.Prompts;

namespace Conditioning.Tests.Prompts;

public sealed class PromptParserBehaviourTests
{
    [Fact]
    public void A1111StrictModeReportsTheWeightThatWebuiCannotRead()
    {
        var e = Assert.Throws<PromptSyntaxException>(() => new A1111PromptParser().Parse("x (a:1.2.3)"));
        Assert.Equal(5, e.Position);
    }

    [Fact]
    public void A1111LenientModeReadsAnUnreadableWeightAsTextLikeComfyUI()
    {
        ParsedPrompt parsed = new A1111PromptParser(new A1111PromptParserOptions { Strict = false }).Parse("(a:1.2.3)");
        PromptFragment f = Assert.Single(parsed.Parts[0].Fragments);
        Assert.Equal(("a:1.2.3", 1.1), (f.Text, f.Weight));
    }

    [Fact]
    public void A1111NegativePromptsAreNotSplitOnAnd()
    {
        ParsedPrompt parsed = new A1111PromptParser(new A1111PromptParserOptions { IsNegativePrompt = true }).Parse("a AND b:0.5");
        Assert.Equal("a AND b:0.5", Assert.Single(parsed.Parts).Fragments[0].Text);
    }

    [Fact]
    public void A1111BreakBecomesABreakFragment()
    {
        IReadOnlyList<PromptFragment> f = A1111PromptParser.ParseAttention("a BREAK b");
        Assert.Equal([PromptFragmentKind.Text, PromptFragmentKind.Break, PromptFragmentKind.Text], f.Select(x => x.Kind));
    }

    [Fact]
    public void SpanAndStringOverloadsAgree()
    {
        const string Text = "a (b:1.3) [c]";
        IPromptParser[] parsers = [new A1111PromptParser(), new ComfyPromptParser(), new CompelPromptParser()];
        foreach (IPromptParser p in parsers)
        {
            Assert.Equal(p.Parse(Text).Parts[0].Fragments, p.Parse(Text.AsSpan()).Parts[0].Fragments);
        }
    }

    [Fact]
    public void DescribeProducesTheReferenceJsonShapePerDialect()
    {
        JsonObject a1111 = PromptReferenceJson.Describe("a [b:c:0.5] AND (d:1.2):0.5", PromptDialect.A1111, steps: 10);
        Assert.Equal("[[\"a [b:c:0.5]\",1],[\" (d:1.2)\",0.5]]", a1111["and"]!.ToJsonString());
        Assert.Equal("[[[5,\"a b\"],[10,\"a c\"]],[[10,\" (d:1.2)\"]]]", a1111["schedule"]!.ToJsonString());
        Assert.Equal("[[[[\"a b\",1]],[[\"a c\",1]]],[[[\" \",1],[\"d\",1.2]]]]", a1111["fragments"]!.ToJsonString());

        JsonObject comfy = PromptReferenceJson.Describe("(a:inf)", PromptDialect.ComfyUI);
        Assert.Equal("[[\"a\",\"inf\"]]", comfy["fragments"]!.ToJsonString());

        JsonObject compel = PromptReferenceJson.Describe("a+ b", PromptDialect.Compel);
        Assert.Equal("[[\"a\",1.1],[\"b\",1]]", compel["expected"]!.ToJsonString());
    }
}
