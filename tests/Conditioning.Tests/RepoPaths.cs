namespace Conditioning.Tests;

/// <summary>Paths inside this repository (models, fixtures), found from the test binary's folder.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(() =>
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Conditioning.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"Could not find Conditioning.sln above '{AppContext.BaseDirectory}'.");
    });

    /// <summary>The repository root.</summary>
    public static string Root => RootLazy.Value;

    /// <summary>A path under the repository root.</summary>
    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);
}
