namespace Conditioning.Cli;

/// <summary>The streams a command reads and writes; tests pass in-memory ones.</summary>
/// <param name="In">Standard input (JSON Lines batches).</param>
/// <param name="Out">Standard output (results).</param>
/// <param name="Error">Standard error (diagnostics).</param>
internal sealed record CliIO(TextReader In, TextWriter Out, TextWriter Error)
{
    /// <summary>The process's console streams.</summary>
    public static CliIO Console => new(System.Console.In, System.Console.Out, System.Console.Error);
}
