using System.Text.Json;
using Conditioning.Onnx;
using Conditioning.Scoring;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace Conditioning.Tests.Scoring;

/// <summary>
/// <see cref="ClipImagePreprocessor"/> against pixel_values computed by PIL + numpy the way transformers'
/// CLIPImageProcessor computes them (Fixtures/clip-preprocess/make_fixtures.py).
/// </summary>
public sealed class ClipImagePreprocessorTests(ITestOutputHelper output)
{
    // Tolerances in levels of 255 (measured values are printed). PNG inputs with the Pillow port: none. PNG inputs
    // with ImageSharp's resize: PIL rounds to 8 bits between its horizontal and vertical passes and ImageSharp does
    // not, worth at most 1 level (measured max 1, mean 0.10–0.21; crop-only inputs are bit-identical). JPEG inputs add
    // the decoder: libjpeg's "fancy" (triangle) chroma upsampling versus ImageSharp's, which differs by up to 17 levels
    // on hard colour edges of 4:2:0 files (measured mean 0.73–0.88 levels).
    private const double ImageSharpPngMax = 1.0, ImageSharpPngMean = 0.25;
    private const double JpegMax = 20.0, JpegMean = 1.0;

    private static string Fixtures => RepoPaths.Of("tests", "Conditioning.Tests", "Fixtures", "clip-preprocess");

    public static TheoryData<string> CaseNames()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "cases.json")));
        var data = new TheoryData<string>();
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    private static (string Image, string Expected) Case(string name)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "cases.json")));
        JsonElement c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        return (Path.Combine(Fixtures, c.GetProperty("image").GetString()!), Path.Combine(Fixtures, c.GetProperty("expected").GetString()!));
    }

    private static ClipImagePreprocessor Preprocessor => ClipImagePreprocessor.FromFile(Fixtures);

    public static TheoryData<string, ResizeImplementation> CasesWithImplementations()
    {
        var data = new TheoryData<string, ResizeImplementation>();
        foreach (string name in CaseNames())
        {
            data.Add(name, ResizeImplementation.Pillow);
            data.Add(name, ResizeImplementation.ImageSharp);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CasesWithImplementations))]
    public void MatchesThePythonReferenceWithinTheDocumentedTolerance(string name, ResizeImplementation resize)
    {
        (string image, string expectedPath) = Case(name);
        (float[] expected, int[] shape) = Npy.ReadFloat32(expectedPath);
        ModelTensor<float> actual = ClipImagePreprocessor.FromFile(Fixtures, resize).PreprocessFiles([image]);
        Assert.Equal(shape, actual.Shape.Dimensions);

        float[] std = [.. Preprocessor.Config.ImageStd];
        int plane = shape[2] * shape[3];
        double maxDiff = 0, sumDiff = 0;
        int exact = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            // In levels of 255, so the tolerance reads the same for any mean/std.
            double d = Math.Abs(actual.Span[i] - expected[i]) * std[i / plane] * 255;
            maxDiff = Math.Max(maxDiff, d);
            sumDiff += d;
            if (actual.Span[i] == expected[i]) exact++;
        }

        output.WriteLine($"{name} ({resize}): max |Δ| = {maxDiff:F3} levels ({maxDiff / 255 / std.Min():F4} normalised), mean |Δ| = {sumDiff / expected.Length:F4} levels, bit-identical {exact}/{expected.Length}");
        bool jpeg = image.EndsWith(".jpg", StringComparison.Ordinal);
        (double maxTolerance, double meanTolerance) = jpeg ? (JpegMax, JpegMean)
            : resize == ResizeImplementation.Pillow ? (0, 0) : (ImageSharpPngMax, ImageSharpPngMean);
        if (!jpeg && resize == ResizeImplementation.Pillow) Assert.Equal(expected.Length, exact);
        Assert.True(maxDiff <= maxTolerance + 1e-3, $"{name}: max difference {maxDiff:F3} levels exceeds {maxTolerance}");
        Assert.True(sumDiff / expected.Length <= meanTolerance, $"{name}: mean difference {sumDiff / expected.Length:F4} levels exceeds {meanTolerance}");
    }

    public static TheoryData<string, int, int, int, string> ResizeCases()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "resize", "cases.json")));
        var data = new TheoryData<string, int, int, int, string>();
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("source").GetString()!, c.GetProperty("filter").GetInt32(), c.GetProperty("width").GetInt32(), c.GetProperty("height").GetInt32(), c.GetProperty("expected").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ResizeCases))]
    public void ResizesBitForBitAsPillowDoesWithEveryFilter(string source, int filter, int width, int height, string expectedFile)
    {
        using Image<Rgb24> input = ImageLoader.Load(Path.Combine(Fixtures, source));
        var pixels = new Rgb24[input.Width * input.Height];
        input.CopyPixelDataTo(pixels);
        Rgb24[] actual = PillowResampler.Resize(pixels, input.Width, input.Height, width, height, filter);
        using Image<Rgb24> expectedImage = ImageLoader.Load(Path.Combine(Fixtures, expectedFile));
        var expected = new Rgb24[width * height];
        expectedImage.CopyPixelDataTo(expected);
        int differing = expected.Zip(actual, (e, a) => e == a ? 0 : 1).Sum();
        Assert.True(differing == 0, $"{differing} of {expected.Length} pixels differ from PIL");
    }

    [Fact]
    public void RefusesHammingWithImageSharpWhichLacksIt()
    {
        Assert.Throws<NotSupportedException>(() => new ClipImagePreprocessor(new ClipImageProcessorConfig { Resample = 5 }, ResizeImplementation.ImageSharp));
        Assert.Equal(ResizeImplementation.Pillow, new ClipImagePreprocessor(new ClipImageProcessorConfig { Resample = 5 }).Resize);
    }

    [Theory]
    [InlineData(100, 150, 48, 48, 72)]     // int(48 * 150 / 100) = 72
    [InlineData(150, 100, 48, 72, 48)]
    [InlineData(203, 201, 48, 48, 48)]     // int(48 * 203 / 201) = 48.47 -> 48
    [InlineData(30, 20, 48, 72, 48)]
    [InlineData(90, 48, 48, 90, 48)]       // the short side already fits: no resize
    [InlineData(7, 1000, 224, 224, 32000)]
    public void ComputesTheResizedSizeAsTransformersDoes(int height, int width, int edge, int expectedHeight, int expectedWidth)
    {
        var p = new ClipImagePreprocessor(new ClipImageProcessorConfig { ShortestEdge = edge });
        Assert.Equal((expectedHeight, expectedWidth), p.ResizedSize(height, width));
    }

    [Fact]
    public void BatchesHoldEachImageAsItWouldBeAlone()
    {
        string[] files = [Case("landscape_150x100").Image, Case("gray_90x70").Image, Case("tiny_20x30").Image];
        ModelTensor<float> batch = Preprocessor.PreprocessFiles(files);
        Assert.Equal([3, 3, 44, 40], batch.Shape.Dimensions);
        int size = 3 * 44 * 40;
        for (int b = 0; b < files.Length; b++)
        {
            ModelTensor<float> single = Preprocessor.PreprocessFiles([files[b]]);
            Assert.True(single.Span.SequenceEqual(batch.Span.Slice(b * size, size)), $"image {b} differs in the batch");
        }
    }

    [Fact]
    public void PadsWithZerosWhenTheCropIsLargerThanTheImage()
    {
        // transformers pads with 0 (black) before cropping; after normalising that is -mean/std.
        var config = new ClipImageProcessorConfig { DoResize = false, CropHeight = 4, CropWidth = 3, ImageMean = [0f, 0f, 0f], ImageStd = [1f, 1f, 1f] };
        using var image = new Image<Rgb24>(1, 2, new Rgb24(255, 255, 255));
        ModelTensor<float> x = new ClipImagePreprocessor(config).Preprocess(image);
        Assert.Equal([1, 3, 4, 3], x.Shape.Dimensions);
        // top = (2 - 4) // 2 = -1, left = (1 - 3) // 2 = -1: the image occupies rows 1-2 of column 1.
        float[] red = x.Span[..12].ToArray();
        Assert.Equal([0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0], red);
    }

    [Fact]
    public void RescalesInDoublePrecisionAndNormalisesInSinglePrecisionAsNumpyDoes()
    {
        var config = new ClipImageProcessorConfig { DoResize = false, DoCenterCrop = false };
        using var image = new Image<Rgb24>(1, 1, new Rgb24(37, 128, 254));
        ModelTensor<float> x = new ClipImagePreprocessor(config).Preprocess(image);
        float Expected(byte v, int c) => ((float)(v * (1.0 / 255)) - config.ImageMean[c]) / config.ImageStd[c];
        Assert.Equal([Expected(37, 0), Expected(128, 1), Expected(254, 2)], x.Span.ToArray());
    }

    [Fact]
    public void ReadsTheOlderIntegerSizeAndCropSizeForms()
    {
        ClipImageProcessorConfig c = ClipImageProcessorConfig.FromJson("""{"size": 64, "crop_size": 60, "image_mean": 0.5, "image_std": [0.5, 0.5, 0.5]}""");
        Assert.Equal(64, c.ShortestEdge);
        Assert.Equal((60, 60), (c.CropHeight, c.CropWidth));
        Assert.Equal([0.5f, 0.5f, 0.5f], c.ImageMean);
    }

    [Fact]
    public void ReadsAnExactHeightAndWidthSize()
    {
        ClipImageProcessorConfig c = ClipImageProcessorConfig.FromJson("""{"size": {"height": 30, "width": 20}, "do_center_crop": false}""");
        Assert.Equal((30, 20), new ClipImagePreprocessor(c).OutputSize(500, 100));
    }

    [Theory]
    [InlineData("""{"resample": 6}""", "resample")]
    [InlineData("""{"image_std": [0.5, 0, 0.5]}""", "image_std")]
    [InlineData("""{"image_mean": [0.5, 0.5]}""", "image_mean")]
    [InlineData("""{"size": {"longest_edge": 3}}""", "size")]
    [InlineData("""{"crop_size": {"height": 0, "width": 3}}""", "crop_size")]
    [InlineData("""{"do_resize": "yes"}""", "wrong type")]
    [InlineData("""[1, 2]""", "JSON object")]
    [InlineData("""{"size": """, "not valid JSON")]
    public void RejectsConfigsItCannotApplyWithAMessageNamingTheKey(string json, string expected)
    {
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => ClipImageProcessorConfig.FromJson(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
