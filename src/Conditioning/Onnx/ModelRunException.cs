namespace Conditioning.Onnx;

/// <summary>
/// ONNX Runtime failed while running a model whose inputs passed this layer's checks (for example a node
/// rejected a shape produced inside the graph, or the device ran out of memory). The message names the file;
/// the inner exception is ONNX Runtime's.
/// </summary>
public class ModelRunException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public ModelRunException()
        : base("Running the ONNX model failed.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What failed.</param>
    public ModelRunException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What failed; should name the model file.</param>
    /// <param name="innerException">The ONNX Runtime error.</param>
    public ModelRunException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
