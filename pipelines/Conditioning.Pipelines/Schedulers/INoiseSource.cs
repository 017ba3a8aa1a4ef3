namespace Conditioning.Pipelines.Schedulers;

/// <summary>Fresh standard-normal noise for ancestral and consistency schedulers.</summary>
/// <remarks>Implementations are stateful streams and not thread-safe; use one per generation.</remarks>
public interface INoiseSource
{
    /// <summary>Fills <paramref name="destination"/> with independent N(0, 1) samples.</summary>
    void FillStandardNormal(Span<float> destination);
}
