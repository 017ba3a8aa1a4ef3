using System.Text.Json;
using Conditioning.Scoring;
using Xunit.Abstractions;

namespace Conditioning.Tests.Scoring;

/// <summary>
/// The scoring stack on the trained tiny CLIP: golden outputs of the PyTorch model (models/tiny-clip/fixtures), zero-shot
/// accuracy and text-to-image search relevance on the held-out shapes-world renders, and interrogation.
/// </summary>
public sealed class TinyClipTests(ITestOutputHelper output)
{
    private static JsonElement Golden()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TrainedTinyClip.Folder, "fixtures", "golden.json")));
        return doc.RootElement.Clone();
    }

    private static float[][] Rows(JsonElement golden, string name) =>
        [.. golden.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray())];

    private static float[] Unit(float[] v)
    {
        float n = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / n)];
    }

    [TinyClipFact]
    public async Task MatchesThePyTorchGoldenOutputs()
    {
        JsonElement golden = Golden();
        using ClipModel model = TrainedTinyClip.Load();
        string[] prompts = [.. golden.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!)];
        string[] images = [.. golden.GetProperty("images").EnumerateArray().Select(p => Path.Combine(TrainedTinyClip.Folder, "fixtures", p.GetString()!))];

        (long[] ids, _) = model.Tokenize(prompts);
        Assert.Equal(golden.GetProperty("input_ids").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetInt64())), ids);

        // pixel_values: 64×64 renders need no resize or crop, so the preprocessor must agree to float rounding.
        var pixels = Rows(golden, "image_embeds");
        byte[] bin = await File.ReadAllBytesAsync(Path.Combine(TrainedTinyClip.Folder, "fixtures", "golden.bin"));
        JsonElement pv = golden.GetProperty("binary").GetProperty("tensors").GetProperty("pixel_values");
        int offset = pv.GetProperty("offset").GetInt32();
        float[] expectedPixels = new float[images.Length * 3 * 64 * 64];
        Buffer.BlockCopy(bin, offset, expectedPixels, 0, expectedPixels.Length * sizeof(float));
        float[] actualPixels = model.Preprocessor.PreprocessFiles(images).Span.ToArray();
        double pixelDiff = expectedPixels.Zip(actualPixels, (e, a) => (double)Math.Abs(e - a)).Max();

        ClipEmbeddings text = await model.EmbedTextsAsync(prompts);
        ClipEmbeddings image = await model.EmbedImageFilesAsync(images);
        float[][] textRef = Rows(golden, "text_embeds"), imageRef = Rows(golden, "image_embeds"), logits = Rows(golden, "logits_per_image");
        double textDiff = 0, imageDiff = 0, scoreDiff = 0;
        for (int t = 0; t < prompts.Length; t++) textDiff = Math.Max(textDiff, Unit(textRef[t]).Select((v, d) => (double)Math.Abs(v - text[t][d])).Max());
        for (int i = 0; i < images.Length; i++) imageDiff = Math.Max(imageDiff, Unit(imageRef[i]).Select((v, d) => (double)Math.Abs(v - image[i][d])).Max());
        SimilarityMatrix cos = image.CosineSimilarity(text);
        float scale = golden.GetProperty("logit_scale").GetSingle();
        Assert.Equal(MathF.Exp(scale), model.LogitScale, 3);
        for (int i = 0; i < images.Length; i++)
        {
            for (int t = 0; t < prompts.Length; t++)
            {
                double reference = ClipScore.FromCosine(logits[i][t] / MathF.Exp(scale));
                scoreDiff = Math.Max(scoreDiff, Math.Abs(reference - ClipScore.FromCosine(cos[i, t])));
            }
        }

        output.WriteLine($"max |Δ| pixel_values {pixelDiff:E2}, normalised text_embeds {textDiff:E2}, image_embeds {imageDiff:E2}, CLIP score {scoreDiff:E2}");
        Assert.True(pixelDiff <= 1e-6, $"pixel_values differ by {pixelDiff}");
        Assert.True(textDiff <= 1e-4 && imageDiff <= 1e-4, $"embeddings differ by {textDiff} (text), {imageDiff} (image)");
        Assert.True(scoreDiff <= 1e-2, $"CLIP scores differ by {scoreDiff}");
        GC.KeepAlive(pixels);
    }

    // Reference: PyTorch predictions of the same weights with train_clip.py's own zero-shot recipe, per image
    // (Fixtures/tiny-clip-zeroshot/make_reference.py). C# must agree on (almost) every image: a near-tie may flip
    // with float rounding, so up to 1 % of the images may differ, and the accuracy may trail by that much. It must
    // also reach what the model reports for 1,000 held-out images (models/tiny-clip/training_metrics.json, "test"),
    // less 1 point for the smaller sample.
    [TinyClipFact]
    public async Task ClassifiesColourShapeAndPositionZeroShotAsPyTorchDoes()
    {
        string referencePath = Environment.GetEnvironmentVariable("CONDITIONING_ZEROSHOT_REFERENCE")
            ?? RepoPaths.Of("tests", "Conditioning.Tests", "Fixtures", "tiny-clip-zeroshot", "reference.json");
        Assert.True(File.Exists(referencePath), $"'{referencePath}' is missing: run Fixtures/tiny-clip-zeroshot/make_reference.py with the checkpoint the merged ONNX files were exported from.");
        using JsonDocument reference = JsonDocument.Parse(await File.ReadAllTextAsync(referencePath));
        string[] files = [.. reference.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()!)];
        var scenes = TrainedTinyClip.Scenes().Where(s => s.Objects.Length == 1).ToList();
        Assert.Equal(files, scenes.Select(s => Path.GetFileName(s.File)));

        using JsonDocument metrics = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(TrainedTinyClip.Folder, "training_metrics.json")));
        using ClipModel model = TrainedTinyClip.Load();
        var classifier = new ClipZeroShotClassifier(model);
        ClipEmbeddings images = await model.EmbedImageFilesAsync([.. scenes.Select(s => s.File)]);
        var failures = new List<string>();
        foreach (string attribute in new[] { "colour", "shape", "position", "size", "background" })
        {
            IReadOnlyList<ZeroShotClass> classes = TrainedTinyClip.Classes(attribute);
            IReadOnlyList<ZeroShotPrediction> predictions = classifier.Classify(images, await classifier.EmbedClassesAsync(classes), classes);
            string[] expected = [.. reference.RootElement.GetProperty("predictions").GetProperty(attribute).EnumerateArray().Select(v => v.GetString()!)];
            int agree = predictions.Select((p, i) => p.Label == expected[i]).Count(a => a);
            int correct = scenes.Select((s, i) => predictions[i].Label == (attribute == "background" ? s.Background : s.Objects[0][attribute])).Count(c => c);
            double accuracy = 100.0 * correct / scenes.Count;
            double referenceAccuracy = reference.RootElement.GetProperty("accuracy").GetProperty(attribute).GetDouble();
            double reported = metrics.RootElement.GetProperty("test").GetProperty(attribute).GetDouble();
            output.WriteLine($"{attribute}: {accuracy:F2} % ({correct}/{scenes.Count}); PyTorch on the same images {referenceAccuracy:F2} %; same prediction on {agree}/{scenes.Count}; model reports {reported:F1} % on 1,000");
            if (agree < scenes.Count * 0.99) failures.Add($"{attribute}: agrees with PyTorch on {agree}/{scenes.Count}");
            if (accuracy < referenceAccuracy - 1.0) failures.Add($"{attribute}: {accuracy:F2} % < PyTorch's {referenceAccuracy:F2} %");
            if (accuracy < reported - 1.0) failures.Add($"{attribute}: {accuracy:F2} % < the reported {reported:F1} %");
        }

        Assert.Empty(failures);
    }

    [TinyClipFact]
    public async Task FindsImagesOfEachColourAndShapeInTheTopFive()
    {
        var scenes = TrainedTinyClip.Scenes();
        using ClipModel model = TrainedTinyClip.Load();
        string db = Path.Combine(Path.GetTempPath(), $"conditioning-search-{Guid.NewGuid():N}.sqlite");
        try
        {
            using ClipImageIndex index = ClipImageIndex.Open(db, model);
            IndexingReport report = await index.IndexAsync([.. scenes.Select(s => s.File)]);
            Assert.Equal(scenes.Count, report.Added);
            var byFile = scenes.ToDictionary(s => Path.GetFullPath(s.File));
            int relevant = 0, total = 0;
            foreach (string colour in TrainedTinyClip.Vocabulary("colour"))
            {
                foreach (string shape in TrainedTinyClip.Vocabulary("shape"))
                {
                    IReadOnlyList<SearchHit> hits = await index.SearchAsync($"a {colour} {shape}", top: 5);
                    int good = hits.Count(h => byFile[h.Path].Objects.Any(o => o["colour"] == colour && o["shape"] == shape));
                    relevant += good;
                    total += hits.Count;
                    output.WriteLine($"a {colour} {shape}: {good}/5");
                }
            }

            double precision = 100.0 * relevant / total;
            output.WriteLine($"precision@5 over {total / 5} colour×shape queries: {precision:F1} %");
            Assert.True(precision >= 80, $"precision@5 is {precision:F1} %");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (string f in Directory.GetFiles(Path.GetDirectoryName(db)!, Path.GetFileName(db) + "*")) File.Delete(f);
        }
    }

    [TinyClipFact]
    public async Task InterrogationNamesTheColourAndShape()
    {
        var scenes = TrainedTinyClip.Scenes().Where(s => s.Objects.Length == 1).Take(40).ToList();
        using ClipModel model = TrainedTinyClip.Load();
        var interrogator = new ClipInterrogator(model);
        var lists = new Dictionary<string, IReadOnlyList<string>>
        {
            ["colour"] = TrainedTinyClip.Vocabulary("colour"),
            ["shape"] = TrainedTinyClip.Vocabulary("shape"),
            ["position"] = [.. TrainedTinyClip.PositionPhrases.Values.Select(p => p[0])],
            ["background"] = [.. TrainedTinyClip.Vocabulary("background").Select(b => b + " background")],
        };
        ClipEmbeddings images = await model.EmbedImageFilesAsync([.. scenes.Select(s => s.File)]);
        int both = 0, topColour = 0, topShape = 0;
        for (int i = 0; i < scenes.Count; i++)
        {
            ClipEmbeddings one = ClipEmbeddings.FromNormalized(images[i], 1, images.Dimension);
            InterrogationResult result = await interrogator.InterrogateAsync(one, lists, new InterrogationOptions { Separator = " " });
            Dictionary<string, string> truth = scenes[i].Objects[0];
            string[] words = result.Prompt.Split(' ');
            if (words.Contains(truth["colour"]) && words.Contains(truth["shape"])) both++;
            if (result.TopPhrases["colour"][0].Item == truth["colour"]) topColour++;
            if (result.TopPhrases["shape"][0].Item == truth["shape"]) topShape++;
            if (i < 5) output.WriteLine($"{Path.GetFileName(scenes[i].File)} ({truth["colour"]} {truth["shape"]} {truth["position"]}, {scenes[i].Background}): \"{result.Prompt}\" cos {result.Cosine:F3}");
        }

        output.WriteLine($"prompt names colour and shape: {both}/{scenes.Count}; best colour phrase right {topColour}/{scenes.Count}; best shape phrase right {topShape}/{scenes.Count}");
        // The per-list rankings are what the model knows (measured 40/40 colour, 39/40 shape). The greedy prompt is
        // reported, not asserted: this tiny model was trained on captions, not comma-joined phrase lists, so adding
        // a correct phrase does not always raise the similarity (measured: both named in 18/40).
        Assert.True(topColour >= scenes.Count * 0.9, $"best colour phrase right for {topColour}/{scenes.Count}");
        Assert.True(topShape >= scenes.Count * 0.9, $"best shape phrase right for {topShape}/{scenes.Count}");
    }
}
