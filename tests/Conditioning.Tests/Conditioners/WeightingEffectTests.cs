using System.Globalization;
using System.Text.Json;
using Conditioning.Conditioners;
using Conditioning.Onnx;
using Conditioning.Scoring;
using Conditioning.Tokenizers;
using Xunit.Abstractions;

namespace Conditioning.Tests.Conditioners;

/// <summary>
/// The weighting effect end to end on the trained tiny CLIP: the conditioning tiny-sd's conditioner makes for
/// "a circle, (colour:w), other colour" is taken into CLIP's joint space — the mean of the prompt's token states
/// (BOS … EOS) through the text tower's own <c>text_projection</c>, read from <c>text_model.onnx</c> — and compared with
/// the tiny CLIP image embeddings of the shapes-world renders of that colour. The pooled (EOS) vector cannot show it:
/// weights act on the encoder's output, after the EOS state is formed. Measured with A1111's weighting (scale, then
/// mean restore; the default). ComfyUI's lerp from the empty prompt (Compel's too, above weight 1) does not rise on this
/// measure: for red/blue it went 0.7708, 0.7730, 0.7731, 0.7710, 0.7668 over weights 0.5…1.5 (it peaks at 1, as
/// extrapolating away from the empty prompt's state also leaves the region the projection maps to colours).
/// </summary>
public sealed class WeightingEffectTests(ITestOutputHelper output)
{
    private static readonly double[] Weights = [0.5, 0.75, 1.0, 1.25, 1.5];

    [Theory]
    [InlineData("red", "blue")]
    [InlineData("blue", "red")]
    [InlineData("green", "yellow")]
    [InlineData("purple", "orange")]
    [InlineData("cyan", "pink")]
    public async Task UpWeightingAColourMovesTheConditioningTowardImagesOfThatColour(string up, string other)
    {
        float[] images = await MeanImageEmbeddingAsync(up);
        (float[] projection, int width, int dim) = TextProjection();
        using IPromptConditioner conditioner = PromptConditioner.FromFolder(RepoPaths.Of("models", "tiny-sd"));
        ITextTokenizer tokenizer = TextTokenizer.FromFolder(RepoPaths.Of("models", "tiny-sd", "tokenizer"));
        int tokens = tokenizer.Encode($"a circle, {up}, {other}").Ids.Count; // with BOS and EOS

        var similarity = new List<double>();
        foreach (double w in Weights)
        {
            string prompt = string.Create(CultureInfo.InvariantCulture, $"a circle, ({up}:{w}), {other}");
            DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = prompt, ClassifierFreeGuidance = false });
            ReadOnlySpan<float> sequence = c.Positive.Parts[0].At(0).Sequence.Span;
            var mean = new double[width];
            for (int t = 0; t < tokens; t++)
            {
                for (int k = 0; k < width; k++) mean[k] += sequence[(t * width) + k] / tokens;
            }

            // text_embeds = pooled · W with W [width, dim] (the exported MatMul's right operand).
            var projected = new double[dim];
            for (int i = 0; i < width; i++)
            {
                for (int j = 0; j < dim; j++) projected[j] += mean[i] * projection[(i * dim) + j];
            }

            similarity.Add(Cosine(projected, images));
        }

        output.WriteLine($"{up} vs {other}: " + string.Join(", ", Weights.Select((w, i) => string.Create(CultureInfo.InvariantCulture, $"w {w}: {similarity[i]:F4}"))));
        for (int i = 1; i < similarity.Count; i++)
        {
            Assert.True(similarity[i] > similarity[i - 1], $"similarity to {up} images did not rise from weight {Weights[i - 1]} to {Weights[i]}: {similarity[i - 1]:F5} -> {similarity[i]:F5}");
        }
    }

    /// <summary>The normalised mean of the unit image embeddings of the single-object renders of one colour.</summary>
    private static async Task<float[]> MeanImageEmbeddingAsync(string colour)
    {
        string fixtures = RepoPaths.Of("models", "shapes-world", "fixtures");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixtures, "ground_truth.json")));
        string[] files = [.. doc.RootElement.GetProperty("images").EnumerateArray()
            .Where(e => e.GetProperty("objects").GetArrayLength() == 1 && e.GetProperty("objects")[0].GetProperty("colour").GetString() == colour)
            .Select(e => Path.Combine(fixtures, e.GetProperty("file").GetString()!))];
        Assert.True(files.Length >= 20, $"only {files.Length} {colour} fixtures");
        using ClipModel clip = ClipModel.FromFolder(RepoPaths.Of("models", "tiny-clip"));
        ClipEmbeddings embeddings = await clip.EmbedImageFilesAsync(files);
        var mean = new float[embeddings.Dimension];
        for (int r = 0; r < embeddings.Count; r++)
        {
            ReadOnlySpan<float> row = embeddings[r];
            for (int k = 0; k < mean.Length; k++) mean[k] += row[k];
        }

        return mean;
    }

    /// <summary>The right operand of the MatMul that produces <c>text_embeds</c> in tiny CLIP's text_model.onnx.</summary>
    private static (float[] Weights, int Width, int Dim) TextProjection()
    {
        OnnxGraphFile graph = OnnxGraphFile.Read(RepoPaths.Of("models", "tiny-clip", "text_model.onnx"));
        OnnxGraphFile.Node node = Assert.Single(graph.Nodes, n => n.OpType == "MatMul" && n.Outputs.Contains("text_embeds"));
        string name = node.Inputs[1];
        IReadOnlyList<long> dims = graph.Initializers[name].Dims;
        Assert.Equal(2, dims.Count);
        return (graph.LoadFloats(name), (int)dims[0], (int)dims[1]);
    }

    private static double Cosine(double[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
