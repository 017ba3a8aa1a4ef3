namespace Conditioning.Tests.Onnx;

/// <summary>
/// The tiny models written by <c>Fixtures/onnx/make_fixtures.py</c> (committed; the tests never run Python), and
/// scratch folders for files a test corrupts on purpose.
/// </summary>
internal static class OnnxFixtures
{
    /// <summary>The full path of a committed fixture; fails loudly when it is missing.</summary>
    public static string PathOf(params string[] parts)
    {
        string path = RepoPaths.Of(["tests", "Conditioning.Tests", "Fixtures", "onnx", .. parts]);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"ONNX fixture '{path}' is missing; regenerate it with tests/Conditioning.Tests/Fixtures/onnx/make_fixtures.py.", path);
        }

        return path;
    }

    /// <summary>A fresh, empty folder under the temp directory; the caller deletes it.</summary>
    public static DirectoryInfo NewScratchFolder() =>
        Directory.CreateTempSubdirectory("conditioning-onnx-tests-");
}
