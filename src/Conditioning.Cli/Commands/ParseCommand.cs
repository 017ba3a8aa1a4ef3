using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conditioning.Prompts;
using Conditioning.Tokenizers;
using Spectre.Console;

namespace Conditioning.Cli.Commands;

/// <summary><c>conditioning parse</c>: how a prompt is understood — fragments with weights, AND parts, the per-step schedule.</summary>
internal static class ParseCommand
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(CliIO io)
    {
        var dialect = new Option<string>("--dialect", "-d")
        {
            Description = "Prompt dialect: a1111 (AUTOMATIC1111), compel, or comfy (ComfyUI).",
            DefaultValueFactory = _ => "a1111",
        };
        dialect.AcceptOnlyFromAmong("a1111", "compel", "comfy");
        var steps = new Option<int?>("--steps") { Description = "A1111: the sampling steps prompt editing ([a:b:when]) refers to; prints the schedule." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object in the reference files' shapes instead of tables." };
        var tokenizer = new Option<string?>("--tokenizer", "-t")
        {
            Description = "CLIP tokenizer folder for the 'chunks' field (the full pipeline: AND split, schedule, weights, chunking). Default: the embedded models/tiny-clip/tokenizer.",
        };
        var prompt = new Argument<string>("prompt") { Description = "The prompt, or '-' to read JSON Lines (one JSON string per line) from stdin." };
        var command = new Command("parse", "Show how a prompt is parsed: fragments with weights, AND parts with weights, the per-step schedule, and the token chunks.")
        {
            dialect, steps, json, tokenizer, prompt,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            PromptDialect d = parse.GetValue(dialect) switch
            {
                "compel" => PromptDialect.Compel,
                "comfy" => PromptDialect.ComfyUI,
                _ => PromptDialect.A1111,
            };
            int? stepCount = parse.GetValue(steps);
            if (stepCount is < 1)
            {
                await io.Error.WriteLineAsync("error: --steps must be at least 1");
                return CliApp.UserError;
            }

            WeightedTokenizer? chunker = null;
            string? tokenizerFolder = parse.GetValue(tokenizer) ?? GenerateCommand.ResolveModel("models/tiny-clip/tokenizer");
            if (Directory.Exists(tokenizerFolder))
            {
                try
                {
                    chunker = new WeightedTokenizer(Tokenizers.TextTokenizer.FromFolder(tokenizerFolder));
                }
                catch (Tokenizers.TokenizerLoadException e)
                {
                    await io.Error.WriteLineAsync($"error: {e.Message}");
                    return CliApp.UserError;
                }
            }
            else if (parse.GetValue(tokenizer) is not null)
            {
                await io.Error.WriteLineAsync($"error: the tokenizer folder '{tokenizerFolder}' does not exist");
                return CliApp.UserError;
            }

            string text = parse.GetRequiredValue(prompt);
            if (text == "-")
            {
                int failures = 0, line = 0;
                while (await io.In.ReadLineAsync(cancellationToken) is { } l)
                {
                    line++;
                    if (l.Length == 0) continue;
                    string? item = TryReadJsonString(l);
                    JsonObject result = item is null
                        ? new JsonObject { ["error"] = string.Create(CultureInfo.InvariantCulture, $"line {line}: expected a JSON string") }
                        : Describe(item, d, stepCount, chunker);
                    if (result.ContainsKey("error"))
                    {
                        failures++;
                        await io.Error.WriteLineAsync($"error: stdin line {line}: {result["error"]}");
                    }

                    await io.Out.WriteLineAsync(result.ToJsonString(Compact));
                }

                return failures == 0 ? 0 : CliApp.UserError;
            }

            JsonObject described = Describe(text, d, stepCount, chunker);
            if (described["error"] is JsonNode error)
            {
                await io.Error.WriteLineAsync($"error: {error}");
                return CliApp.UserError;
            }

            if (parse.GetValue(json))
            {
                await io.Out.WriteLineAsync(described.ToJsonString(Compact));
            }
            else
            {
                WriteTables(io.Out, described);
            }

            return 0;
        });
        return command;
    }

    /// <summary>Each field shows one stage applied to the text exactly as given, in the reference files' shapes.</summary>
    internal static JsonObject Describe(string text, PromptDialect dialect, int? steps, WeightedTokenizer? chunker = null)
    {
        try
        {
            var result = new JsonObject { ["dialect"] = dialect.ToString() };
            switch (dialect)
            {
                case PromptDialect.A1111:
                    result["fragments"] = PromptReferenceJson.FragmentsJson(A1111PromptParser.ParseAttention(text));
                    result["and"] = new JsonArray(A1111PromptParser.SplitAnd(text).Select(p => (JsonNode)new JsonArray(p.Text, p.Weight)).ToArray());
                    if (steps is { } n) result["schedule"] = PromptReferenceJson.ScheduleJson(A1111PromptParser.GetSchedule(text, n));
                    break;
                case PromptDialect.ComfyUI:
                    result["fragments"] = PromptReferenceJson.FragmentsJson(ComfyPromptParser.ParseWeights(text));
                    break;
                default:
                    result["fragments"] = PromptReferenceJson.CompelExpected(text);
                    result["conjunction"] = PromptReferenceJson.CompelConjunction(text);
                    break;
            }

            if (chunker is not null) result["chunks"] = Chunks(text, dialect, steps ?? 20, chunker);
            return result;
        }
        catch (PromptSyntaxException e)
        {
            return new JsonObject { ["error"] = e.Message };
        }
    }

    /// <summary>The full pipeline: per AND part and schedule entry, the encoder chunks with their ids and weights.</summary>
    private static JsonArray Chunks(string text, PromptDialect dialect, int steps, WeightedTokenizer chunker)
    {
        IPromptParser parser = dialect switch
        {
            PromptDialect.A1111 => new A1111PromptParser(new A1111PromptParserOptions { Steps = steps }),
            PromptDialect.ComfyUI => new ComfyPromptParser(),
            _ => new CompelPromptParser(),
        };
        WeightedPrompt weighted = chunker.Tokenize(parser.Parse(text));
        static JsonArray ChunkArray(IEnumerable<PromptChunk> chunks) => new([.. chunks.Select(c => (JsonNode)new JsonObject
        {
            ["ids"] = new JsonArray([.. c.Ids.Select(i => (JsonNode)i)]),
            ["weights"] = new JsonArray([.. c.Weights.Select(Number)]),
        })]);

        return new JsonArray([.. weighted.Parts.Select(p => (JsonNode)new JsonObject
        {
            ["weight"] = p.Weight,
            // A Compel .blend(): each member is encoded on its own and the conditionings are summed with these weights.
            ["blend"] = p.Blend is null ? null : new JsonObject
            {
                ["weights"] = new JsonArray([.. p.Blend.Weights.Select(Number)]),
                ["normalize"] = p.Blend.Normalize,
                ["members"] = new JsonArray([.. p.BlendChunks.Select(m => (JsonNode)ChunkArray(m))]),
            },
            ["schedule"] = new JsonArray([.. p.Schedule.Select(s => (JsonNode)new JsonObject
            {
                ["until_step"] = s.EndAtStep == int.MaxValue ? null : s.EndAtStep,
                ["text"] = s.Text,
                ["token_count"] = s.TokenCount,
                ["chunks"] = ChunkArray(s.Chunks),
            })]),
        })]);
    }

    /// <summary>A weight as JSON; infinities and NaN as the strings the reference files use.</summary>
    private static JsonNode Number(double w) =>
        double.IsNaN(w) ? "nan" : double.IsPositiveInfinity(w) ? "inf" : double.IsNegativeInfinity(w) ? "-inf" : JsonValue.Create(w);

    private static string? TryReadJsonString(string line)
    {
        try
        {
            return JsonSerializer.Deserialize<string>(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void WriteTables(TextWriter output, JsonObject described)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        if (described["fragments"] is JsonArray fragments)
        {
            var table = new Table().Title("fragments").AddColumn("text").AddColumn("weight");
            foreach (JsonNode? f in fragments) table.AddRow(Markup.Escape($"\"{f![0]}\""), Markup.Escape(f[1]!.ToJsonString()));
            console.Write(table);
        }
        else
        {
            console.MarkupLine("[grey]fragments: the prompt is more than one plain part (see conjunction)[/]");
        }

        if (described["and"] is JsonArray and && and.Count > 1)
        {
            var table = new Table().Title("AND parts (composable diffusion)").AddColumn("text").AddColumn("weight");
            foreach (JsonNode? p in and) table.AddRow(Markup.Escape($"\"{p![0]}\""), Markup.Escape(p[1]!.ToJsonString()));
            console.Write(table);
        }

        if (described["schedule"] is JsonArray schedule)
        {
            var table = new Table().Title("schedule").AddColumn("until step").AddColumn("prompt");
            foreach (JsonNode? s in schedule) table.AddRow(Markup.Escape(s![0]!.ToJsonString()), Markup.Escape($"\"{s[1]}\""));
            console.Write(table);
        }

        if (described["chunks"] is JsonArray parts)
        {
            var table = new Table().Title("chunks").AddColumn("part").AddColumn("until step").AddColumn("tokens").AddColumn("chunks").AddColumn("weighted tokens");
            int index = 0;
            foreach (JsonNode? part in parts)
            {
                foreach (JsonNode? entry in part!["schedule"]!.AsArray())
                {
                    JsonArray chunks = entry!["chunks"]!.AsArray();
                    int weighted = chunks.Sum(c => c!["weights"]!.AsArray().Count(w => w!.GetValueKind() != JsonValueKind.Number || w.GetValue<double>() != 1.0));
                    table.AddRow(
                        index.ToString(CultureInfo.InvariantCulture),
                        Markup.Escape(entry["until_step"]?.ToJsonString() ?? "end"),
                        Markup.Escape(entry["token_count"]!.ToJsonString()),
                        chunks.Count.ToString(CultureInfo.InvariantCulture),
                        weighted.ToString(CultureInfo.InvariantCulture));
                }

                index++;
            }

            console.Write(table);
        }

        if (described["conjunction"] is JsonObject conjunction)
        {
            console.WriteLine("conjunction: " + conjunction.ToJsonString(Compact));
        }
    }
}
