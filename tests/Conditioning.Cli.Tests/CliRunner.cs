namespace Conditioning.Cli.Tests;

/// <summary>Runs the real command tree in-process with in-memory streams.</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Out, string Error)> RunWithStdinAsync(string stdin, params string[] args)
    {
        using var input = new StringReader(stdin);
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await CliApp.RunAsync(args, new CliIO(input, output, error));
        return (code, output.ToString(), error.ToString());
    }

    public static Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args) => RunWithStdinAsync(string.Empty, args);

    /// <summary>The shared reference folder beside the repository; fails loudly when missing.</summary>
    public static string Shared(params string[] parts)
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Conditioning.sln")))
            {
                string path = Path.GetFullPath(Path.Combine([dir.FullName, "..", "shared", .. parts]));
                return Directory.Exists(path) || File.Exists(path) ? path : throw new DirectoryNotFoundException($"shared reference data missing: {path}");
            }
        }

        throw new DirectoryNotFoundException("repository root not found");
    }
}
