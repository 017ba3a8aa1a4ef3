using Conditioning.Encoders;
using Conditioning.Onnx;
using Conditioning.Tests.Onnx;

namespace Conditioning.Tests.Encoders;

public sealed class EmbeddingCacheTests
{
    [Fact]
    public async Task ReusesCachedSequencesAndEncodesOnlyTheNewOnes()
    {
        var cache = new EmbeddingCache();
        using ClipTextEncoder cached = ClipTextEncoder.Load(OnnxFixtures.PathOf("text_encoder_int32.onnx"), cache: cache);
        using ClipTextEncoder plain = ClipTextEncoder.Load(OnnxFixtures.PathOf("text_encoder_int32.onnx"));

        await cached.EncodeAsync([[1, 2, 3], [4, 5, 6]]);
        ClipTextEncoding second = await cached.EncodeAsync([[4, 5, 6], [7, 8, 9]]);
        ClipTextEncoding expected = await plain.EncodeAsync([[4, 5, 6], [7, 8, 9]]);

        Assert.Equal((1L, 3L), (cache.Hits, cache.Misses));
        Assert.Equal(expected.Sequence.Span.ToArray(), second.Sequence.Span.ToArray());
        Assert.Equal(expected.Sequence.Shape, second.Sequence.Shape);
        Assert.Equal(expected.PoolerOutput!.Span.ToArray(), second.PoolerOutput!.Span.ToArray());
    }

    [Fact]
    public async Task KeysIncludeTheRequestedLayer()
    {
        var cache = new EmbeddingCache();
        using ClipTextEncoder encoder = ClipTextEncoder.Load(OnnxFixtures.PathOf("clip_layernorm.onnx"), cache: cache);
        ClipTextEncoding last = await encoder.EncodeAsync([[3]]);
        ClipTextEncoding skipped = await encoder.EncodeAsync([[3]], ClipLayerSelection.PenultimateWithoutNorm);
        Assert.Equal(0, cache.Hits);
        Assert.NotEqual(last.Sequence.Span.ToArray(), skipped.Sequence.Span.ToArray());
    }

    [Fact]
    public void EvictsTheLeastRecentlyUsedEntryWhenFull()
    {
        var cache = new EmbeddingCache(capacityFloats: 8);
        ModelTensor<float>[] Four() => [ModelTensor.Create<float>(new float[4], 1, 4)];
        var a = new EmbeddingCacheKey("m", "v", [1]);
        var b = new EmbeddingCacheKey("m", "v", [2]);
        var c = new EmbeddingCacheKey("m", "v", [3]);
        cache.Set(a, Four());
        cache.Set(b, Four());
        Assert.True(cache.TryGet(a, out _));
        cache.Set(c, Four());
        Assert.True(cache.TryGet(a, out _));
        Assert.False(cache.TryGet(b, out _));
        Assert.True(cache.TryGet(c, out _));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public async Task IsSafeUnderConcurrentUse()
    {
        var cache = new EmbeddingCache();
        using ClipTextEncoder encoder = ClipTextEncoder.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"), cache: cache);
        await Task.WhenAll(Enumerable.Range(0, 64).Select(i => encoder.EncodeAsync([[i % 8, 1, 2]])));
        Assert.Equal(64, cache.Hits + cache.Misses);
        Assert.Equal(8, cache.Count);
    }

    [Fact]
    public async Task T5EncoderRunsTheExportAndCachesPerSequence()
    {
        var cache = new EmbeddingCache();
        using T5TextEncoder encoder = T5TextEncoder.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"), cache: cache);
        ModelTensor<float> hidden = await encoder.EncodeAsync([[1, 2], [3, 1]]);
        Assert.Equal([2, 2, 2], hidden.Shape.Dimensions);
        Assert.Equal([1f, 2, 2, 4, 3, 6, 1, 2], hidden.Span.ToArray());
        await encoder.EncodeAsync([[3, 1]]);
        Assert.Equal(1, cache.Hits);
    }
}
