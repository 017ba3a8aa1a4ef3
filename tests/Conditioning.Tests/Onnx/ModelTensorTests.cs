using Conditioning.Onnx;

namespace Conditioning.Tests.Onnx;

public sealed class ModelTensorTests
{
    [Fact]
    public void AShapeKnowsItsRankElementCountAndPrintsLikeNumPy()
    {
        TensorShape shape = new(2, 77, 768);

        Assert.Equal(3, shape.Rank);
        Assert.Equal(2L * 77 * 768, shape.ElementCount);
        Assert.Equal(77, shape[1]);
        Assert.Equal("[2, 77, 768]", shape.ToString());
        Assert.Equal(new TensorShape(2, 77, 768), shape);
        Assert.NotEqual(new TensorShape(2, 768, 77), shape);
    }

    [Fact]
    public void AScalarShapeHasRankZeroAndOneElement()
    {
        Assert.Equal(0, TensorShape.Scalar.Rank);
        Assert.Equal(1, TensorShape.Scalar.ElementCount);
        Assert.Equal("[]", TensorShape.Scalar.ToString());
        Assert.Equal(TensorShape.Scalar, ModelTensor.Scalar(999f).Shape);
    }

    [Fact]
    public void ANegativeAxisIsRejected()
    {
        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => new TensorShape(2, -1));

        Assert.Contains("Axis 1 of shape [2, -1] is negative", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DataWhoseLengthDoesNotMatchTheShapeIsRejected()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => ModelTensor.Create<float>(new float[5], 2, 3));

        Assert.Contains("holds 5 elements but shape [2, 3] needs 6", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedElementTypesAreRejectedAtConstruction()
    {
        Assert.Throws<NotSupportedException>(() => ModelTensor.Create<byte>(new byte[1], 1));
    }

    [Fact]
    public void ATensorWrapsItsDataWithoutCopyingAndDescribesItself()
    {
        long[] ids = [49406, 49407];
        ModelTensor<long> tensor = ModelTensor.Create<long>(ids, 1, 2);

        ids[1] = 0;

        Assert.Equal(0, tensor.Span[1]);
        Assert.Equal(OnnxElementType.Int64, tensor.ElementType);
        Assert.Equal("int64[1, 2]", tensor.ToString());
        Assert.Equal(OnnxElementType.Float16, ModelTensor.Scalar((Half)1).ElementType);
    }

    [Fact]
    public void OutputsKeepTheRequestedOrderAndRejectDuplicateNames()
    {
        ModelTensor<float> one = ModelTensor.Scalar(1f);
        ModelOutputs outputs = new([KeyValuePair.Create("b", one), KeyValuePair.Create("a", one)]);

        Assert.Equal(["b", "a"], outputs.Keys);
        Assert.True(outputs.ContainsKey("a"));
        Assert.False(outputs.TryGetValue("c", out _));
        Assert.Throws<ArgumentException>(() => new ModelOutputs([KeyValuePair.Create("a", one), KeyValuePair.Create("a", one)]));
    }
}
