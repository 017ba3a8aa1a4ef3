namespace Conditioning.Onnx;

/// <summary>
/// A loaded model that runs with named tensors: what text encoders and denoisers depend on, so they can be tested
/// with a small hand-written fake and run on <see cref="OnnxModel"/> in production.
/// </summary>
/// <remarks>
/// Implementations must allow concurrent calls to <see cref="Run"/> and <see cref="RunAsync"/> from many threads.
/// <see cref="IDisposable.Dispose"/> must not be called while a run is in flight.
/// </remarks>
public interface IOnnxModel : IDisposable
{
    /// <summary>The model file and its declared inputs and outputs.</summary>
    OnnxModelMetadata Metadata { get; }

    /// <summary>Runs the model once and waits for the result.</summary>
    /// <param name="inputs">Every model input by name; each is converted to the declared element type.</param>
    /// <param name="outputNames">The outputs wanted; <see langword="null"/> for all, in graph order.</param>
    /// <returns>The requested outputs as float32 tensors.</returns>
    /// <exception cref="ModelInputException">An input is missing, unknown, of the wrong rank or size, or not convertible; or an output name is unknown.</exception>
    /// <exception cref="ModelRunException">The runtime failed while running.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    ModelOutputs Run(IReadOnlyDictionary<string, ModelTensor> inputs, IReadOnlyCollection<string>? outputNames = null);

    /// <summary>Runs the model once on the thread pool; cancelling the token stops the run mid-way.</summary>
    /// <param name="inputs">Every model input by name; each is converted to the declared element type.</param>
    /// <param name="outputNames">The outputs wanted; <see langword="null"/> for all, in graph order.</param>
    /// <param name="cancellationToken">Stops the run, also while the runtime is executing the graph.</param>
    /// <returns>The requested outputs as float32 tensors.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the task ends cancelled).</exception>
    /// <exception cref="ModelInputException">As for <see cref="Run"/> (the task faults).</exception>
    /// <exception cref="ModelRunException">As for <see cref="Run"/> (the task faults).</exception>
    Task<ModelOutputs> RunAsync(
        IReadOnlyDictionary<string, ModelTensor> inputs,
        IReadOnlyCollection<string>? outputNames = null,
        CancellationToken cancellationToken = default);
}
