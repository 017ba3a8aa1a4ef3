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
}
