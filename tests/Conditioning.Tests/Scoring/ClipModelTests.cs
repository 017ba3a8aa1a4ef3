using Conditioning.Onnx;
using Conditioning.Scoring;
using Conditioning.Tokenizers;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Conditioning.Tests.Scoring;

/// <summary>
/// <see cref="ClipModel"/> end to end (tokenizer → ONNX Runtime → L2 normalisation) on a randomly initialised tiny CLIP
/// against its PyTorch outputs, and its batching and contracts with hand-written fakes.
/// </summary>
public sealed class ClipModelTests(ITestOutputHelper output)
{
    [Fact]
    public void TokenizesLikeThePythonReferenceIncludingTruncation()
    {
        using ClipModel model = RandomTinyClip.Load();
        (long[] ids, int[] counts) = model.Tokenize(RandomTinyClip.Prompts);
        long[] expected = [.. RandomTinyClip.Golden.GetProperty("input_ids").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetInt64()))];
        Assert.Equal(expected, ids);
        Assert.True(counts[^1] > 77, "the last golden prompt is longer than the context");
    }

    [Fact]
    public async Task TextEmbeddingsMatchPyTorchAfterNormalisation()
    {
        using ClipModel model = RandomTinyClip.Load();
        ClipEmbeddings actual = await model.EmbedTextsAsync(RandomTinyClip.Prompts);
        float[][] expected = RandomTinyClip.Rows("text_embeds");
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            float[] e = RandomTinyClip.Normalized(expected[i]);
            for (int d = 0; d < e.Length; d++) max = Math.Max(max, Math.Abs(e[d] - actual[i][d]));
        }

        output.WriteLine($"max |Δ| of normalised text embeddings: {max:E2}");
        Assert.True(max < 1e-5, $"max difference {max}");
    }

    [Fact]
    public async Task ImageEmbeddingsAndClipScoresMatchPyTorch()
    {
        using ClipModel model = RandomTinyClip.Load();
        ClipEmbeddings images = await model.EmbedImageFilesAsync(RandomTinyClip.Images);
        ClipEmbeddings texts = await model.EmbedTextsAsync(RandomTinyClip.Prompts);
        float[][] expectedImages = RandomTinyClip.Rows("image_embeds");
        float[][] expectedLogits = RandomTinyClip.Rows("logits_per_image");
        SimilarityMatrix cos = images.CosineSimilarity(texts);
        for (int i = 0; i < expectedImages.Length; i++)
        {
            float[] e = RandomTinyClip.Normalized(expectedImages[i]);
            double maxEmbedding = e.Select((v, d) => (double)Math.Abs(v - images[i][d])).Max();
            double maxScore = 0;
            for (int t = 0; t < texts.Count; t++)
            {
                double expectedCos = expectedLogits[i][t] / model.LogitScale;
                maxScore = Math.Max(maxScore, Math.Abs((100 * expectedCos) - (100 * cos[i, t])));
            }

            output.WriteLine($"{Path.GetFileName(RandomTinyClip.Images[i])}: max |Δ embedding| {maxEmbedding:E2}, max |Δ 100·cos| {maxScore:E2}");
            // 16×16 inputs need no resize; the 40×24 one goes through the Pillow resampler port, bit-identical to PIL's
            // bicubic, so every image matches to float rounding (measured ≤ 1.8e-7 embedding, 1.3e-5 in 100·cos).
            Assert.True(maxEmbedding < 1e-5, $"image {i}: embedding differs by {maxEmbedding}");
            Assert.True(maxScore < 1e-3, $"image {i}: 100·cos differs by {maxScore}");
        }
    }

    [Fact]
    public void ReadsTheTrainedLogitScaleFromConfigJson()
    {
        using ClipModel model = RandomTinyClip.Load();
        Assert.Equal(30f, model.LogitScale, 4);
        using ClipModel overridden = RandomTinyClip.Load(new ClipModelOptions { LogitScale = 100 });
        Assert.Equal(100f, overridden.LogitScale);
    }

    [Fact]
    public void HashesTheModelFilesIntoAStableModelId()
    {
        using ClipModel a = RandomTinyClip.Load();
        using ClipModel b = RandomTinyClip.Load();
        Assert.Matches("^[0-9a-f]{16}$", a.ModelId);
        Assert.Equal(a.ModelId, b.ModelId);
    }

    [Fact]
    public async Task WarnsWhenAPromptIsTruncated()
    {
        var logger = new ListLogger();
        using ClipModel model = RandomTinyClip.Load(new ClipModelOptions { Logger = logger });
        await model.EmbedTextsAsync(["a red circle", string.Join(' ', Enumerable.Repeat("red circle", 50))]);
        (LogLevel level, string message) = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Contains("Prompt 1 has 102 tokens but CLIP reads 77", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SplitsLargeRequestsIntoBatchesAndKeepsTheOrder()
    {
        // The fake text tower embeds a prompt as (its first content id, 1): batches must come back in order.
        var text = FakeTower.Text(ids => [ids[1], 1]);
        var vision = FakeTower.Vision(_ => [1, 0]);
        ClipTokenizer tokenizer = ClipTokenizer.FromFolder(Path.Combine(RandomTinyClip.Folder, "tokenizer"));
        var preprocessor = ClipImagePreprocessor.FromFile(RandomTinyClip.Folder);
        using var model = new ClipModel(text, vision, tokenizer, preprocessor, new ClipModelOptions { MaxBatchSize = 3, ModelId = "fake" });
        string[] prompts = ["red", "green", "blue", "yellow", "circle", "square", "star"];
        ClipEmbeddings embeddings = await model.EmbedTextsAsync(prompts);
        Assert.Equal(3, text.Runs);
        Assert.Equal(7, embeddings.Count);
        for (int i = 0; i < prompts.Length; i++)
        {
            float id = tokenizer.Encode(prompts[i]).Ids[1];
            float n = MathF.Sqrt((id * id) + 1);
            Assert.Equal(id / n, embeddings[i][0], 5);
        }
    }

    [Fact]
    public void RejectsModelsWithoutTheClipOutputs()
    {
        var pooled = new FakeTower("input_ids", OnnxElementType.Int64, 2, "pooler_output", _ => [1f]);
        var vision = FakeTower.Vision(_ => [1f]);
        ClipTokenizer tokenizer = ClipTokenizer.FromFolder(Path.Combine(RandomTinyClip.Folder, "tokenizer"));
        var e = Assert.Throws<ModelContractException>(() => new ClipModel(pooled, vision, tokenizer, ClipImagePreprocessor.FromFile(RandomTinyClip.Folder)));
        Assert.Contains("text_embeds", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsAMissingModelFolder()
    {
        Assert.Throws<DirectoryNotFoundException>(() => ClipModel.FromFolder(Path.Combine(RandomTinyClip.Folder, "missing")));
    }
}
