using Conditioning.Pipelines.Schedulers;

namespace Conditioning.Pipelines.Tests.Schedulers;

/// <summary>The shared scheduler vectors' deterministic "noise": n_k[i] = cos(0.7·i + 1.1·k + 0.3), k counting draws.</summary>
internal sealed class CosineNoise : INoiseSource
{
    /// <summary>How many times the stream was drawn from.</summary>
    public int Draws { get; private set; }

    public void FillStandardNormal(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = (float)Math.Cos((0.7 * i) + (1.1 * Draws) + 0.3);
        Draws++;
    }
}
