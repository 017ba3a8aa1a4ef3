using System.CommandLine;
using Conditioning.Scoring;

namespace Conditioning.Cli.Commands;

/// <summary><c>conditioning index</c>: add a folder's images to a SQLite search index.</summary>
internal static class IndexCommand
{
    public static Command Create(CliIO io)
    {
        Option<DirectoryInfo> model = ClipCommandSupport.ModelOption();
        Option<string> provider = ClipCommandSupport.ProviderOption();
        var database = new Option<FileInfo>("--db") { Description = "The SQLite index file (created when missing).", Required = true };
        var prune = new Option<bool>("--prune") { Description = "Also remove rows of files that no longer exist." };
        var folder = new Argument<DirectoryInfo>("folder") { Description = "The folder to index (recursively)." };
        var command = new Command("index", "Embed a folder's images into a SQLite index; unchanged files are skipped, unreadable ones reported, an interrupted run resumes.")
        {
            model, provider, database, prune, folder,
        };
        command.SetAction((parse, cancellationToken) => ClipCommandSupport.RunAsync(io, async () =>
        {
            using ClipModel clip = ClipCommandSupport.Load(parse, model, provider);
            using ClipImageIndex index = ClipImageIndex.Open(parse.GetRequiredValue(database).FullName, clip);
            IndexingReport report = await index.IndexFolderAsync(parse.GetRequiredValue(folder).FullName, cancellationToken: cancellationToken);
            await io.Out.WriteLineAsync($"added {report.Added}, updated {report.Updated}, unchanged {report.Unchanged}, unreadable {report.Failed.Count}");
            foreach (string failed in report.Failed) await io.Error.WriteLineAsync($"warning: skipped unreadable '{failed}'");
            if (parse.GetValue(prune))
            {
                IReadOnlyList<string> removed = await index.RemoveMissingAsync(cancellationToken);
                await io.Out.WriteLineAsync($"removed {removed.Count} missing files");
            }

            return 0;
        }));
        return command;
    }
}
