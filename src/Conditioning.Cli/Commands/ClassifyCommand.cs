using System.CommandLine;
using Conditioning.Scoring;

namespace Conditioning.Cli.Commands;

/// <summary><c>conditioning classify</c>: zero-shot classification with prompt ensembling.</summary>
internal static class ClassifyCommand
{
    public static Command Create(CliIO io)
    {
        Option<DirectoryInfo> model = ClipCommandSupport.ModelOption();
        Option<string> provider = ClipCommandSupport.ProviderOption();
        Option<bool> json = ClipCommandSupport.JsonOption();
        var labels = new Option<string>("--labels", "-l") { Description = "Comma-separated labels, e.g. red,green,blue.", Required = true };
        var templates = new Option<string[]>("--template")
        {
            Description = "A prompt template with {} for the label (repeat to ensemble); default \"a photo of a {}.\".",
            DefaultValueFactory = _ => ["a photo of a {}."],
        };
        var cache = new Option<DirectoryInfo?>("--cache") { Description = "Folder to keep label embeddings in between runs." };
        Argument<string[]> images = ClipCommandSupport.ImagesArgument();
        var command = new Command("classify", "Zero-shot classification: softmax over the model's logit scale × cosine with each label's ensembled prompts.")
        {
            model, provider, labels, templates, cache, json, images,
        };
        command.SetAction((parse, cancellationToken) => ClipCommandSupport.RunAsync(io, async () =>
        {
            using ClipModel clip = ClipCommandSupport.Load(parse, model, provider);
            string[] names = parse.GetRequiredValue(labels).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            IReadOnlyList<ZeroShotClass> classes = ZeroShotClass.FromTemplates(names, parse.GetRequiredValue(templates));
            DirectoryInfo? cacheFolder = parse.GetValue(cache);
            var classifier = new ClipZeroShotClassifier(clip, cacheFolder is null ? null : new ClipEmbeddingCache(cacheFolder.FullName));
            string[] files = parse.GetRequiredValue(images);
            ClipEmbeddings embeddings = await clip.EmbedImageFilesAsync(files, cancellationToken: cancellationToken);
            IReadOnlyList<ZeroShotPrediction> predictions = classifier.Classify(embeddings, await classifier.EmbedClassesAsync(classes, cancellationToken), classes);
            if (parse.GetValue(json))
            {
                await ClipCommandSupport.WriteJsonAsync(io, files.Select((f, i) => new
                {
                    path = f,
                    label = predictions[i].Label,
                    probabilities = names.Select((n, c) => new { label = n, probability = predictions[i].Probabilities[c] }),
                }));
                return 0;
            }

            for (int i = 0; i < files.Length; i++)
            {
                await io.Out.WriteLineAsync($"{predictions[i].Label}\t{ClipCommandSupport.Number(predictions[i].Probabilities[predictions[i].ClassIndex])}\t{files[i]}");
            }

            return 0;
        }));
        return command;
    }
}
