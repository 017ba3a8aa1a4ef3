using System.Text;
using Conditioning.Onnx;

namespace Conditioning.Tests.Onnx;

public sealed class OnnxModelLoadingTests
{
    [Fact]
    public void ReadsInputAndOutputNamesTypesAndSymbolicAxesFromTheModel()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int32.onnx"));

        OnnxTensorInfo ids = Assert.Single(model.Metadata.Inputs);
        Assert.Equal("input_ids", ids.Name);
        Assert.Equal(OnnxElementType.Int32, ids.ElementType);
        Assert.Equal(new int?[] { null, null }, ids.Dimensions);
        Assert.Equal(new[] { "batch", "sequence" }, ids.DimensionNames);
        Assert.True(ids.IsDynamic);
        Assert.Equal("input_ids: int32[batch, sequence]", ids.ToString());

        Assert.Equal(["last_hidden_state", "pooler_output", "hidden_states.0", "hidden_states.1"], model.Metadata.Outputs.Select(o => o.Name));
        OnnxTensorInfo hidden = model.Metadata.OutputsByName["last_hidden_state"];
        Assert.Equal(new int?[] { null, null, 2 }, hidden.Dimensions);
        Assert.Equal(new string?[] { "batch", "sequence", null }, hidden.DimensionNames);
        Assert.Equal("float32[batch, sequence, 2]", hidden.TypeAndShape);
    }

    [Fact]
    public void ReadsFixedAxesAndZeroDimensionalInputs()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("unet_scalar_timestep.onnx"));

        OnnxTensorInfo sample = model.Metadata.InputsByName["sample"];
        Assert.Equal(new int?[] { 1, 4 }, sample.Dimensions);
        Assert.False(sample.IsDynamic);
        OnnxTensorInfo timestep = model.Metadata.InputsByName["timestep"];
        Assert.Equal(0, timestep.Rank);
        Assert.Equal(OnnxElementType.Int64, timestep.ElementType);
        Assert.Equal("int64[]", timestep.TypeAndShape);
    }

    [Fact]
    public void LoadsWeightsFromTheExternalDataFileBesideTheModel()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("external", "model.onnx"));

        ModelOutputs outputs = model.Run(new Dictionary<string, ModelTensor>
        {
            ["x"] = ModelTensor.Create<float>(new float[] { 1, 0, 0, 0, 0, 0, 0, 1 }, 2, 4),
        });

        // W = [[1,2,3],[4,5,6],[7,8,9],[10,11,12]]: row 0 of W, then row 3.
        Assert.Equal(new[] { 1f, 2, 3, 10, 11, 12 }, outputs["y"].Span.ToArray());
        Assert.Equal(new TensorShape(2, 3), outputs["y"].Shape);
    }

    [Fact]
    public void MissingExternalDataFileIsAModelLoadExceptionNamingTheWeightsFile()
    {
        using ScratchFolder scratch = new();
        string lonely = scratch.PathOf("model.onnx");
        File.Copy(OnnxFixtures.PathOf("external", "model.onnx"), lonely);

        ModelLoadException ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(lonely));

        Assert.Equal(lonely, ex.ModelPath);
        Assert.Contains(lonely, ex.Message, StringComparison.Ordinal);
        Assert.Contains(scratch.PathOf("weights.pb"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("beside the .onnx file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsAFileNotFoundExceptionNamingThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), "conditioning-no-such-model", "model.onnx");

        FileNotFoundException ex = Assert.Throws<FileNotFoundException>(() => OnnxModel.Load(path));

        Assert.Equal(path, ex.FileName);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFolderInsteadOfAFileSaysWhichFileToPass()
    {
        string folder = Path.GetDirectoryName(OnnxFixtures.PathOf("external", "model.onnx"))!;

        ModelLoadException ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(folder));

        Assert.Contains("is a folder", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(folder, "model.onnx"), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATextFileIsAModelLoadExceptionNamingTheFile()
    {
        using ScratchFolder scratch = new();
        string path = scratch.PathOf("model.onnx");
        File.WriteAllText(path, "this is a text file, not a model");

        ModelLoadException ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(path));

        Assert.Equal(path, ex.ModelPath);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a valid ONNX model", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Download or export it again", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomBytesAreAModelLoadException()
    {
        using ScratchFolder scratch = new();
        string path = scratch.PathOf("model.onnx");
        byte[] noise = new byte[4096];
        new Random(1234).NextBytes(noise);
        File.WriteAllBytes(path, noise);

        ModelLoadException ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATruncatedModelIsAModelLoadExceptionNamingTheFile()
    {
        using ScratchFolder scratch = new();
        string path = scratch.PathOf("model.onnx");
        byte[] whole = File.ReadAllBytes(OnnxFixtures.PathOf("text_encoder_int64.onnx"));
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);

        ModelLoadException ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(path));

        Assert.Equal(path, ex.ModelPath);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AGitLfsPointerIsRecognisedAndTheMessageSaysToPullIt()
    {
        using ScratchFolder scratch = new();
        string path = scratch.PathOf("model.onnx");
        File.WriteAllText(
            path,
            "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146d4cfd0b4b2ab7b12a1b0d0a2b5e4c1f3a9c0d2e1f4b5a6c7d8e9f0a1\nsize 492265168\n",
            Encoding.ASCII);

        ModelLoadException ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(path));

        Assert.Contains("Git LFS pointer", ex.Message, StringComparison.Ordinal);
        Assert.Contains("git lfs pull", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsyncLoadsOnThePoolAndHonoursAnAlreadyCancelledToken()
    {
        using OnnxModel model = await OnnxModel.LoadAsync(OnnxFixtures.PathOf("text_encoder_int64.onnx"));
        Assert.Equal(OnnxElementType.Int64, model.Metadata.InputsByName["input_ids"].ElementType);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => OnnxModel.LoadAsync(OnnxFixtures.PathOf("text_encoder_int64.onnx"), cancellationToken: new CancellationToken(canceled: true)));
    }
}
