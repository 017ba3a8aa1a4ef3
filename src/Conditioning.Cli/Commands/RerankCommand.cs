using System.CommandLine;
using Conditioning.Scoring;

namespace Conditioning.Cli.Commands;

/// <summary><c>conditioning rerank</c>: images ordered by CLIP score against a prompt.</summary>
internal static class RerankCommand
{
    public static Command Create(CliIO io)
    {
        Option<DirectoryInfo> model = ClipCommandSupport.ModelOption();
        Option<string> provider = ClipCommandSupport.ProviderOption();
        Option<bool> json = ClipCommandSupport.JsonOption();
        var prompt = new Option<string>("--prompt", "-p") { Description = "The prompt.", Required = true };
        var top = new Option<int?>("--top") { Description = "Print only the best N." };
        Argument<string[]> images = ClipCommandSupport.ImagesArgument();
        var command = new Command("rerank", "Order images by CLIP score against the prompt, best first.") { model, provider, prompt, top, json, images };
        command.SetAction((parse, cancellationToken) => ClipCommandSupport.RunAsync(io, async () =>
        {
            using ClipModel clip = ClipCommandSupport.Load(parse, model, provider);
            IReadOnlyList<RankedItem<string>> ranked = await new ClipScorer(clip).RerankFilesAsync(
                parse.GetRequiredValue(prompt), parse.GetRequiredValue(images), cancellationToken: cancellationToken);
            IEnumerable<RankedItem<string>> shown = ranked.Take(parse.GetValue(top) ?? ranked.Count);
            if (parse.GetValue(json))
            {
                await ClipCommandSupport.WriteJsonAsync(io, shown.Select(r => new { path = r.Item, index = r.Index, score = r.Score }));
                return 0;
            }

            foreach (RankedItem<string> r in shown) await io.Out.WriteLineAsync($"{ClipCommandSupport.Number(r.Score)}\t{r.Item}");
            return 0;
        }));
        return command;
    }
}
