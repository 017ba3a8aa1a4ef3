using Conditioning.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Conditioning.Tests.Onnx;

/// <summary>
/// Cancellation against <c>slow_loop.onnx</c>, whose Loop runs <c>iterations</c> 128x128 matrix products: a billion
/// iterations would take hours, a few hundred take milliseconds.
/// </summary>
public sealed class OnnxModelCancellationTests
{
    private static Dictionary<string, ModelTensor> Iterations(long count) => new() { ["iterations"] = ModelTensor.Scalar(count) };

    [Fact]
    public void TheSlowModelFinishesSmallRunsAndCountsItsIterations()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("slow_loop.onnx"));

        ModelOutputs outputs = model.Run(Iterations(300));

        Assert.Equal(300f, Assert.Single(outputs["count"].Span.ToArray()));
        Assert.Equal(new TensorShape(128, 128), outputs["state"].Shape);
    }

    [Fact]
    public async Task CancellingTheTokenTerminatesARunThatIsAlreadyExecutingTheGraph()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("slow_loop.onnx"));
        using CancellationTokenSource cancellation = new();
        using ManualResetEventSlim started = new();
        model.RunStarting = started.Set;

        Task<ModelOutputs> run = model.RunAsync(Iterations(1_000_000_000), cancellationToken: cancellation.Token);
        Assert.True(started.Wait(TimeSpan.FromMinutes(1)), "the run never reached ONNX Runtime");
        await Task.Delay(250);
        Assert.False(run.IsCompleted, "the run should still be executing the Loop when the token is cancelled");
        cancellation.Cancel();

        OperationCanceledException ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.True(run.IsCanceled);
        Assert.Equal(cancellation.Token, ex.CancellationToken);
        // ONNX Runtime reports the node it was executing when the terminate flag stopped it: proof the run was
        // stopped mid-graph, not refused at its start (which reports no node).
        OnnxRuntimeException runtimeError = Assert.IsType<OnnxRuntimeException>(ex.InnerException);
        Assert.Contains("while running Loop node", runtimeError.Message, StringComparison.Ordinal);
        Assert.Contains("terminate flag", runtimeError.Message, StringComparison.Ordinal);
        Assert.Contains("slow_loop.onnx", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAlreadyCancelledTokenCancelsWithoutRunning()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("slow_loop.onnx"));
        bool ran = false;
        model.RunStarting = () => ran = true;

        Task<ModelOutputs> run = model.RunAsync(Iterations(1_000_000_000), cancellationToken: new CancellationToken(canceled: true));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(run.IsCanceled);
        Assert.False(ran);
    }

    [Fact]
    public async Task TheModelStillRunsAfterACancelledRun()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("slow_loop.onnx"));
        using CancellationTokenSource cancellation = new();
        using ManualResetEventSlim started = new();
        model.RunStarting = started.Set;
        Task<ModelOutputs> cancelled = model.RunAsync(Iterations(1_000_000_000), cancellationToken: cancellation.Token);
        Assert.True(started.Wait(TimeSpan.FromMinutes(1)));
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        model.RunStarting = null;

        using CancellationTokenSource unused = new();
        ModelOutputs outputs = await model.RunAsync(Iterations(5), cancellationToken: unused.Token);
        unused.Cancel();

        Assert.Equal(5f, outputs["count"].Span[0]);
    }

    [Fact]
    public async Task DisposeWaitsForARunInFlightInsteadOfFreeingTheSessionUnderIt()
    {
        OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("slow_loop.onnx"));
        using CancellationTokenSource cancellation = new();
        using ManualResetEventSlim started = new();
        model.RunStarting = started.Set;
        Task<ModelOutputs> run = model.RunAsync(Iterations(1_000_000_000), cancellationToken: cancellation.Token);
        Assert.True(started.Wait(TimeSpan.FromMinutes(1)));

        Task dispose = Task.Run(model.Dispose);
        await Task.Delay(250);
        Assert.False(dispose.IsCompleted, "Dispose must wait while the session is running");
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        await dispose.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Throws<ObjectDisposedException>(() => model.Run(Iterations(1)));
    }
}
