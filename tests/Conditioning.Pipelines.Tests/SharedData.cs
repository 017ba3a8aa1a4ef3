namespace Conditioning.Pipelines.Tests;

/// <summary>
/// Locates the read-only <c>shared/</c> folder that sits beside the repository (<c>../shared</c>) and fails
/// loudly when it is missing, so a golden test can never pass by reading nothing.
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The absolute path of <c>../shared</c>.</summary>
    public static string Folder => Root.Value;

    /// <summary>The absolute path of a file or folder under <c>../shared</c>; throws if it does not exist.</summary>
    public static string PathOf(params string[] parts)
    {
        string path = System.IO.Path.Combine([Folder, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new FileNotFoundException($"Shared reference data '{path}' is missing; golden tests need it.", path);
        }

        return path;
    }

    private static string FindRoot()
    {
        string? env = Environment.GetEnvironmentVariable("CONDITIONING_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return System.IO.Path.GetFullPath(env);
        }

        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Conditioning.sln")))
            {
                string candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared"));
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }

                throw new DirectoryNotFoundException(
                    $"The shared reference folder was not found at '{candidate}' (expected beside the repository root '{dir.FullName}'). " +
                    "Set CONDITIONING_SHARED to its location.");
            }
        }

        throw new DirectoryNotFoundException(
            $"Could not find the repository root (Conditioning.sln) above '{AppContext.BaseDirectory}' to locate ../shared.");
    }
}
