using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conditioning.Prompts;
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
        var prompt = new Argument<string>("prompt") { Description = "The prompt, or '-' to read JSON Lines (one JSON string per line) from stdin." };
        var command = new Command("parse", "Show how a prompt is parsed: fragments with weights, AND parts with weights, and the per-step schedule.")
        {
            dialect, steps, json, prompt,
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
                        : Describe(item, d, stepCount);
                    if (result.ContainsKey("error"))
                    {
                        failures++;
                        await io.Error.WriteLineAsync($"error: stdin line {line}: {result["error"]}");
                    }

                    await io.Out.WriteLineAsync(result.ToJsonString(Compact));
                }

                return failures == 0 ? 0 : CliApp.UserError;
            }

            JsonObject described = Describe(text, d, stepCount);
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
    internal static JsonObject Describe(string text, PromptDialect dialect, int? steps)
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

            return result;
        }
        catch (PromptSyntaxException e)
        {
            return new JsonObject { ["error"] = e.Message };
        }
    }

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

        if (described["conjunction"] is JsonObject conjunction)
        {
            console.WriteLine("conjunction: " + conjunction.ToJsonString(Compact));
        }
    }
}
