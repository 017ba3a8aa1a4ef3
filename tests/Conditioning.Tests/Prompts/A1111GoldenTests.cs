using System.Text.Json;
using Conditioning.Prompts;

namespace Conditioning.Tests.Prompts;

public sealed class A1111GoldenTests
{
    private const string Attention = "a1111_attention.json";
    private const string Schedules = "a1111_schedules.json";
    private const string And = "a1111_and.json";

    public static IEnumerable<object[]> AttentionCases => PromptVectors.Indices(Attention);

    public static IEnumerable<object[]> ScheduleCases => PromptVectors.Indices(Schedules);

    public static IEnumerable<object[]> AndCases => PromptVectors.Indices(And);

    [Theory]
    [MemberData(nameof(AttentionCases))]
    public void AttentionMatchesParsePromptAttentionBitForBit(int index)
    {
        JsonElement c = PromptVectors.Cases(Attention)[index];
        string prompt = c.GetProperty("prompt").GetString()!;
        if (c.GetProperty("expected").ValueKind == JsonValueKind.Null)
        {
            Assert.Contains("ValueError", c.GetProperty("error").GetString(), StringComparison.Ordinal);
            PromptSyntaxException e = Assert.Throws<PromptSyntaxException>(() => A1111PromptParser.ParseAttention(prompt));
            Assert.InRange(e.Position, 0, prompt.Length - 1);
            return;
        }

        PromptVectors.AssertFragments(c.GetProperty("expected"), A1111PromptParser.ParseAttention(prompt), prompt);
    }

    [Theory]
    [MemberData(nameof(ScheduleCases))]
    public void ScheduleMatchesGetLearnedConditioningPromptSchedules(int index)
    {
        JsonElement c = PromptVectors.Cases(Schedules)[index];
        string prompt = c.GetProperty("prompt").GetString()!;
        int steps = c.GetProperty("steps").GetInt32();
        int? hires = c.GetProperty("hires_steps").ValueKind == JsonValueKind.Null ? null : c.GetProperty("hires_steps").GetInt32();
        bool old = c.GetProperty("use_old_scheduling").GetBoolean();
        var expected = c.GetProperty("expected").EnumerateArray().Select(e => (e[0].GetInt32(), e[1].GetString()!)).ToList();

        var actual = A1111PromptParser.GetSchedule(prompt, steps, hires, old).ToList();

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ScheduleOfTheMultiPromptExampleMatches()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(SharedData.PathOf("prompts", Schedules)));
        JsonElement ex = doc.RootElement.GetProperty("multi_prompt_example");
        int steps = ex.GetProperty("steps").GetInt32();
        var prompts = ex.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToList();
        var expected = ex.GetProperty("expected").EnumerateArray()
            .Select(s => s.EnumerateArray().Select(e => (e[0].GetInt32(), e[1].GetString()!)).ToList()).ToList();

        var actual = prompts.Select(p => A1111PromptParser.GetSchedule(p, steps).ToList()).ToList();

        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(AndCases))]
    public void AndSplitMatchesGetMulticondPromptList(int index)
    {
        JsonElement c = PromptVectors.Cases(And)[index];
        string prompt = c.GetProperty("prompt").GetString()!;
        IReadOnlyList<(string Text, double Weight)> actual = A1111PromptParser.SplitAnd(prompt);
        PromptVectors.AssertFragments(c.GetProperty("expected"), actual.Select(p => new PromptFragment(p.Text, p.Weight)).ToList(), prompt);

        var (indexes, flat) = A1111PromptParser.GetMultiCondPromptList([prompt]);
        Assert.Equal(c.GetProperty("flat_list").EnumerateArray().Select(e => e.GetString()!), flat);
        var expectedIndexes = c.GetProperty("indexes").EnumerateArray().Select(e => (e[0].GetInt32(), e[1].GetDouble())).ToList();
        Assert.Equal(expectedIndexes.Select(e => e.Item1), indexes[0].Select(e => e.Index));
        Assert.True(expectedIndexes.Select(e => e.Item2).Zip(indexes[0].Select(e => e.Weight)).All(p => PromptVectors.SameBits(p.First, p.Second)));
    }

    [Fact]
    public void AndMultiPromptBatchesShareIndicesOfIdenticalSubPrompts()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(SharedData.PathOf("prompts", And)));
        foreach (JsonElement m in doc.RootElement.GetProperty("multi_prompt_cases").EnumerateArray())
        {
            var prompts = m.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToList();
            var (indexes, flat) = A1111PromptParser.GetMultiCondPromptList(prompts);
            Assert.Equal(m.GetProperty("flat_list").EnumerateArray().Select(e => e.GetString()!), flat);
            var expected = m.GetProperty("res_indexes").EnumerateArray()
                .Select(p => p.EnumerateArray().Select(e => (e[0].GetInt32(), e[1].GetDouble())).ToList()).ToList();
            Assert.Equal(expected, indexes.Select(p => p.Select(e => (e.Index, e.Weight)).ToList()).ToList());
        }
    }
}
