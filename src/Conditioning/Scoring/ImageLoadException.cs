namespace Conditioning.Scoring;

/// <summary>
/// An image file exists but cannot be used: its format is not supported, it is corrupt or truncated, or it declares
/// more pixels than allowed. The message names the file and says what to do.
/// </summary>
/// <remarks>A file that does not exist at all is reported with <see cref="FileNotFoundException"/>.</remarks>
public class ImageLoadException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public ImageLoadException()
        : base("The image could not be loaded.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    public ImageLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="innerException">The decoder's error, when there is one.</param>
    public ImageLoadException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for the image at <paramref name="path"/>.</summary>
    /// <param name="path">The image file (or a description of the stream).</param>
    /// <param name="failure">Why it failed.</param>
    /// <param name="message">What went wrong and what to do; should name the file.</param>
    /// <param name="innerException">The decoder's error, when there is one.</param>
    public ImageLoadException(string path, ImageLoadFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
        Failure = failure;
    }

    /// <summary>The image file, when known.</summary>
    public string? Path { get; }

    /// <summary>Why the image could not be loaded.</summary>
    public ImageLoadFailure Failure { get; }
}
