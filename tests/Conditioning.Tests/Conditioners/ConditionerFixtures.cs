using Conditioning.Encoders;
using Conditioning.Onnx;
using Conditioning.Tokenizers;

namespace Conditioning.Tests.Conditioners;

/// <summary>
/// The randomly initialised encoders of Fixtures/encoders (real CLIP/T5 ONNX contracts, widths 8, 12 and 24) with the
/// embedded tiny tokenizers, plus an independent path to their raw outputs: ONNX Runtime called directly, not
/// through the encoders under test.
/// </summary>
internal static class ConditionerFixtures
{
    public static string Model(string name) => RepoPaths.Of("tests", "Conditioning.Tests", "Fixtures", "encoders", name);

    public static ClipTokenizer ClipL() => ClipTokenizer.FromFolder(RepoPaths.Of("models", "tiny-clip", "tokenizer"));

    public static ClipTokenizer ClipG() => ClipTokenizer.FromFolder(RepoPaths.Of("models", "tiny-clip", "tokenizer"), new ClipTokenizerOptions { PadToken = "!" });

    public static T5Tokenizer T5() => T5Tokenizer.FromFolder(RepoPaths.Of("models", "tiny-t5", "tokenizer"));

    public static ClipTextEncoder LoadClip(string name) => ClipTextEncoder.Load(Model(name));

    public static T5TextEncoder LoadT5() => T5TextEncoder.Load(Model("t5.onnx"));

    /// <summary>Runs a fixture model on one id sequence and returns the named output (batch axis dropped).</summary>
    public static float[] Raw(string model, int[] ids, string output)
    {
        using OnnxModel m = OnnxModel.Load(Model(model));
        ModelOutputs outputs = m.Run(new Dictionary<string, ModelTensor> { ["input_ids"] = ModelTensor.Create<long>(ids.Select(i => (long)i).ToArray(), 1, ids.Length) }, [output]);
        return outputs[output].Span.ToArray();
    }

    /// <summary>Concatenates row-major [tokens, a] and [tokens, b] on the feature axis, zero-padding each row to <paramref name="width"/>.</summary>
    public static float[] ConcatFeatures(float[] a, int aWidth, float[] b, int bWidth, int width)
    {
        int tokens = a.Length / aWidth;
        var result = new float[tokens * width];
        for (int t = 0; t < tokens; t++)
        {
            Array.Copy(a, t * aWidth, result, t * width, aWidth);
            Array.Copy(b, t * bWidth, result, (t * width) + aWidth, bWidth);
        }

        return result;
    }

    public static void AssertClose(float[] expected, ReadOnlySpan<float> actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
    }
}
