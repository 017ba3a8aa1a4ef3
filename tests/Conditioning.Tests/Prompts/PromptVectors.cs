using System.Globalization;
using System.Text.Json;
using Conditioning.Prompts;

namespace Conditioning.Tests.Prompts;

/// <summary>Loads the reference cases in <c>../shared/prompts/*.json</c> once per file.</summary>
internal static class PromptVectors
{
    private static readonly Dictionary<string, JsonElement[]> Cache = [];
    private static readonly Lock Gate = new();

    public static JsonElement[] Cases(string file, string? section = null)
    {
        lock (Gate)
        {
            string key = file + "#" + section;
            if (!Cache.TryGetValue(key, out JsonElement[]? cases))
            {
                using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(SharedData.PathOf("prompts", file)));
                JsonElement root = section is null ? doc.RootElement : doc.RootElement.GetProperty(section);
                cases = root.GetProperty("cases").EnumerateArray().Select(e => e.Clone()).ToArray();
                int declared = root.GetProperty("count").GetInt32();
                if (declared != cases.Length) throw new InvalidDataException($"{file} declares {declared} cases but holds {cases.Length}");
                Cache[key] = cases;
            }

            return cases;
        }
    }

    public static IEnumerable<object[]> Indices(string file, string? section = null) =>
        Enumerable.Range(0, Cases(file, section).Length).Select(i => new object[] { i });

    public static double ReadWeight(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch
        {
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            "nan" => double.NaN,
            string s => double.Parse(s, CultureInfo.InvariantCulture),
            null => throw new InvalidDataException("null weight"),
        }
        : e.GetDouble();

    /// <summary>Asserts that fragments equal a JSON list of <c>[text, weight]</c>, weights compared bit for bit.</summary>
    public static void AssertFragments(JsonElement expected, IReadOnlyList<PromptFragment> actual, string prompt)
    {
        var exp = expected.EnumerateArray().Select(p => (p[0].GetString()!, ReadWeight(p[1]))).ToList();
        var act = actual.Select(f => (f.Text, f.Weight)).ToList();
        Assert.True(exp.Count == act.Count, $"prompt {Show(prompt)}: expected {Format(exp)} but got {Format(act)}");
        for (int i = 0; i < exp.Count; i++)
        {
            Assert.True(exp[i].Item1 == act[i].Item1 && SameBits(exp[i].Item2, act[i].Item2),
                $"prompt {Show(prompt)}: expected {Format(exp)} but got {Format(act)}");
        }
    }

    public static bool SameBits(double a, double b) =>
        (double.IsNaN(a) && double.IsNaN(b)) || BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b);

    public static string Show(string s) => JsonSerializer.Serialize(s);

    private static string Format(List<(string, double)> list) =>
        "[" + string.Join(", ", list.Select(p => $"[{Show(p.Item1)}, {p.Item2.ToString("R", CultureInfo.InvariantCulture)}]")) + "]";
}
