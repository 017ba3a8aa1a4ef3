using Conditioning.Scoring;
using Conditioning.Tokenizers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Conditioning.Tests.Scoring;

/// <summary>
/// Phrase ranking and greedy prompt building of <see cref="ClipInterrogator"/>, on a fake CLIP whose text embedding
/// counts the words red, circle and blue, and whose image embedding is "red + circle".
/// </summary>
public sealed class ClipInterrogatorTests
{
    private static readonly ClipTokenizer Tokenizer = ClipTokenizer.FromFolder(Path.Combine(RandomTinyClip.Folder, "tokenizer"));

    private static (ClipModel Model, FakeTower Text) BagOfWordsModel(ListLogger? logger = null)
    {
        int[] words = [.. new[] { "red", "circle", "blue" }.Select(w => Tokenizer.Encode(w).Ids[1])];
        var text = FakeTower.Text(ids => [.. words.Select(w => (float)ids.Count(i => i == w)), 0.1f]);
        var vision = FakeTower.Vision(_ => [1, 1, 0, 0.1f]);
        var model = new ClipModel(text, vision, Tokenizer, ClipImagePreprocessor.FromFile(RandomTinyClip.Folder), new ClipModelOptions { ModelId = "bag", Logger = logger });
        return (model, text);
    }

    private static readonly Dictionary<string, IReadOnlyList<string>> Lists = new()
    {
        ["colour"] = ["blue", "red"],
        ["shape"] = ["square", "circle"],
    };

    [Fact]
    public async Task AddsPhrasesWhileTheSimilarityImprovesAndStopsWhenNoneDoes()
    {
        (ClipModel model, _) = BagOfWordsModel();
        using (model)
        using (var image = new Image<Rgb24>(16, 16))
        {
            InterrogationResult result = await new ClipInterrogator(model).InterrogateAsync(image, Lists);
            Assert.Contains(result.Prompt, new[] { "red, circle", "circle, red" });
            Assert.Equal(1f, result.Cosine, 4);
        }
    }

    [Fact]
    public async Task RanksEachListBestFirst()
    {
        (ClipModel model, _) = BagOfWordsModel();
        using (model)
        using (var image = new Image<Rgb24>(16, 16))
        {
            InterrogationResult result = await new ClipInterrogator(model).InterrogateAsync(image, Lists, new InterrogationOptions { TopPerList = 1 });
            Assert.Equal("red", Assert.Single(result.TopPhrases["colour"]).Item);
            Assert.Equal(1, result.TopPhrases["colour"][0].Index);
            Assert.Equal("circle", Assert.Single(result.TopPhrases["shape"]).Item);
        }
    }

    [Fact]
    public async Task StartsFromAGivenPromptAndKeepsItWhenNothingHelps()
    {
        (ClipModel model, _) = BagOfWordsModel();
        using (model)
        using (var image = new Image<Rgb24>(16, 16))
        {
            InterrogationResult result = await new ClipInterrogator(model).InterrogateAsync(
                image, Lists, new InterrogationOptions { StartPrompt = "a red circle", Separator = " " });
            Assert.Equal("a red circle", result.Prompt);
        }
    }

    [Fact]
    public async Task NeverBuildsAPromptLongerThanTheContext()
    {
        var logger = new ListLogger();
        (ClipModel model, _) = BagOfWordsModel(logger);
        using (model)
        using (var image = new Image<Rgb24>(16, 16))
        {
            // 76 tokens with BOS/EOS: "red" or "circle" still fits once and improves the similarity; after that every
            // candidate would be truncated (with a warning), so the interrogator must stop instead.
            string longStart = string.Join(' ', Enumerable.Repeat("blue", 74));
            Assert.Equal(76, Tokenizer.Encode(longStart).Count);
            var lists = new Dictionary<string, IReadOnlyList<string>> { ["x"] = ["red", "circle", "blue"] };
            InterrogationResult result = await new ClipInterrogator(model).InterrogateAsync(image, lists, new InterrogationOptions { StartPrompt = longStart, Separator = " " });
            Assert.Equal(77, Tokenizer.Encode(result.Prompt).Count);
            Assert.Empty(logger.Entries);
        }
    }
}
