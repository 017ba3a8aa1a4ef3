using System.CommandLine;
using Conditioning.Cli.Commands;

namespace Conditioning.Cli;

/// <summary>Builds and runs the <c>conditioning</c> command tree.</summary>
internal static class CliApp
{
    /// <summary>Exit code for a failure the user can fix (bad files, bad input).</summary>
    public const int UserError = 1;

    /// <summary>Runs the command line <paramref name="args"/> against <paramref name="io"/> and returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CliIO io, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("conditioning — weighted prompts in, diffusion conditioning out.")
        {
            TokenizeCommand.Create(io),
            InspectCommand.Create(io),
            ParseCommand.Create(io),
            EncodeCommand.Create(io),
            GenerateCommand.Create(io),
            ScoreCommand.Create(io),
            RerankCommand.Create(io),
            ClassifyCommand.Create(io),
            InterrogateCommand.Create(io),
            IndexCommand.Create(io),
            SearchCommand.Create(io),
        };

        ParseResult parse = root.Parse(args);
        var config = new InvocationConfiguration { Output = io.Out, Error = io.Error };
        return await parse.InvokeAsync(config, cancellationToken);
    }
}
