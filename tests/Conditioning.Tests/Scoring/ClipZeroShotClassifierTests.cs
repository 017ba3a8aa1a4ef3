using System.Numerics.Tensors;
using Conditioning.Scoring;
using Conditioning.Tokenizers;
using SixLabors.ImageSharp;

namespace Conditioning.Tests.Scoring;

/// <summary>Prompt ensembling, softmax and the on-disk label cache of <see cref="ClipZeroShotClassifier"/>.</summary>
public sealed class ClipZeroShotClassifierTests : IDisposable
{
    private readonly string _cacheFolder = Directory.CreateTempSubdirectory("conditioning-cache-").FullName;

    public void Dispose() => Directory.Delete(_cacheFolder, recursive: true);

    private static readonly IReadOnlyList<ZeroShotClass> Colours =
        ZeroShotClass.FromTemplates(["red", "green", "blue"], ["a {} shape", "a photo of a {} object"]);

    [Fact]
    public void ExpandsTemplatesIntoOneClassPerLabel()
    {
        Assert.Equal(["red", "green", "blue"], Colours.Select(c => c.Label));
        Assert.Equal(["a green shape", "a photo of a green object"], Colours[1].Prompts);
        Assert.Throws<ArgumentException>(() => ZeroShotClass.FromTemplates(["red"], ["a photo"]));
    }

    [Fact]
    public async Task EnsemblesTemplatesAsTheRenormalisedMeanOfNormalisedEmbeddings()
    {
        using ClipModel model = RandomTinyClip.Load();
        ClipEmbeddings classes = await new ClipZeroShotClassifier(model).EmbedClassesAsync(Colours);
        for (int c = 0; c < Colours.Count; c++)
        {
            ClipEmbeddings prompts = await model.EmbedTextsAsync(Colours[c].Prompts);
            var mean = new float[prompts.Dimension];
            for (int p = 0; p < prompts.Count; p++) TensorPrimitives.Add(mean, prompts[p], mean);
            TensorPrimitives.Divide(mean, TensorPrimitives.Norm(mean), mean);
            for (int d = 0; d < mean.Length; d++) Assert.Equal(mean[d], classes[c][d], 5);
        }
    }

    [Fact]
    public async Task GivesSoftmaxOfLogitScaleTimesCosine()
    {
        using ClipModel model = RandomTinyClip.Load();
        var classifier = new ClipZeroShotClassifier(model);
        using Image image = ImageLoader.Load(RandomTinyClip.Images[0]);
        ZeroShotPrediction p = (await classifier.ClassifyAsync([image], Colours))[0];
        Assert.Equal(1f, p.Probabilities.Sum(), 4);
        double[] exp = [.. p.Cosines.Select(c => Math.Exp(model.LogitScale * c))];
        for (int c = 0; c < exp.Length; c++) Assert.Equal(exp[c] / exp.Sum(), p.Probabilities[c], 4);
        Assert.Equal(p.Cosines.ToList().IndexOf(p.Cosines.Max()), p.ClassIndex);
        Assert.Equal(Colours[p.ClassIndex].Label, p.Label);
    }

    [Fact]
    public async Task ReusesLabelEmbeddingsFromTheDiskCacheAcrossInstances()
    {
        (ClipModel model, FakeTower text) = FakeModel("model-a");
        using (model)
        {
            var cache = new ClipEmbeddingCache(_cacheFolder);
            ClipEmbeddings first = await new ClipZeroShotClassifier(model, cache).EmbedClassesAsync(Colours);
            int runs = text.Runs;
            ClipEmbeddings second = await new ClipZeroShotClassifier(model, cache).EmbedClassesAsync(Colours);
            Assert.Equal(runs, text.Runs);
            Assert.Equal(first.Data.ToArray(), second.Data.ToArray());
            Assert.Single(Directory.GetFiles(_cacheFolder, "model-a-zeroshot-*.clipemb"));

            // A changed template is a different list: a new entry.
            await new ClipZeroShotClassifier(model, cache).EmbedClassesAsync(ZeroShotClass.FromTemplates(["red", "green", "blue"], ["a {} shape"]));
            Assert.True(text.Runs > runs);
            Assert.Equal(2, Directory.GetFiles(_cacheFolder, "model-a-zeroshot-*.clipemb").Length);
        }
    }

    [Fact]
    public async Task KeysTheCacheByModel()
    {
        var cache = new ClipEmbeddingCache(_cacheFolder);
        (ClipModel a, _) = FakeModel("model-a");
        (ClipModel b, FakeTower textB) = FakeModel("model-b");
        using (a)
        using (b)
        {
            await new ClipZeroShotClassifier(a, cache).EmbedClassesAsync(Colours);
            await new ClipZeroShotClassifier(b, cache).EmbedClassesAsync(Colours);
            Assert.Equal(1, textB.Runs);
            Assert.NotEqual(cache.PathOf("model-a", "zeroshot", [.. Colours.Select(c => c.Prompts)]), cache.PathOf("model-b", "zeroshot", [.. Colours.Select(c => c.Prompts)]));
        }
    }

    [Fact]
    public async Task RecomputesADamagedCacheFileAndSaysSo()
    {
        var logger = new ListLogger();
        var cache = new ClipEmbeddingCache(_cacheFolder, logger);
        (ClipModel model, FakeTower text) = FakeModel("model-a");
        using (model)
        {
            ClipEmbeddings good = await new ClipZeroShotClassifier(model, cache).EmbedClassesAsync(Colours);
            string file = Assert.Single(Directory.GetFiles(_cacheFolder));
            File.WriteAllBytes(file, File.ReadAllBytes(file)[..20]);
            ClipEmbeddings again = await new ClipZeroShotClassifier(model, cache).EmbedClassesAsync(Colours);
            Assert.Equal(2, text.Runs);
            Assert.Equal(good.Data.ToArray(), again.Data.ToArray());
            Assert.Contains(logger.Entries, e => e.Message.Contains("unusable", StringComparison.Ordinal));
            Assert.Equal(16 + (3 * 4 * sizeof(float)), File.ReadAllBytes(file).Length);
        }
    }

    /// <summary>A CLIP whose text embedding is (first content id, second content id, 1, 0) and image embedding is constant.</summary>
    internal static (ClipModel Model, FakeTower Text) FakeModel(string id)
    {
        var text = FakeTower.Text(ids => [ids[1], ids[2], 1, 0]);
        var vision = FakeTower.Vision(_ => [1, 0, 0, 1]);
        ClipTokenizer tokenizer = ClipTokenizer.FromFolder(Path.Combine(RandomTinyClip.Folder, "tokenizer"));
        var model = new ClipModel(text, vision, tokenizer, ClipImagePreprocessor.FromFile(RandomTinyClip.Folder), new ClipModelOptions { ModelId = id });
        return (model, text);
    }
}
