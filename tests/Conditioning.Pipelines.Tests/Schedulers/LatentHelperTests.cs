using System.Text.Json;
using Conditioning.Pipelines.Latents;
using Conditioning.Pipelines.Schedulers;

namespace Conditioning.Pipelines.Tests.Schedulers;

/// <summary>The flux_packing and misc vectors of ../shared/pipelines/scheduler_vectors.json.</summary>
public sealed class LatentHelperTests
{
    private static JsonElement Packing => SchedulerVectors.Root.GetProperty("flux_packing");

    [Fact]
    public void PacksFluxLatentsAsDiffusersDoes()
    {
        var latent = new float[16 * 4 * 4];
        for (int i = 0; i < latent.Length; i++) latent[i] = (float)Math.Sin(0.11 * i);
        var packed = new float[latent.Length];
        FluxLatents.Pack(latent, 1, 16, 4, 4, packed);
        double[] expected = [.. Packing.GetProperty("packed").EnumerateArray().Select(e => e.GetDouble())];
        Assert.Equal(expected.Length, packed.Length);
        for (int i = 0; i < packed.Length; i++) Assert.True(Math.Abs(expected[i] - packed[i]) <= 1e-6, $"element {i}: expected {expected[i]}, got {packed[i]}");

        var back = new float[latent.Length];
        FluxLatents.Unpack(packed, 1, 16, 4, 4, back);
        Assert.Equal(latent, back);
    }

    [Fact]
    public void BuildsImageIdsRowMajor()
    {
        float[] expected = [.. Packing.GetProperty("img_ids").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => (float)e.GetDouble()))];
        Assert.Equal(expected, FluxLatents.ImageIds(4, 4));
        float[] big = FluxLatents.ImageIds(128, 128);
        Assert.Equal([0f, 63f, 63f], big[^3..]);
        Assert.Equal(128, FluxLatents.LatentSide(1024));
    }

    [Fact]
    public void CalculatesFluxShiftForEveryReferenceLength()
    {
        var scheduler = new FlowMatchEulerDiscreteScheduler(new SchedulerConfig { BaseShift = 0.5, MaxShift = 1.15, BaseImageSeqLen = 256, MaxImageSeqLen = 4096, UseDynamicShifting = true });
        foreach (JsonProperty p in Packing.GetProperty("calculate_shift").EnumerateObject())
        {
            Assert.Equal(p.Value.GetDouble(), scheduler.CalculateShift(int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture)), 9);
        }
    }

    [Fact]
    public void ComputesTheLcmGuidanceEmbedding()
    {
        JsonElement lcm = SchedulerVectors.Root.GetProperty("misc").GetProperty("lcm_guidance_embedding");
        float[] e = GuidanceEmbedding.Compute((float)lcm.GetProperty("guidance_scale").GetDouble(), lcm.GetProperty("dim").GetInt32());
        double[] first = [.. lcm.GetProperty("values_first8").EnumerateArray().Select(v => v.GetDouble())];
        double[] mid = [.. lcm.GetProperty("values_128_to_135").EnumerateArray().Select(v => v.GetDouble())];

        // The reference is float32 with large arguments (up to 7500 rad); the file measures 2.5e-4 against float64.
        for (int i = 0; i < 8; i++)
        {
            Assert.True(Math.Abs(first[i] - e[i]) <= 5e-4, $"value {i}: expected {first[i]}, got {e[i]}");
            Assert.True(Math.Abs(mid[i] - e[128 + i]) <= 5e-4, $"value {128 + i}: expected {mid[i]}, got {e[128 + i]}");
        }
    }

    [Fact]
    public void RejectsOddLatentSides() =>
        Assert.Throws<ArgumentException>(() => FluxLatents.Pack(new float[9], 1, 1, 3, 3, new float[9]));
}
