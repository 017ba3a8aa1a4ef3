using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conditioning.Tests.Prompts;

/// <summary>Deep JSON equality where numbers compare as IEEE doubles bit for bit.</summary>
internal static class JsonAssert
{
    public static void Equal(JsonElement expected, JsonNode? actual, string context)
    {
        JsonElement a = JsonSerializer.SerializeToElement(actual);
        string? diff = Diff(expected, a, "$");
        Assert.True(diff is null, $"{context}: {diff}\nexpected {expected.GetRawText()}\nactual   {a.GetRawText()}");
    }

    private static string? Diff(JsonElement e, JsonElement a, string path)
    {
        if (e.ValueKind != a.ValueKind) return $"{path}: kind {e.ValueKind} vs {a.ValueKind}";
        switch (e.ValueKind)
        {
            case JsonValueKind.Number:
                return PromptVectors.SameBits(e.GetDouble(), a.GetDouble()) ? null : $"{path}: {e.GetRawText()} vs {a.GetRawText()}";
            case JsonValueKind.String:
                return e.GetString() == a.GetString() ? null : $"{path}: {e.GetRawText()} vs {a.GetRawText()}";
            case JsonValueKind.Array:
                if (e.GetArrayLength() != a.GetArrayLength()) return $"{path}: length {e.GetArrayLength()} vs {a.GetArrayLength()}";
                for (int i = 0; i < e.GetArrayLength(); i++)
                {
                    string? d = Diff(e[i], a[i], $"{path}[{i}]");
                    if (d is not null) return d;
                }

                return null;
            case JsonValueKind.Object:
                var ek = e.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
                var ak = a.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
                if (!ek.SequenceEqual(ak)) return $"{path}: keys {string.Join(",", ek)} vs {string.Join(",", ak)}";
                foreach (string k in ek)
                {
                    string? d = Diff(e.GetProperty(k), a.GetProperty(k), $"{path}.{k}");
                    if (d is not null) return d;
                }

                return null;
            default:
                return null;
        }
    }
}
