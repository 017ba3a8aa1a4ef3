using System.CommandLine;
using Conditioning.Scoring;

namespace Conditioning.Cli.Commands;

/// <summary><c>conditioning interrogate</c>: describe an image with phrases from label lists.</summary>
internal static class InterrogateCommand
{
    public static Command Create(CliIO io)
    {
        Option<DirectoryInfo> model = ClipCommandSupport.ModelOption();
        Option<string> provider = ClipCommandSupport.ProviderOption();
        Option<bool> json = ClipCommandSupport.JsonOption();
        var lists = new Option<string[]>("--list")
        {
            Description = "A phrase list as name=a,b,c or name=@file.txt (one phrase per line); repeat for several.",
            Required = true,
        };
        var separator = new Option<string>("--separator") { Description = "What joins phrases in the prompt.", DefaultValueFactory = _ => ", " };
        var start = new Option<string?>("--start") { Description = "A prompt to start from (default: the best single phrase)." };
        var image = new Argument<string>("image") { Description = "The image file." };
        var command = new Command("interrogate", "Rank each list's phrases against the image and build a prompt greedily while the similarity improves (as CLIP Interrogator).")
        {
            model, provider, lists, separator, start, json, image,
        };
        command.SetAction((parse, cancellationToken) => ClipCommandSupport.RunAsync(io, async () =>
        {
            var phraseLists = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (string spec in parse.GetRequiredValue(lists))
            {
                int eq = spec.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) throw new ArgumentException($"--list '{spec}' must look like name=a,b,c or name=@file.txt.");
                string value = spec[(eq + 1)..];
                phraseLists[spec[..eq]] = value.StartsWith('@')
                    ? [.. File.ReadAllLines(value[1..]).Select(l => l.Trim()).Where(l => l.Length > 0)]
                    : [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            }

            using ClipModel clip = ClipCommandSupport.Load(parse, model, provider);
            ClipEmbeddings embedding = await clip.EmbedImageFilesAsync([parse.GetRequiredValue(image)], cancellationToken: cancellationToken);
            InterrogationResult result = await new ClipInterrogator(clip).InterrogateAsync(
                embedding, phraseLists, new InterrogationOptions { Separator = parse.GetValue(separator), StartPrompt = parse.GetValue(start) }, cancellationToken);
            if (parse.GetValue(json))
            {
                await ClipCommandSupport.WriteJsonAsync(io, new
                {
                    prompt = result.Prompt,
                    cosine = result.Cosine,
                    top = result.TopPhrases.ToDictionary(kv => kv.Key, kv => kv.Value.Select(r => new { phrase = r.Item, cosine = r.Score })),
                });
                return 0;
            }

            await io.Out.WriteLineAsync(result.Prompt);
            foreach ((string name, IReadOnlyList<RankedItem<string>> top) in result.TopPhrases)
            {
                await io.Out.WriteLineAsync($"{name}: {string.Join(", ", top.Select(r => $"{r.Item} ({ClipCommandSupport.Number(r.Score)})"))}");
            }

            return 0;
        }));
        return command;
    }
}
