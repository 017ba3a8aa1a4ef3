using System.CommandLine;
using Conditioning.Scoring;

namespace Conditioning.Cli.Commands;

/// <summary><c>conditioning score</c>: the CLIP score of images against a prompt.</summary>
internal static class ScoreCommand
{
    public static Command Create(CliIO io)
    {
        Option<DirectoryInfo> model = ClipCommandSupport.ModelOption();
        Option<string> provider = ClipCommandSupport.ProviderOption();
        Option<bool> json = ClipCommandSupport.JsonOption();
        var prompt = new Option<string>("--prompt", "-p") { Description = "The prompt.", Required = true };
        Argument<string[]> images = ClipCommandSupport.ImagesArgument();
        var command = new Command("score", "CLIP score (torchmetrics: 100 · max(cos, 0)) of each image against the prompt, and the batch value max(mean(100 · cos), 0).")
        {
            model, provider, prompt, json, images,
        };
        command.SetAction((parse, cancellationToken) => ClipCommandSupport.RunAsync(io, async () =>
        {
            using ClipModel clip = ClipCommandSupport.Load(parse, model, provider);
            string[] files = parse.GetRequiredValue(images);
            string text = parse.GetRequiredValue(prompt);
            ClipEmbeddings imageEmbeddings = await clip.EmbedImageFilesAsync(files, cancellationToken: cancellationToken);
            ClipEmbeddings textEmbedding = await clip.EmbedTextAsync(text, cancellationToken);
            float[] cosines = imageEmbeddings.CosineSimilarity(textEmbedding).Values.ToArray();
            float mean = ClipScore.Aggregate(cosines);
            if (parse.GetValue(json))
            {
                await ClipCommandSupport.WriteJsonAsync(io, new
                {
                    prompt = text,
                    images = files.Select((f, i) => new { path = f, score = ClipScore.FromCosine(cosines[i]), cosine = cosines[i] }),
                    clipScore = mean,
                });
                return 0;
            }

            for (int i = 0; i < files.Length; i++) await io.Out.WriteLineAsync($"{ClipCommandSupport.Number(ClipScore.FromCosine(cosines[i]))}\t{files[i]}");
            await io.Out.WriteLineAsync($"{ClipCommandSupport.Number(mean)}\t(CLIP score of the batch)");
            return 0;
        }));
        return command;
    }
}
