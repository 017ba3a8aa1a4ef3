using Conditioning.Weighting;

namespace Conditioning.Tests.Weighting;

public sealed class PromptWeightingTests
{
    [Fact]
    public void A1111OriginalMultipliesThenRestoresTheMeanOfTheWholeTensor()
    {
        float[] z = [1, 2, 3, 4];

        PromptWeighting.ApplyA1111Original(z, new EmbeddingShape(1, 2, 2), [1.0, 2.0]);

        // z·w = [1, 2, 6, 8] (mean 4.25), rescaled by 2.5 / 4.25.
        float f = 2.5f / 4.25f;
        Assert.Equal([1 * f, 2 * f, 6 * f, 8 * f], z);
        Assert.Equal(2.5f, z.Average(), 5);
    }

    [Fact]
    public void A1111OriginalUsesOneMeanAcrossEverySequenceEncodedTogether()
    {
        float[] z = [1, 1, 1, 1, 3, 3, 3, 3];

        PromptWeighting.ApplyA1111Original(z, new EmbeddingShape(2, 2, 2), [2.0, 1.0, 1.0, 1.0]);

        // weighted: [2,2,1,1,3,3,3,3] mean 2.25; original mean 2 -> factor 2/2.25 for both sequences.
        float f = 2f / 2.25f;
        Assert.Equal([2 * f, 2 * f, f, f, 3 * f, 3 * f, 3 * f, 3 * f], z);
    }

    [Fact]
    public void A1111NoNormOnlyMultiplies()
    {
        float[] z = [1, 2, 3, 4];

        PromptWeighting.ApplyA1111NoNorm(z, new EmbeddingShape(1, 2, 2), [0.5, 1.5]);

        Assert.Equal([0.5f, 1f, 4.5f, 6f], z);
    }

    [Fact]
    public void LerpFromEmptyMovesWeightedPositionsAlongTheLineThroughTheEmptyPrompt()
    {
        float[] z = [1, 2, 3, 4, 5, 6, 7, 8];
        float[] empty = [0.5f, 0.5f, 1, 1];

        PromptWeighting.LerpFromEmpty(z, new EmbeddingShape(2, 2, 2), [1.0, 0.5, 0.0, 2.0], empty);

        // position 0 untouched; (3,4) -> (3-1)·0.5+1, (4-1)·0.5+1; weight 0 -> the empty vector; weight 2 extrapolates.
        Assert.Equal([1, 2, 2, 2.5f, 0.5f, 0.5f, 13, 15], z);
    }

    [Fact]
    public void LerpFromEmptyKeepsUnweightedPositionsBitForBit()
    {
        float[] z = [0.1f, 0.2f, 0.3f];
        float[] before = (float[])z.Clone();

        PromptWeighting.LerpFromEmpty(z, new EmbeddingShape(1, 1, 3), [1.0], [9f, 9f, 9f]);

        Assert.Equal(before, z);
    }

    [Theory]
    [InlineData(1.0, 0.0)]
    [InlineData(0.5, 1.0)]
    [InlineData(0.1, 6.313751514675043)]
    [InlineData(0.0, 63661.97723152992)] // SEMANTICS.md says "about 1.6e5"; the formula gives 6.4e4
    public void CompelDownweightLerpWeightIsTheTangentOfTheMissingWeight(double weight, double expected)
    {
        Assert.Equal(expected, PromptWeighting.CompelDownweightLerpWeight(weight), 1e-9 * Math.Max(1, expected));
    }

    [Fact]
    public void CompelBlendsADownweightedFragmentWithTheEncodingThatMasksItOut()
    {
        // Fake encoder: each position encodes to its id, plus 10 for every masked-out position in the chunk.
        float[] Encoder(ReadOnlySpan<int> ids, ReadOnlySpan<float> mask)
        {
            int maskedOut = 0;
            foreach (float m in mask) if (m == 0) maskedOut++;
            var z = new float[ids.Length];
            for (int i = 0; i < ids.Length; i++) z[i] = ids[i] + (10 * maskedOut);
            return z;
        }

        float[] result = PromptWeighting.ApplyCompel([5, 7, 9], [1.0, 0.5, 1.0], [(1, 1, 0.5)], new float[3], 1, Encoder);

        // base, lerped from empty (0): [5, 3.5, 9]; masked: [15, 8.5, 19]; lerp weight tan(π/4) = 1 -> the average.
        Assert.Equal(10f, result[0], 4);
        Assert.Equal(6f, result[1], 4);
        Assert.Equal(14f, result[2], 4);
    }

    [Fact]
    public void CompelWithoutDownweightedFragmentsIsTheLerpAlone()
    {
        float[] Encoder(ReadOnlySpan<int> ids, ReadOnlySpan<float> mask) => [2f, 4f];

        float[] result = PromptWeighting.ApplyCompel([1, 2], [1.0, 1.5], [(1, 1, 1.5)], [1f, 1f], 1, Encoder);

        Assert.Equal([2f, 5.5f], result);
    }

    [Fact]
    public void CompelDownweightBlendNormalisesTheLerpWeights()
    {
        // l = tan((1 − 0.25)·π/2) ≈ 2.414: (base + l·E) / (1 + l).
        float[] z = [1f, 2f];
        double l = PromptWeighting.CompelDownweightLerpWeight(0.25);
        PromptWeighting.BlendDownweighted(z, [([3f, 6f], l)]);
        Assert.Equal((1 + (3 * l)) / (1 + l), z[0], 5);
        Assert.Equal((2 + (6 * l)) / (1 + l), z[1], 5);
        var e = Assert.Throws<ArgumentException>(() => PromptWeighting.BlendDownweighted(new float[2], [(new float[3], 1.0)]));
        Assert.Contains("holds 3 floats", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MismatchedShapesAreRejectedWithAClearMessage()
    {
        var e = Assert.Throws<ArgumentException>(() => PromptWeighting.ApplyA1111NoNorm(new float[5], new EmbeddingShape(1, 2, 2), [1.0, 1.0]));
        Assert.Contains("needs 4", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PromptWeighting.ApplyA1111NoNorm(new float[4], new EmbeddingShape(1, 2, 2), [1.0]));
    }
}
