using System.Text.Json.Nodes;

namespace Conditioning.Prompts;

/// <summary>
/// The parse results in exactly the JSON shape of the reference files' <c>expected</c> fields
/// (<c>../shared/prompts/*.json</c>), for a thin CLI command (<c>conditioning parse</c>) and for diffing against the
/// reference tools. Weights are JSON numbers with Python's exact value; infinities and NaN are the strings
/// <c>"inf"</c>, <c>"-inf"</c> and <c>"nan"</c>, as the reference files write them.
/// </summary>
/// <remarks>Stateless and thread-safe.</remarks>
public static class PromptReferenceJson
{
    /// <summary>Produces the reference JSON for <paramref name="text"/> in <paramref name="dialect"/>.</summary>
    /// <param name="text">The prompt.</param>
    /// <param name="dialect">The dialect.</param>
    /// <param name="steps">For A1111: the sampling steps prompt editing refers to.</param>
    /// <returns>
    /// A1111: <c>{"and": [[text, weight], …], "schedule": [[[end_at_step, text], …] per AND part], "fragments": [[[text, weight], …] per schedule entry per part]}</c>;
    /// ComfyUI: <c>{"fragments": [[text, weight], …]}</c>; Compel: <c>{"expected": [[text, weight], …] or null, "conjunction": {…}}</c>.
    /// </returns>
    /// <exception cref="PromptSyntaxException">The reference tool fails on the prompt.</exception>
    public static JsonObject Describe(string text, PromptDialect dialect, int steps = 20)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (dialect)
        {
            case PromptDialect.A1111:
                var and = A1111PromptParser.SplitAnd(text);
                var schedules = new JsonArray();
                var fragments = new JsonArray();
                foreach ((string sub, _) in and)
                {
                    IReadOnlyList<(int EndAtStep, string Text)> schedule = A1111PromptParser.GetSchedule(sub, steps);
                    schedules.Add(ScheduleJson(schedule));
                    fragments.Add(new JsonArray(schedule.Select(s => (JsonNode)FragmentsJson(A1111PromptParser.ParseAttention(s.Text))).ToArray()));
                }

                return new JsonObject
                {
                    ["and"] = PairsJson(and.Select(p => (p.Text, p.Weight))),
                    ["schedule"] = schedules,
                    ["fragments"] = fragments,
                };
            case PromptDialect.ComfyUI:
                return new JsonObject { ["fragments"] = FragmentsJson(ComfyPromptParser.ParseWeights(text)) };
            case PromptDialect.Compel:
                return new JsonObject { ["expected"] = CompelExpected(text), ["conjunction"] = CompelConjunction(text) };
            default:
                throw new ArgumentOutOfRangeException(nameof(dialect), dialect, "Unknown dialect.");
        }
    }

    /// <summary>The <c>expected</c> field of <c>a1111_attention.json</c> / <c>comfy_weights.json</c>: <c>[[text, weight], …]</c>.</summary>
    /// <param name="fragments">Fragments from <see cref="A1111PromptParser.ParseAttention(string, bool)"/> or <see cref="ComfyPromptParser.ParseWeights"/>.</param>
    /// <returns>The JSON array.</returns>
    public static JsonArray FragmentsJson(IEnumerable<PromptFragment> fragments)
    {
        ArgumentNullException.ThrowIfNull(fragments);
        var array = new JsonArray();
        foreach (PromptFragment f in fragments)
        {
            if (f.Kind == PromptFragmentKind.Swap)
            {
                PromptSwap s = f.Swap!;
                array.Add(new JsonObject
                {
                    ["swap"] = new JsonObject
                    {
                        ["original"] = FragmentsJson(s.Original),
                        ["edited"] = FragmentsJson(s.Edited),
                        ["options"] = new JsonObject
                        {
                            ["s_start"] = Number(s.Options.SStart),
                            ["s_end"] = Number(s.Options.SEnd),
                            ["t_start"] = Number(s.Options.TStart),
                            ["t_end"] = Number(s.Options.TEnd),
                        },
                    },
                });
            }
            else if (f.Kind == PromptFragmentKind.Break)
            {
                array.Add(new JsonArray("BREAK", -1));
            }
            else
            {
                array.Add(new JsonArray(f.Text, Number(f.Weight)));
            }
        }

        return array;
    }

    /// <summary>The <c>expected</c> field of <c>a1111_schedules.json</c>: <c>[[end_at_step, text], …]</c>.</summary>
    /// <param name="schedule">A schedule from <see cref="A1111PromptParser.GetSchedule"/>.</param>
    /// <returns>The JSON array.</returns>
    public static JsonArray ScheduleJson(IEnumerable<(int EndAtStep, string Text)> schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return new JsonArray(schedule.Select(s => (JsonNode)new JsonArray(s.EndAtStep, s.Text)).ToArray());
    }

    /// <summary>The <c>conjunction</c> field of <c>compel_parse.json</c>: <c>{"weights", "loras", "parts"}</c>.</summary>
    /// <param name="text">The prompt.</param>
    /// <returns>The JSON object.</returns>
    /// <exception cref="PromptSyntaxException">Compel raises on the prompt.</exception>
    public static JsonObject CompelConjunction(string text)
    {
        ParsedPrompt parsed = new CompelPromptParser().Parse(text);
        var parts = new JsonArray();
        foreach (PromptPart p in parsed.Parts)
        {
            if (p.Blend is PromptBlend b)
            {
                parts.Add(new JsonObject
                {
                    ["type"] = "blend",
                    ["weights"] = new JsonArray(b.Weights.Select(w => Number(w)).ToArray()),
                    ["normalize"] = b.Normalize,
                    ["prompts"] = new JsonArray(b.Prompts.Select(x => (JsonNode)FragmentsJson(x)).ToArray()),
                });
            }
            else
            {
                parts.Add(new JsonObject { ["type"] = "prompt", ["fragments"] = FragmentsJson(p.Fragments) });
            }
        }

        return new JsonObject
        {
            ["weights"] = new JsonArray(parsed.Parts.Select(p => Number(p.Weight)).ToArray()),
            ["loras"] = new JsonArray(parsed.Loras.Select(l => (JsonNode)new JsonArray(l.Name, Number(l.Weight))).ToArray()),
            ["parts"] = parts,
        };
    }

    /// <summary>The <c>expected</c> field of <c>compel_parse.json</c>: the fragments when the result is one plain prompt without swaps, else null.</summary>
    /// <param name="text">The prompt.</param>
    /// <returns>The JSON array, or null.</returns>
    /// <exception cref="PromptSyntaxException">Compel raises on the prompt.</exception>
    public static JsonArray? CompelExpected(string text)
    {
        ParsedPrompt parsed = new CompelPromptParser().Parse(text);
        if (parsed.Parts.Count != 1 || parsed.Parts[0].Blend is not null || parsed.Parts[0].Fragments.Any(f => f.Kind != PromptFragmentKind.Text))
        {
            return null;
        }

        return FragmentsJson(parsed.Parts[0].Fragments);
    }

    private static JsonNode Number(double value) =>
        double.IsNaN(value) ? JsonValue.Create("nan") :
        double.IsPositiveInfinity(value) ? JsonValue.Create("inf") :
        double.IsNegativeInfinity(value) ? JsonValue.Create("-inf") :
        JsonValue.Create(value);

    private static JsonArray PairsJson(IEnumerable<(string Text, double Weight)> pairs) =>
        new(pairs.Select(p => (JsonNode)new JsonArray(p.Text, Number(p.Weight))).ToArray());
}
