namespace Conditioning.Conditioners;

/// <summary>One encoded (and weighted) text: a sequence [tokens, width] plus the pooled outputs of its first chunk.</summary>
internal sealed record EncodedText(float[] Sequence, int Tokens, int Width, float[]? PoolerOutput, float[]? TextEmbeds)
{
    /// <summary>This text padded on the token axis with copies of <paramref name="emptyChunk"/> up to <paramref name="tokens"/>.</summary>
    public EncodedText PadTo(int tokens, float[] emptyChunk)
    {
        if (tokens == Tokens) return this;
        int chunkTokens = emptyChunk.Length / Width;
        if (tokens < Tokens || (tokens - Tokens) % chunkTokens != 0) throw new InvalidOperationException($"cannot pad {Tokens} tokens to {tokens} with {chunkTokens}-token chunks");
        var data = new float[tokens * Width];
        Sequence.CopyTo(data, 0);
        for (int at = Tokens * Width; at < data.Length; at += emptyChunk.Length) emptyChunk.CopyTo(data, at);
        return this with { Sequence = data, Tokens = tokens };
    }
}
