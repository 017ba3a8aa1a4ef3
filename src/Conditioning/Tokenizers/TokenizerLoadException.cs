namespace Conditioning.Tokenizers;

/// <summary>
/// Thrown when tokenizer files are missing, unreadable or malformed. <see cref="FilePath"/> names the offending file.
/// </summary>
public sealed class TokenizerLoadException : Exception
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    public TokenizerLoadException(string filePath, string message, Exception? innerException = null)
        : base($"{message} (file: '{filePath}')", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The path of the file that could not be loaded, or the folder that lacked the expected files.</summary>
    public string FilePath { get; }
}
