using System.CommandLine;
using System.Text.Json;
using Conditioning.Tokenizers;
using Spectre.Console;

namespace Conditioning.Cli.Commands;

/// <summary><c>conditioning tokenize</c>: prints the ids and tokens a prompt becomes.</summary>
internal static class TokenizeCommand
{
    public static Command Create(CliIO io)
    {
        var tokenizer = new Option<DirectoryInfo>("--tokenizer", "-t")
        {
            Description = "Tokenizer folder (diffusers 'tokenizer/' with vocab.json + merges.txt, or spiece.model / tokenizer.json). CLIP or T5 is detected from its files.",
            Required = true,
        };
        var prompt = new Argument<string>("prompt")
        {
            Description = "The prompt, or '-' to read JSON Lines from stdin (one JSON string per line) and write one JSON object per line.",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object ({\"ids\": [...], \"tokens\": [...]}) instead of a table." };
        var spans = new Option<bool>("--spans") { Description = "Also print each token's character span in the prompt ([start, length])." };
        var maxLength = new Option<int?>("--max-length")
        {
            Description = "Truncate and pad to this many ids as pipelines do (77 for CLIP; 256/512 for T5).",
        };
        var noSpecial = new Option<bool>("--no-special-tokens") { Description = "Do not add BOS/EOS." };

        var command = new Command("tokenize", "Tokenize a prompt exactly as Hugging Face's CLIP or T5 tokenizer does.")
        {
            tokenizer, prompt, json, spans, maxLength, noSpecial,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            ITextTokenizer t;
            try
            {
                t = TextTokenizer.FromFolder(parse.GetRequiredValue(tokenizer).FullName);
            }
            catch (TokenizerLoadException e)
            {
                await io.Error.WriteLineAsync($"error: {e.Message}");
                return CliApp.UserError;
            }

            var settings = new Settings(parse.GetValue(spans), parse.GetValue(maxLength), !parse.GetValue(noSpecial));
            if (settings.MaxLength is < 2)
            {
                await io.Error.WriteLineAsync("error: --max-length must be at least 2");
                return CliApp.UserError;
            }

            string text = parse.GetRequiredValue(prompt);
            if (text == "-") return await RunJsonLinesAsync(t, settings, io, cancellationToken);
            TokenizedText result = Encode(t, text, settings);
            if (parse.GetValue(json))
            {
                await io.Out.WriteLineAsync(ToJson(result, settings.Spans));
            }
            else
            {
                WriteTable(io.Out, text, result, settings.Spans);
            }

            return 0;
        });
        return command;
    }

    private static async Task<int> RunJsonLinesAsync(ITextTokenizer tokenizer, Settings settings, CliIO io, CancellationToken cancellationToken)
    {
        int lineNumber = 0;
        int failures = 0;
        while (await io.In.ReadLineAsync(cancellationToken) is { } line)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            string? text;
            try
            {
                text = JsonSerializer.Deserialize<string>(line);
            }
            catch (JsonException e)
            {
                text = null;
                await io.Error.WriteLineAsync($"error: stdin line {lineNumber}: not a JSON string ({e.Message})");
            }

            if (text is null)
            {
                failures++;
                await io.Out.WriteLineAsync(JsonSerializer.Serialize(new { error = $"line {lineNumber}: expected a JSON string" }));
                continue;
            }

            await io.Out.WriteLineAsync(ToJson(Encode(tokenizer, text, settings), settings.Spans));
        }

        return failures == 0 ? 0 : CliApp.UserError;
    }

    private static TokenizedText Encode(ITextTokenizer tokenizer, string text, Settings settings)
    {
        TokenizedText full = tokenizer.Encode(text, settings.AddSpecialTokens);
        if (settings.MaxLength is not { } length) return full;
        (int[] ids, int used) = tokenizer.EncodeToFixedLength(text, length);
        var spans = new TokenSpan[ids.Length];
        var tokens = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            bool fromText = i < used - 1 || (i == used - 1 && used == full.Count);
            spans[i] = fromText ? full.Spans[i] : new TokenSpan(text.Length, 0);
            tokens[i] = tokenizer.IdToToken(ids[i]) ?? string.Empty;
        }

        return new TokenizedText(ids, tokens, spans);
    }

    private static string ToJson(TokenizedText result, bool withSpans)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("ids");
            foreach (int id in result.Ids) w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteStartArray("tokens");
            foreach (string token in result.Tokens) w.WriteStringValue(token);
            w.WriteEndArray();
            if (withSpans)
            {
                w.WriteStartArray("spans");
                foreach (TokenSpan s in result.Spans)
                {
                    w.WriteStartArray();
                    w.WriteNumberValue(s.Start);
                    w.WriteNumberValue(s.Length);
                    w.WriteEndArray();
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteTable(TextWriter output, string text, TokenizedText result, bool withSpans)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var table = new Table().AddColumn("#").AddColumn("id").AddColumn("token").AddColumn("text");
        if (withSpans) table.AddColumn("span");
        for (int i = 0; i < result.Count; i++)
        {
            TokenSpan s = result.Spans[i];
            var row = new List<string>
            {
                i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                result.Ids[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(result.Tokens[i]),
                Markup.Escape(text.Substring(s.Start, s.Length)),
            };
            if (withSpans) row.Add($"[[{s.Start}, {s.Length}]]");
            table.AddRow([.. row]);
        }

        console.Write(table);
        console.MarkupLine($"[grey]{result.Count} tokens[/]");
    }

    private sealed record Settings(bool Spans, int? MaxLength, bool AddSpecialTokens);
}
