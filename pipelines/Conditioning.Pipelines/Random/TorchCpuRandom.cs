using Conditioning.Pipelines.Schedulers;

namespace Conditioning.Pipelines.Random;

/// <summary>
/// Reproduces PyTorch's CPU generator: <c>torch.manual_seed(seed)</c> followed by <c>torch.randn(n)</c> calls, so a
/// seed gives the same initial latents (and ancestral noise) as diffusers with <c>generator=torch.Generator("cpu")</c>.
/// MT19937 drives it; tensors of 16 or more floats use PyTorch's batched Box–Muller (uniforms for the whole tensor,
/// then pairs (j, j+8) of each block of 16, the last block redrawn when n is not a multiple of 16); smaller ones use
/// its scalar double-precision Box–Muller with the cached second sample. Pure managed code: the same seed gives the
/// same numbers on every machine.
/// </summary>
/// <remarks>
/// Not thread-safe: a stream of draws, one instance per generation. PyTorch builds with AVX2 evaluate log/sin/cos in
/// vectorised float code, so its values can differ from these in the last bits (≤ 1e-6 relative in tests).
/// </remarks>
public sealed class TorchCpuRandom : INoiseSource
{
    private readonly Mt19937 _engine;
    private double? _nextDoubleNormal;

    /// <summary>Seeds the generator as <c>torch.manual_seed(seed)</c> does.</summary>
    public TorchCpuRandom(ulong seed)
    {
        Seed = seed;
        _engine = new Mt19937(seed);
    }

    /// <summary>The seed.</summary>
    public ulong Seed { get; }

    /// <summary>Fills <paramref name="destination"/> as one <c>torch.randn(destination.Length)</c> call (float32) would.</summary>
    public void FillStandardNormal(Span<float> destination)
    {
        int n = destination.Length;
        if (n == 0) return;
        if (n < 16)
        {
            for (int i = 0; i < n; i++) destination[i] = (float)NextDoubleNormal();
            return;
        }

        for (int i = 0; i < n; i++) destination[i] = UniformFloat();
        for (int i = 0; i + 16 <= n; i += 16) BoxMuller16(destination.Slice(i, 16));
        if (n % 16 != 0)
        {
            Span<float> tail = destination[(n - 16)..];
            for (int i = 0; i < 16; i++) tail[i] = UniformFloat();
            BoxMuller16(tail);
        }
    }

    /// <summary>Fills <paramref name="destination"/> as one <c>torch.randn(n, dtype=torch.float64)</c> call would.</summary>
    public void FillStandardNormal(Span<double> destination)
    {
        int n = destination.Length;
        if (n < 16)
        {
            for (int i = 0; i < n; i++) destination[i] = NextDoubleNormal();
            return;
        }

        for (int i = 0; i < n; i++) destination[i] = UniformDouble();
        for (int i = 0; i + 16 <= n; i += 16) BoxMuller16(destination.Slice(i, 16));
        if (n % 16 != 0)
        {
            Span<double> tail = destination[(n - 16)..];
            for (int i = 0; i < 16; i++) tail[i] = UniformDouble();
            BoxMuller16(tail);
        }
    }

    private float UniformFloat() => (float)((_engine.NextUInt32() & ((1u << 24) - 1)) * (1.0 / (1 << 24)));

    private double UniformDouble()
    {
        ulong hi = _engine.NextUInt32();
        ulong lo = _engine.NextUInt32();
        return (((hi << 32) | lo) & ((1UL << 53) - 1)) * (1.0 / (1UL << 53));
    }

    private double NextDoubleNormal()
    {
        if (_nextDoubleNormal is { } cached)
        {
            _nextDoubleNormal = null;
            return cached;
        }

        double u1 = UniformDouble();
        double u2 = UniformDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        _nextDoubleNormal = r * Math.Sin(theta);
        return r * Math.Cos(theta);
    }

    private static void BoxMuller16(Span<float> data)
    {
        for (int j = 0; j < 8; j++)
        {
            float u1 = 1 - data[j];
            float u2 = data[j + 8];
            float radius = MathF.Sqrt(-2 * MathF.Log(u1));
            float theta = 2.0f * MathF.PI * u2;
            data[j] = radius * MathF.Cos(theta);
            data[j + 8] = radius * MathF.Sin(theta);
        }
    }

    private static void BoxMuller16(Span<double> data)
    {
        for (int j = 0; j < 8; j++)
        {
            double u1 = 1 - data[j];
            double u2 = data[j + 8];
            double radius = Math.Sqrt(-2 * Math.Log(u1));
            double theta = 2.0 * Math.PI * u2;
            data[j] = radius * Math.Cos(theta);
            data[j + 8] = radius * Math.Sin(theta);
        }
    }
}
