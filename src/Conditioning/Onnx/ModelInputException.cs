namespace Conditioning.Onnx;

/// <summary>
/// The inputs given to a run do not fit the model: an input is missing or unknown, has the wrong rank or a
/// fixed axis of the wrong size, disagrees with another input on a shared symbolic axis (e.g. <c>batch</c>),
/// or holds values that cannot be converted to the declared element type without loss.
/// Thrown before ONNX Runtime runs; the message names the tensor, the model file and what it declares.
/// </summary>
public class ModelInputException : ArgumentException
{
    /// <summary>Creates an exception with a generic message.</summary>
    public ModelInputException()
        : base("An input does not fit the model.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What is wrong with which tensor.</param>
    public ModelInputException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What is wrong with which tensor.</param>
    /// <param name="innerException">The cause.</param>
    public ModelInputException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception about the tensor named <paramref name="tensorName"/>.</summary>
    /// <param name="tensorName">The input (or requested output) name the problem is about.</param>
    /// <param name="message">What is wrong; should name the tensor and the model file.</param>
    public ModelInputException(string tensorName, string message)
        : base(message)
    {
        TensorName = tensorName;
    }

    /// <summary>Creates an exception about the tensor named <paramref name="tensorName"/>, with its cause.</summary>
    /// <param name="tensorName">The input (or requested output) name the problem is about.</param>
    /// <param name="message">What is wrong; should name the tensor and the model file.</param>
    /// <param name="innerException">The cause.</param>
    public ModelInputException(string tensorName, string message, Exception? innerException)
        : base(message, innerException)
    {
        TensorName = tensorName;
    }

    /// <summary>The name of the input (or requested output) the problem is about, when known.</summary>
    public string? TensorName { get; }
}
