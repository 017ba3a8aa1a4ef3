using Conditioning.Onnx;

namespace Conditioning.Tests.Onnx;

/// <summary>
/// The test project references the CPU-only native package (Microsoft.ML.OnnxRuntime), so asking for CUDA here is
/// exactly the "provider not in this build" case a host meets when it forgets Microsoft.ML.OnnxRuntime.Gpu.
/// </summary>
public sealed class ExecutionProviderTests
{
    [Fact]
    public void CpuIsTheDefaultProvider()
    {
        OnnxModelOptions options = new();
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"));

        Assert.Equal(OnnxExecutionProvider.Cpu, options.ExecutionProvider);
        Assert.Equal(OnnxExecutionProvider.Cpu, model.ExecutionProvider);
    }

    [Fact]
    public void AskingForCudaWithTheCpuOnlyRuntimeIsATypedErrorNamingTheGpuPackage()
    {
        ExecutionProviderUnavailableException ex = Assert.Throws<ExecutionProviderUnavailableException>(
            () => OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"), OnnxModelOptions.Cuda(deviceId: 0)));

        Assert.Equal(OnnxExecutionProvider.Cuda, ex.Provider);
        Assert.Equal("Microsoft.ML.OnnxRuntime.Gpu", ex.MissingComponent);
        Assert.Equal(
            "The CUDA execution provider is not in this ONNX Runtime build (it offers: CPUExecutionProvider). " +
            "Reference Microsoft.ML.OnnxRuntime.Gpu 1.31.0 in the application instead of Microsoft.ML.OnnxRuntime, or use OnnxExecutionProvider.Cpu.",
            ex.Message);
    }

    [Fact]
    public void TheCpuProviderStillWorksAfterACudaRequestFailed()
    {
        Assert.Throws<ExecutionProviderUnavailableException>(
            () => OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"), OnnxModelOptions.Cuda()));

        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"), OnnxModelOptions.Cpu());
        ModelOutputs outputs = model.Run(new Dictionary<string, ModelTensor> { ["input_ids"] = ModelTensor.Create<long>(new long[] { 2 }, 1, 1) });

        Assert.Equal(new[] { 2f, 4 }, outputs["pooler_output"].Span.ToArray());
    }

    [Theory]
    [InlineData(OnnxGraphOptimization.Disabled)]
    [InlineData(OnnxGraphOptimization.Basic)]
    [InlineData(OnnxGraphOptimization.Extended)]
    [InlineData(OnnxGraphOptimization.All)]
    public void ThreadCountsAndEveryOptimizationLevelGiveTheSameResult(OnnxGraphOptimization level)
    {
        OnnxModelOptions options = new() { IntraOpThreads = 1, InterOpThreads = 2, GraphOptimization = level };
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("external", "model.onnx"), options);

        ModelOutputs outputs = model.Run(new Dictionary<string, ModelTensor> { ["x"] = ModelTensor.Create<float>(new float[] { 1, 1, 1, 1 }, 1, 4) });

        Assert.Equal(new[] { 22f, 26, 30 }, outputs["y"].Span.ToArray());
    }

    [Fact]
    public void NegativeThreadCountsAndDeviceIdsAreRejected()
    {
        string path = OnnxFixtures.PathOf("text_encoder_int64.onnx");

        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxModel.Load(path, new OnnxModelOptions { IntraOpThreads = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxModel.Load(path, new OnnxModelOptions { InterOpThreads = -2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxModel.Load(path, OnnxModelOptions.Cuda(deviceId: -1)));
    }

    [Theory]
    [InlineData(
        "Unable to load shared library '/app/runtimes/linux-x64/native/libonnxruntime_providers_cuda.so' or one of its dependencies. " +
        "In order to help diagnose loading problems, consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable: \n" +
        "libcublasLt.so.13: cannot open shared object file: No such file or directory",
        "libcublasLt.so.13")]
    [InlineData("libcudnn.so.9: cannot open shared object file: No such file or directory", "libcudnn.so.9")]
    [InlineData("The specified module could not be found.", null)]
    public void TheMissingCudaLibraryIsReadFromTheLoadersMessage(string loaderMessage, string? expected)
    {
        Assert.Equal(expected, SessionOptionsFactory.ParseMissingLibrary(loaderMessage));
    }
}
