namespace Conditioning.Conditioners;

/// <summary>
/// Thrown when a folder is not a diffusers ONNX model layout the library understands: the message says what was
/// expected and what was found.
/// </summary>
public sealed class ModelFolderException : Exception
{
    /// <summary>Creates the exception for <paramref name="folder"/>.</summary>
    public ModelFolderException(string folder, string message, Exception? innerException = null)
        : base($"{message} (model folder: '{folder}')", innerException)
    {
        Folder = folder;
    }

    /// <summary>The model folder.</summary>
    public string Folder { get; }
}
