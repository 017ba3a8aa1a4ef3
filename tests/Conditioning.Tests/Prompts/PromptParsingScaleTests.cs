using System.Diagnostics;
using System.Text;
using Conditioning.Prompts;

namespace Conditioning.Tests.Prompts;

/// <summary>
/// Parsing is linear and iterative: huge, deeply nested and pathological prompts finish quickly and cannot
/// overflow the stack. The bound is deliberately loose (the work takes milliseconds) so a slow CI machine never
/// flakes; a quadratic or exponential parser would take minutes on these inputs.
/// </summary>
public sealed class PromptParsingScaleTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    public static IEnumerable<object[]> Inputs() =>
    [
        ["one megabyte of ordinary prompt", OneMegabyte()],
        ["10,000 nested round brackets", new string('(', 10_000) + "a" + new string(')', 10_000)],
        ["10,000 nested square brackets", new string('[', 10_000) + "a" + new string(']', 10_000)],
        ["10,000 unclosed brackets", new string('(', 5_000) + new string('[', 5_000) + "a"],
        ["10,000 nested groups with text at every level", Repeat("(a ", 10_000) + new string(')', 10_000)],
        ["10,000 nested explicit weights", Repeat("(a", 10_000) + Repeat(":1.01)", 10_000)],
        ["a million backslashes", new string('\\', 1_000_000)],
        ["a million backslash-bracket pairs", Repeat("\\(", 500_000)],
        ["half a million stray closers", Repeat(")]", 250_000)],
        ["10,000 nested schedules", Repeat("[a:", 10_000) + "b" + Repeat(":0.5]", 10_000)],
    ];

    [Theory]
    [MemberData(nameof(Inputs))]
    public void A1111ParsesQuickly(string name, string prompt)
    {
        var parser = new A1111PromptParser(new A1111PromptParserOptions { Strict = false });
        ParsedPrompt parsed = Timed(name, () => parser.Parse(prompt));
        Assert.NotEmpty(parsed.Parts);
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void ComfyParsesQuickly(string name, string prompt)
    {
        ParsedPrompt parsed = Timed(name, () => new ComfyPromptParser().Parse(prompt));
        Assert.Single(parsed.Parts);
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void CompelParsesQuicklyOrRejectsNestingBeyondItsLimit(string name, string prompt)
    {
        Timed(name, () =>
        {
            try
            {
                return new CompelPromptParser().Parse(prompt);
            }
            catch (PromptSyntaxException)
            {
                return null;
            }
        });
    }

    [Fact]
    public void CompelParsesFiveHundredNestedGroups()
    {
        string prompt = new string('(', 500) + "a" + new string(')', 500) + "+";
        ParsedPrompt parsed = new CompelPromptParser().Parse(prompt);
        Assert.Equal(1.1, Assert.Single(parsed.Parts[0].Fragments).Weight);
    }

    [Fact]
    public void CompelRejectsTenThousandNestedGroupsWithASyntaxError()
    {
        string prompt = new string('(', 10_000) + "a" + new string(')', 10_000);
        Assert.Throws<PromptSyntaxException>(() => new CompelPromptParser().Parse(prompt));
    }

    [Fact]
    public void A1111DeepNestingMultipliesOncePerLevel()
    {
        // 10,000 levels of 1.1 overflow to infinity exactly as repeated multiplication in Python does.
        string prompt = new string('(', 10_000) + "a" + new string(')', 10_000);
        PromptFragment f = Assert.Single(A1111PromptParser.ParseAttention(prompt));
        Assert.Equal(double.PositiveInfinity, f.Weight);

        string deep = new string('(', 100) + "a" + new string(')', 100);
        double expected = 1.0;
        for (int i = 0; i < 100; i++) expected *= 1.1;
        Assert.Equal(expected, Assert.Single(A1111PromptParser.ParseAttention(deep)).Weight);
    }

    private static T Timed<T>(string name, Func<T> parse)
    {
        var sw = Stopwatch.StartNew();
        T result = parse();
        sw.Stop();
        Assert.True(sw.Elapsed < Bound, $"{name} took {sw.Elapsed.TotalSeconds:F2} s");
        return result;
    }

    private static string Repeat(string s, int count) => new StringBuilder(s.Length * count).Insert(0, s, count).ToString();

    private static string OneMegabyte()
    {
        const string Piece = "a photo of a (red cat:1.2) on a [soft] ((mat)), \\(detail\\) BREAK \"quoted\" word+ (x)1.1, ";
        var sb = new StringBuilder(1 << 20);
        while (sb.Length < 1 << 20) sb.Append(Piece);
        return sb.ToString();
    }
}
