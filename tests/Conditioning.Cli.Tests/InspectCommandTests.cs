namespace Conditioning.Cli.Tests;

/// <summary>
/// The CLI ships Microsoft.ML.OnnxRuntime.Gpu; these tests run it on a machine without CUDA, proving the CPU
/// provider works from that package and that asking for CUDA fails with a clear message instead of a crash.
/// </summary>
public sealed class InspectCommandTests
{
    private static string Fixture(string name) => RepoPaths.Of("tests", "Conditioning.Tests", "Fixtures", "onnx", name);

    [Fact]
    public async Task ListsInputsAndOutputsWithTheGpuPackageOnCpu()
    {
        (int code, string output, string error) = await CliRunner.RunAsync("inspect", Fixture("text_encoder_int32.onnx"));
        Assert.True(code == 0, error);
        Assert.Contains("input_ids", output, StringComparison.Ordinal);
        Assert.Contains("int32", output, StringComparison.Ordinal);
        Assert.Contains("CPUExecutionProvider", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AskingForCudaWithoutItNamesWhatIsMissing()
    {
        (int code, string output, string error) = await CliRunner.RunAsync("inspect", Fixture("text_encoder_int32.onnx"), "--provider", "cuda");
        if (code == 0)
        {
            // A machine with a working CUDA 13 stack: the model opened on CUDA.
            Assert.Contains("Cuda", output, StringComparison.OrdinalIgnoreCase);
            return;
        }

        Assert.Equal(1, code);
        Assert.Contains("CUDA", error, StringComparison.Ordinal);
        Assert.Contains(".so", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NamesAMissingModelFile()
    {
        (int code, _, string error) = await CliRunner.RunAsync("inspect", "/nonexistent/model.onnx");
        Assert.Equal(1, code);
        Assert.Contains("/nonexistent/model.onnx", error, StringComparison.Ordinal);
    }
}
