namespace Conditioning.Onnx;

/// <summary>
/// The execution provider the host asked for (see <see cref="OnnxModelOptions.ExecutionProvider"/>) cannot be
/// used in this process: the ONNX Runtime native package the application references does not contain it, or
/// its native libraries (e.g. CUDA's <c>libcublasLt.so.13</c>) or the device are missing. The message names
/// what is missing and which package or libraries to add; a host may catch this and fall back to
/// <see cref="OnnxExecutionProvider.Cpu"/>.
/// </summary>
public class ExecutionProviderUnavailableException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public ExecutionProviderUnavailableException()
        : base("The requested ONNX Runtime execution provider is not available.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What is missing and what to do.</param>
    public ExecutionProviderUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What is missing and what to do.</param>
    /// <param name="innerException">The underlying ONNX Runtime or loader error.</param>
    public ExecutionProviderUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception about <paramref name="provider"/>.</summary>
    /// <param name="provider">The provider that was asked for.</param>
    /// <param name="missingComponent">The package or native library that is missing, e.g. <c>libcublasLt.so.13</c>.</param>
    /// <param name="message">What is missing and what to do.</param>
    /// <param name="innerException">The underlying ONNX Runtime or loader error.</param>
    public ExecutionProviderUnavailableException(
        OnnxExecutionProvider provider, string? missingComponent, string message, Exception? innerException)
        : base(message, innerException)
    {
        Provider = provider;
        MissingComponent = missingComponent;
    }

    /// <summary>The provider that was asked for.</summary>
    public OnnxExecutionProvider Provider { get; }

    /// <summary>
    /// The package or native library found missing (e.g. <c>Microsoft.ML.OnnxRuntime.Gpu</c> or
    /// <c>libcublasLt.so.13</c>), or <see langword="null"/> when it could not be pinned down.
    /// </summary>
    public string? MissingComponent { get; }
}
