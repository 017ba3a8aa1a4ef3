using System.CommandLine;
using Conditioning.Scoring;

namespace Conditioning.Cli.Commands;

/// <summary><c>conditioning search</c>: the indexed images most similar to a text query.</summary>
internal static class SearchCommand
{
    public static Command Create(CliIO io)
    {
        Option<DirectoryInfo> model = ClipCommandSupport.ModelOption();
        Option<string> provider = ClipCommandSupport.ProviderOption();
        Option<bool> json = ClipCommandSupport.JsonOption();
        var database = new Option<FileInfo>("--db") { Description = "The SQLite index file made by 'conditioning index'.", Required = true };
        var top = new Option<int>("--top", "-k") { Description = "How many results.", DefaultValueFactory = _ => 10 };
        var query = new Argument<string>("query") { Description = "The text to search for." };
        var command = new Command("search", "Find the indexed images most similar to a text (cosine of CLIP embeddings).") { model, provider, database, top, json, query };
        command.SetAction((parse, cancellationToken) => ClipCommandSupport.RunAsync(io, async () =>
        {
            FileInfo db = parse.GetRequiredValue(database);
            if (!db.Exists) throw new FileNotFoundException($"The index '{db.FullName}' does not exist; build it with 'conditioning index'.", db.FullName);
            using ClipModel clip = ClipCommandSupport.Load(parse, model, provider);
            using ClipImageIndex index = ClipImageIndex.Open(db.FullName, clip);
            IReadOnlyList<SearchHit> hits = await index.SearchAsync(parse.GetRequiredValue(query), parse.GetValue(top), cancellationToken);
            if (parse.GetValue(json))
            {
                await ClipCommandSupport.WriteJsonAsync(io, hits);
                return 0;
            }

            foreach (SearchHit hit in hits) await io.Out.WriteLineAsync($"{ClipCommandSupport.Number(hit.Score)}\t{hit.Path}");
            return 0;
        }));
        return command;
    }
}
