using Conditioning.Scoring;
using SixLabors.ImageSharp;

namespace Conditioning.Tests.Scoring;

/// <summary>CLIP scores and reranking on the random tiny CLIP, against its PyTorch logits.</summary>
public sealed class ClipScorerTests
{
    private static readonly string[] SmallImages = [.. RandomTinyClip.Images.Where(p => !p.Contains("wide", StringComparison.Ordinal))];

    private static float ExpectedScore(ClipModel model, int image, int prompt) =>
        100 * MathF.Max(RandomTinyClip.Rows("logits_per_image")[image][prompt] / model.LogitScale, 0);

    [Fact]
    public async Task ScoresEveryPairAs100TimesTheCosineClampedAtZero()
    {
        using ClipModel model = RandomTinyClip.Load();
        var scorer = new ClipScorer(model);
        Image[] images = [.. SmallImages.Select(p => (Image)ImageLoader.Load(p))];
        try
        {
            SimilarityMatrix scores = await scorer.ScoreMatrixAsync(images, RandomTinyClip.Prompts);
            int clamped = 0;
            for (int i = 0; i < images.Length; i++)
            {
                for (int t = 0; t < RandomTinyClip.Prompts.Length; t++)
                {
                    Assert.Equal(ExpectedScore(model, i, t), scores[i, t], 2);
                    if (scores[i, t] == 0) clamped++;
                }
            }

            Assert.True(clamped > 0, "an untrained model gives some negative cosines, which must score 0");
            float[] pairs = await scorer.ScorePairsAsync(images, RandomTinyClip.Prompts[..images.Length]);
            for (int i = 0; i < images.Length; i++) Assert.Equal(scores[i, i], pairs[i], 4);
            Assert.Equal(scores[2, 0], await scorer.ScoreAsync(images[2], RandomTinyClip.Prompts[0]), 4);
        }
        finally
        {
            foreach (Image image in images) image.Dispose();
        }
    }

    [Fact]
    public async Task RanksFilesByScoreBestFirst()
    {
        using ClipModel model = RandomTinyClip.Load();
        IReadOnlyList<RankedItem<string>> ranked = await new ClipScorer(model).RerankFilesAsync(RandomTinyClip.Prompts[1], SmallImages);
        float[][] logits = RandomTinyClip.Rows("logits_per_image");
        int[] expectedOrder = [.. Enumerable.Range(0, SmallImages.Length).OrderByDescending(i => logits[i][1])];
        Assert.Equal(expectedOrder, ranked.Select(r => r.Index));
        Assert.Equal(expectedOrder.Select(i => SmallImages[i]), ranked.Select(r => r.Item));
        Assert.Equal(ranked.Select(r => r.Score).OrderDescending(), ranked.Select(r => r.Score));
    }

    [Fact]
    public async Task GeneratesOneImagePerSeedInOrderAndRanksThem()
    {
        using ClipModel model = RandomTinyClip.Load();
        long[] seeds = [30, 10, 20, 0];
        List<long> calls = [];
        IReadOnlyList<RankedItem<Image>> ranked = await new ClipScorer(model).GenerateAndRerankAsync(
            RandomTinyClip.Prompts[0], seeds, (seed, _) =>
            {
                calls.Add(seed);
                return Task.FromResult<Image>(ImageLoader.Load(SmallImages[seed / 10]));
            });
        try
        {
            Assert.Equal(seeds, calls);
            IReadOnlyList<RankedItem<string>> byFile = await new ClipScorer(model).RerankFilesAsync(RandomTinyClip.Prompts[0], [.. seeds.Select(s => SmallImages[s / 10])]);
            Assert.Equal(byFile.Select(r => r.Index), ranked.Select(r => r.Index));
            Assert.Equal(byFile.Select(r => r.Score), ranked.Select(r => r.Score));
        }
        finally
        {
            foreach (RankedItem<Image> r in ranked) r.Item.Dispose();
        }
    }

    [Fact]
    public async Task RejectsPairsOfUnequalLength()
    {
        using ClipModel model = RandomTinyClip.Load();
        using Image image = ImageLoader.Load(SmallImages[0]);
        await Assert.ThrowsAsync<ArgumentException>(() => new ClipScorer(model).ScorePairsAsync([image], ["a", "b"]));
    }

    [Theory]
    [InlineData(new[] { 0.3f, 0.1f }, 20f)]
    [InlineData(new[] { 0.3f, -0.1f }, 10f)]          // the mean is clamped, not each pair
    [InlineData(new[] { -0.3f, -0.1f }, 0f)]
    public void AggregatesAsTorchmetricsDoes(float[] cosines, float expected)
    {
        Assert.Equal(expected, ClipScore.Aggregate(cosines), 4);
    }

    [Theory]
    [InlineData(0.25f, 25f)]
    [InlineData(-0.25f, 0f)]
    [InlineData(1f, 100f)]
    public void ScoresOnePairAs100TimesTheClampedCosine(float cosine, float expected)
    {
        Assert.Equal(expected, ClipScore.FromCosine(cosine), 4);
    }
}
