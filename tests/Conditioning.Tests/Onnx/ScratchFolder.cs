namespace Conditioning.Tests.Onnx;

/// <summary>A temporary folder deleted when the test ends.</summary>
internal sealed class ScratchFolder : IDisposable
{
    private readonly DirectoryInfo _folder = OnnxFixtures.NewScratchFolder();

    /// <summary>A path inside the folder.</summary>
    public string PathOf(string name) => Path.Combine(_folder.FullName, name);

    public void Dispose() => _folder.Delete(recursive: true);
}
