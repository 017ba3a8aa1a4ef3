using System.Text.Json;
using Conditioning.Pipelines.Random;

namespace Conditioning.Pipelines.Tests.Random;

/// <summary>Against draws of PyTorch's own CPU generator (Fixtures/torch_randn.json, made by make_torch_randn.py with Debian's torch).</summary>
public sealed class TorchCpuRandomTests
{
    private static readonly Lazy<JsonDocument> Reference = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Random", "Fixtures", "torch_randn.json"))));

    public static IEnumerable<object[]> Cases => Enumerable.Range(0, Reference.Value.RootElement.GetProperty("cases").GetArrayLength()).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReproducesTorchRandnForASeed(int index)
    {
        JsonElement c = Reference.Value.RootElement.GetProperty("cases")[index];
        var random = new TorchCpuRandom(c.GetProperty("seed").GetUInt64());
        int call = 0;
        foreach (JsonElement expected in c.GetProperty("values").EnumerateArray())
        {
            float[] values = new float[expected.GetArrayLength()];
            random.FillStandardNormal(values);
            int i = 0;
            foreach (JsonElement e in expected.EnumerateArray())
            {
                double want = e.GetDouble();
                Assert.True(Math.Abs(want - values[i]) <= 1e-6 * Math.Max(1, Math.Abs(want)), $"call {call} element {i}: torch {want}, ours {values[i]}");
                i++;
            }

            call++;
        }
    }

    [Fact]
    public void ReproducesDoublePrecisionRandn()
    {
        foreach (JsonElement c in Reference.Value.RootElement.GetProperty("doubles").EnumerateArray())
        {
            var random = new TorchCpuRandom(c.GetProperty("seed").GetUInt64());
            double[] values = new double[c.GetProperty("n").GetInt32()];
            random.FillStandardNormal(values);
            double[] expected = [.. c.GetProperty("values").EnumerateArray().Select(e => e.GetDouble())];
            for (int i = 0; i < values.Length; i++) Assert.True(Math.Abs(expected[i] - values[i]) <= 1e-12, $"element {i}: torch {expected[i]}, ours {values[i]}");
        }
    }
}
