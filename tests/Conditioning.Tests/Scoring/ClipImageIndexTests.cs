using Conditioning.Scoring;

namespace Conditioning.Tests.Scoring;

/// <summary>The SQLite image index: skipping unchanged files, unreadable files, resuming, keying by model, and search.</summary>
public sealed class ClipImageIndexTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("conditioning-index-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private string Database => Path.Combine(_folder, "db", "index.sqlite");

    private string Images(int count)
    {
        string dir = Path.Combine(_folder, "images");
        Directory.CreateDirectory(dir);
        string source = RepoPaths.Of("models", "shapes-world", "fixtures");
        foreach (string file in Directory.GetFiles(source, "*.png").Order(StringComparer.Ordinal).Take(count))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);
        }

        return dir;
    }

    [Fact]
    public async Task SkipsUnchangedFilesWhenIndexingAgain()
    {
        string dir = Images(5);
        (ClipModel model, _) = ClipZeroShotClassifierTests.FakeModel("m");
        using (model)
        using (ClipImageIndex index = ClipImageIndex.Open(Database, model, new ClipImageIndexOptions { BatchSize = 2 }))
        {
            IndexingReport first = await index.IndexFolderAsync(dir);
            Assert.Equal(new IndexingReport(5, 0, 0, []), first with { Failed = [] });
            Assert.Empty(first.Failed);
            Assert.Equal(5, index.Count);

            IndexingReport second = await index.IndexFolderAsync(dir);
            Assert.Equal((0, 0, 5), (second.Added, second.Updated, second.Unchanged));

            // Same bytes, new modification time: hashed, found unchanged, not embedded.
            string touched = Directory.GetFiles(dir)[0];
            File.SetLastWriteTimeUtc(touched, DateTime.UtcNow.AddMinutes(5));
            IndexingReport third = await index.IndexFolderAsync(dir);
            Assert.Equal((0, 0, 5), (third.Added, third.Updated, third.Unchanged));

            // New content: embedded again.
            File.Copy(Directory.GetFiles(dir)[1], touched, overwrite: true);
            File.SetLastWriteTimeUtc(touched, DateTime.UtcNow.AddMinutes(10));
            IndexingReport fourth = await index.IndexFolderAsync(dir);
            Assert.Equal((0, 1, 4), (fourth.Added, fourth.Updated, fourth.Unchanged));
        }
    }

    [Fact]
    public async Task SkipsUnreadableFilesWithAWarningAndIndexesTheRest()
    {
        string dir = Images(3);
        File.WriteAllText(Path.Combine(dir, "notes.png"), "not an image");
        File.WriteAllBytes(Path.Combine(dir, "cut.png"), File.ReadAllBytes(Directory.GetFiles(dir)[0])[..40]);
        var logger = new ListLogger();
        (ClipModel model, _) = ClipZeroShotClassifierTests.FakeModel("m");
        using (model)
        using (ClipImageIndex index = ClipImageIndex.Open(Database, model, new ClipImageIndexOptions { Logger = logger }))
        {
            IndexingReport report = await index.IndexFolderAsync(dir);
            Assert.Equal(3, report.Added);
            Assert.Equal([Path.Combine(dir, "cut.png"), Path.Combine(dir, "notes.png")], report.Failed);
            Assert.Equal(2, logger.Entries.Count(e => e.Message.StartsWith("Skipping", StringComparison.Ordinal)));
            Assert.Equal(3, index.Count);
        }
    }

    [Fact]
    public async Task ResumesAnInterruptedRunWithoutRedoingCommittedBatches()
    {
        string dir = Images(6);
        (ClipModel model, _) = ClipZeroShotClassifierTests.FakeModel("m");
        using (model)
        {
            using var cts = new CancellationTokenSource();
            using (ClipImageIndex index = ClipImageIndex.Open(Database, model, new ClipImageIndexOptions { BatchSize = 2, MaxParallelism = 1 }))
            {
                var progress = new SyncProgress(n => { if (n >= 2) cts.Cancel(); });
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => index.IndexFolderAsync(dir, progress: progress, cancellationToken: cts.Token));
                Assert.Equal(2, index.Count);
            }

            using (ClipImageIndex reopened = ClipImageIndex.Open(Database, model))
            {
                IndexingReport rest = await reopened.IndexFolderAsync(dir);
                Assert.Equal((4, 2), (rest.Added, rest.Unchanged));
                Assert.Equal(6, reopened.Count);
            }
        }
    }

    [Fact]
    public async Task RemovesRowsOfDeletedFiles()
    {
        string dir = Images(3);
        (ClipModel model, _) = ClipZeroShotClassifierTests.FakeModel("m");
        using (model)
        using (ClipImageIndex index = ClipImageIndex.Open(Database, model))
        {
            await index.IndexFolderAsync(dir);
            string gone = Directory.GetFiles(dir).Order(StringComparer.Ordinal).First();
            File.Delete(gone);
            Assert.Equal([gone], await index.RemoveMissingAsync());
            Assert.Equal(2, index.Count);
            Assert.DoesNotContain(gone, (await index.SearchAsync("a red circle", top: 10)).Select(h => h.Path));
        }
    }

    [Fact]
    public async Task KeepsEachModelsRowsApart()
    {
        string dir = Images(2);
        (ClipModel a, _) = ClipZeroShotClassifierTests.FakeModel("a");
        (ClipModel b, _) = ClipZeroShotClassifierTests.FakeModel("b");
        using (a)
        using (b)
        {
            using (ClipImageIndex index = ClipImageIndex.Open(Database, a)) await index.IndexFolderAsync(dir);
            using ClipImageIndex other = ClipImageIndex.Open(Database, b);
            Assert.Equal(0, other.Count);
            Assert.Empty(await other.SearchAsync("a red circle"));
        }
    }

    [Fact]
    public async Task RanksImagesAsBruteForceCosineDoes()
    {
        string dir = Images(12);
        using ClipModel model = RandomTinyClip.Load();
        using ClipImageIndex index = ClipImageIndex.Open(Database, model);
        await index.IndexFolderAsync(dir);
        string[] files = [.. Directory.GetFiles(dir).Order(StringComparer.Ordinal)];
        IReadOnlyList<RankedItem<string>> expected = await new ClipScorer(model).RerankFilesAsync("a red circle", files);
        IReadOnlyList<SearchHit> hits = await index.SearchAsync("a red circle", top: 5);
        Assert.Equal(expected.Take(5).Select(r => r.Item), hits.Select(h => h.Path));
        for (int i = 0; i < hits.Count; i++) Assert.Equal(expected[i].Score, hits[i].Score, 3);

        // An image's own embedding finds it first.
        ClipEmbeddings self = await model.EmbedImageFilesAsync([files[7]]);
        SearchHit best = index.Search(self, top: 1)[0];
        Assert.Equal(files[7], best.Path);
        Assert.Equal(1f, best.Cosine, 4);
    }

    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
