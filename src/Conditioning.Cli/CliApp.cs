using System.CommandLine;
using Conditioning.Cli.Commands;

namespace Conditioning.Cli;

/// <summary>Builds and runs the <c>conditioning</c> command tree.</summary>
internal static class CliApp
{
    /// <summary>Exit code for a failure the user can fix (bad files, bad input).</summary>
    public const int UserError = 1;

    /// <summary>Exit code for an unexpected failure (a defect), reported in one line.</summary>
    public const int InternalError = 3;

    /// <summary>Exit code when Ctrl+C cancelled the command (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;

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
        var config = new InvocationConfiguration { Output = io.Out, Error = io.Error, EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(config, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await io.Error.WriteLineAsync("cancelled");
            return Cancelled;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file the command could not read or write (an output path that is a folder, a full disk, no permission).
            await io.Error.WriteLineAsync($"error: {e.Message}");
            return UserError;
        }
        catch (Exception e)
        {
            // Commands report the errors a user can fix (exit code 1); anything else is a defect: one clear line, no stack trace.
            await io.Error.WriteLineAsync($"internal error ({e.GetType().Name}): {e.Message}");
            await io.Error.WriteLineAsync("This is a bug in conditioning; please report it with the command line that caused it.");
            return InternalError;
        }
    }
}
