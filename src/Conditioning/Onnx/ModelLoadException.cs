namespace Conditioning.Onnx;

/// <summary>
/// A model file exists but could not be turned into an ONNX Runtime session: it is not an ONNX file, it is
/// truncated or a Git LFS pointer, its external weights file is missing, or ONNX Runtime rejected it.
/// The message names the file and says what to do.
/// </summary>
/// <remarks>A model file that does not exist at all is reported with <see cref="FileNotFoundException"/>.</remarks>
public class ModelLoadException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public ModelLoadException()
        : base("The ONNX model could not be loaded.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    public ModelLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="innerException">The ONNX Runtime error, when there is one.</param>
    public ModelLoadException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for the model at <paramref name="modelPath"/>.</summary>
    /// <param name="modelPath">The full path of the model file.</param>
    /// <param name="message">What went wrong and what to do; should name the file.</param>
    /// <param name="innerException">The ONNX Runtime error, when there is one.</param>
    public ModelLoadException(string modelPath, string message, Exception? innerException)
        : base(message, innerException)
    {
        ModelPath = modelPath;
    }

    /// <summary>The full path of the model file, when known.</summary>
    public string? ModelPath { get; }
}
