using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Conditioning.Onnx;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;

namespace Conditioning.Scoring;

/// <summary>
/// A searchable index of image files in a SQLite database: one row per (file, model) with the file's SHA-256, size,
/// modification time and unit-length CLIP embedding (float32 blob). Indexing skips files that have not changed, embeds
/// the rest in parallel batches, skips unreadable files with a warning, and commits each batch, so an interrupted run
/// resumes where it stopped. Search embeds the query text and ranks every indexed image of the same model by cosine
/// (SIMD dot products over an in-memory copy of the embeddings).
/// </summary>
/// <remarks>
/// Thread-safe: database access is serialised inside the instance, and searches may run while indexing (they see the
/// batches committed so far). A file that later becomes unreadable keeps its last row; files deleted from disk keep
/// theirs until <see cref="RemoveMissingAsync"/>. Rows of other models (a different <see cref="ClipModel.ModelId"/>) share the database
/// but are never mixed into results. Dispose when done; it closes the connection.
/// </remarks>
public sealed class ClipImageIndex : IDisposable
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tga", ".tif", ".tiff", ".webp", ".pbm"];

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly ILogger _logger;
    private readonly int _batchSize;
    private readonly int _parallelism;
    private readonly ImageLoadOptions? _loadOptions;
    private volatile Snapshot? _snapshot;

    private ClipImageIndex(SqliteConnection connection, string databasePath, ClipModel model, ClipImageIndexOptions options)
    {
        _connection = connection;
        DatabasePath = databasePath;
        Model = model;
        _logger = options.Logger ?? NullLogger.Instance;
        _batchSize = options.BatchSize ?? 32;
        _parallelism = options.MaxParallelism ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(_batchSize, 1, "options.BatchSize");
        ArgumentOutOfRangeException.ThrowIfLessThan(_parallelism, 1, "options.MaxParallelism");
        _loadOptions = options.LoadOptions;
    }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The CLIP model whose embeddings this index reads and writes; stays owned by the caller.</summary>
    public ClipModel Model { get; }

    /// <summary>Opens (or creates) an index database.</summary>
    /// <param name="databasePath">The SQLite file; created with its folder when missing.</param>
    /// <param name="model">The CLIP model; rows are keyed by its <see cref="ClipModel.ModelId"/>.</param>
    /// <param name="options">Batch size, parallelism, load limits, logger.</param>
    /// <returns>The open index.</returns>
    /// <exception cref="SqliteException">The file is not a SQLite database or cannot be opened.</exception>
    public static ClipImageIndex Open(string databasePath, ClipModel model, ClipImageIndexOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        ArgumentNullException.ThrowIfNull(model);
        string full = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString());
        try
        {
            connection.Open();
            Execute(connection, """
                PRAGMA journal_mode = WAL;
                CREATE TABLE IF NOT EXISTS images (
                    path TEXT NOT NULL,
                    model_id TEXT NOT NULL,
                    file_hash TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    modified_ticks INTEGER NOT NULL,
                    dimension INTEGER NOT NULL,
                    embedding BLOB NOT NULL,
                    indexed_at TEXT NOT NULL,
                    PRIMARY KEY (path, model_id));
                """);
            return new ClipImageIndex(connection, full, model, options ?? new ClipImageIndexOptions());
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The number of images indexed for this model.</summary>
    public int Count
    {
        get
        {
            _lock.Wait();
            try
            {
                using SqliteCommand command = _connection.CreateCommand();
                command.CommandText = "SELECT COUNT(*) FROM images WHERE model_id = $model";
                command.Parameters.AddWithValue("$model", Model.ModelId);
                return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
            }
            finally
            {
                _lock.Release();
            }
        }
    }

    /// <summary>Indexes the image files in a folder (by extension: PNG, JPEG, GIF, BMP, TGA, TIFF, WebP, PBM).</summary>
    /// <param name="folder">The folder.</param>
    /// <param name="recursive">Whether to include subfolders.</param>
    /// <param name="progress">Receives the number of files handled so far.</param>
    /// <param name="cancellationToken">Stops after the batches in flight; committed batches stay.</param>
    /// <returns>What was added, updated, skipped and failed.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public Task<IndexingReport> IndexFolderAsync(string folder, bool recursive = true, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The folder '{folder}' does not exist.");
        IEnumerable<string> files = Directory.EnumerateFiles(folder, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal);
        return IndexAsync([.. files], progress, cancellationToken);
    }

    /// <summary>
    /// Indexes image files: a file whose size and modification time match its row is skipped without reading; one
    /// whose content hash matches is skipped after hashing; the rest are embedded and written, one transaction per batch.
    /// Unreadable files (missing, corrupt, unsupported, too large) are logged and reported, never thrown.
    /// </summary>
    /// <param name="files">The files.</param>
    /// <param name="progress">Receives the number of files handled so far.</param>
    /// <param name="cancellationToken">Stops after the batches in flight; committed batches stay.</param>
    /// <returns>What was added, updated, skipped and failed.</returns>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="ModelRunException">The vision model failed.</exception>
    public async Task<IndexingReport> IndexAsync(IReadOnlyList<string> files, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        string modelId = Model.ModelId;
        Dictionary<string, (string Hash, long Size, long Ticks)> existing = await ReadStateAsync(modelId, cancellationToken).ConfigureAwait(false);
        string[] paths = [.. files.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal)];
        int unchanged = 0, added = 0, updated = 0, handled = 0;
        var failed = new List<string>();
        var pending = new List<string>();
        foreach (string path in paths)
        {
            var info = new FileInfo(path);
            if (info.Exists && existing.TryGetValue(path, out var row) && row.Size == info.Length && row.Ticks == info.LastWriteTimeUtc.Ticks)
            {
                unchanged++;
                progress?.Report(++handled);
            }
            else
            {
                pending.Add(path);
            }
        }

        IEnumerable<string[]> batches = pending.Chunk(_batchSize);
        var options = new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(batches, options, async (batch, ct) =>
        {
            var rows = new List<Row>(batch.Length);
            var images = new List<Image>(batch.Length);
            int batchUnchanged = 0;
            var batchFailed = new List<string>();
            try
            {
                foreach (string path in batch)
                {
                    ct.ThrowIfCancellationRequested();
                    try
                    {
                        byte[] bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
                        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
                        var info = new FileInfo(path);
                        bool known = existing.TryGetValue(path, out var old);
                        if (known && old.Hash == hash)
                        {
                            rows.Add(new Row(path, hash, info.Length, info.LastWriteTimeUtc.Ticks, null, IsNew: false));
                            batchUnchanged++;
                            continue;
                        }

                        using var stream = new MemoryStream(bytes, writable: false);
                        images.Add(ImageLoader.Load(stream, path, _loadOptions));
                        rows.Add(new Row(path, hash, info.Length, info.LastWriteTimeUtc.Ticks, images.Count - 1, IsNew: !known));
                    }
                    catch (Exception e) when (e is ImageLoadException or IOException or UnauthorizedAccessException)
                    {
                        _logger.LogWarning("Skipping '{Path}': {Reason}", path, e.Message);
                        batchFailed.Add(path);
                    }
                }

                ClipEmbeddings? embeddings = images.Count == 0 ? null : await Model.EmbedImagesAsync(images, ct).ConfigureAwait(false);
                await WriteAsync(modelId, rows, embeddings, ct).ConfigureAwait(false);
            }
            finally
            {
                foreach (Image image in images) image.Dispose();
            }

            lock (failed)
            {
                failed.AddRange(batchFailed);
                unchanged += batchUnchanged;
                added += rows.Count(r => r.EmbeddingRow is not null && r.IsNew);
                updated += rows.Count(r => r.EmbeddingRow is not null && !r.IsNew);
                handled += batch.Length;
                progress?.Report(handled);
            }
        }).ConfigureAwait(false);

        return new IndexingReport(added, updated, unchanged, [.. failed.Order(StringComparer.Ordinal)]);
    }

    /// <summary>Deletes the rows (of every model) whose files no longer exist.</summary>
    /// <param name="cancellationToken">Stops before the deletion.</param>
    /// <returns>The paths removed.</returns>
    public async Task<IReadOnlyList<string>> RemoveMissingAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var missing = new List<string>();
            using (SqliteCommand select = _connection.CreateCommand())
            {
                select.CommandText = "SELECT DISTINCT path FROM images ORDER BY path";
                using SqliteDataReader reader = select.ExecuteReader();
                while (reader.Read())
                {
                    string path = reader.GetString(0);
                    if (!File.Exists(path)) missing.Add(path);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            using SqliteTransaction transaction = _connection.BeginTransaction();
            using SqliteCommand delete = _connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM images WHERE path = $path";
            SqliteParameter parameter = delete.Parameters.Add("$path", SqliteType.Text);
            foreach (string path in missing)
            {
                parameter.Value = path;
                delete.ExecuteNonQuery();
            }

            transaction.Commit();
            _snapshot = null;
            return missing;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Finds the images most similar to a text query.</summary>
    /// <param name="query">The text, e.g. <c>a red circle</c>.</param>
    /// <param name="top">How many results; fewer when the index is smaller.</param>
    /// <param name="cancellationToken">Stops the text model.</param>
    /// <returns>The best <paramref name="top"/> images, best first (ties by path).</returns>
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int top = 10, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ClipEmbeddings embedding = await Model.EmbedTextAsync(query, cancellationToken).ConfigureAwait(false);
        return Search(embedding, top);
    }

    /// <summary>Finds the images most similar to an embedding (a text, or an image for "more like this").</summary>
    /// <param name="query">A unit-length embedding of the model's dimension (row 0 is used).</param>
    /// <param name="top">How many results.</param>
    /// <returns>The best <paramref name="top"/> images, best first (ties by path).</returns>
    /// <exception cref="ArgumentException">The dimension differs from the indexed embeddings'.</exception>
    public IReadOnlyList<SearchHit> Search(ClipEmbeddings query, int top = 10)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        Snapshot snapshot = _snapshot ?? LoadSnapshot();
        if (snapshot.Paths.Length == 0) return [];
        if (query.Dimension != snapshot.Dimension)
        {
            throw new ArgumentException($"The query has {query.Dimension} dimensions but the index holds {snapshot.Dimension}-dimensional embeddings.", nameof(query));
        }

        ReadOnlySpan<float> q = query[0];
        var cosines = new float[snapshot.Paths.Length];
        for (int i = 0; i < cosines.Length; i++)
        {
            cosines[i] = TensorPrimitives.Dot(q, snapshot.Embeddings.AsSpan(i * snapshot.Dimension, snapshot.Dimension));
        }

        return [.. Enumerable.Range(0, cosines.Length)
            .OrderByDescending(i => cosines[i]).ThenBy(i => snapshot.Paths[i], StringComparer.Ordinal)
            .Take(top)
            .Select(i => new SearchHit(snapshot.Paths[i], cosines[i], ClipScore.FromCosine(cosines[i])))];
    }

    /// <summary>Closes the database.</summary>
    public void Dispose()
    {
        _connection.Dispose();
        _lock.Dispose();
    }

    private async Task<Dictionary<string, (string Hash, long Size, long Ticks)>> ReadStateAsync(string modelId, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = "SELECT path, file_hash, size, modified_ticks FROM images WHERE model_id = $model";
            command.Parameters.AddWithValue("$model", modelId);
            using SqliteDataReader reader = command.ExecuteReader();
            var state = new Dictionary<string, (string, long, long)>(StringComparer.Ordinal);
            while (reader.Read()) state[reader.GetString(0)] = (reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3));
            return state;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task WriteAsync(string modelId, List<Row> rows, ClipEmbeddings? embeddings, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using SqliteTransaction transaction = _connection.BeginTransaction();
            using SqliteCommand upsert = _connection.CreateCommand();
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO images (path, model_id, file_hash, size, modified_ticks, dimension, embedding, indexed_at)
                VALUES ($path, $model, $hash, $size, $ticks, $dimension, $embedding, $at)
                ON CONFLICT (path, model_id) DO UPDATE SET file_hash = $hash, size = $size, modified_ticks = $ticks,
                    dimension = $dimension, embedding = $embedding, indexed_at = $at
                """;
            using SqliteCommand touch = _connection.CreateCommand();
            touch.Transaction = transaction;
            touch.CommandText = "UPDATE images SET size = $size, modified_ticks = $ticks WHERE path = $path AND model_id = $model";
            string now = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
            foreach (Row row in rows)
            {
                SqliteCommand command = row.EmbeddingRow is null ? touch : upsert;
                command.Parameters.Clear();
                command.Parameters.AddWithValue("$path", row.Path);
                command.Parameters.AddWithValue("$model", modelId);
                command.Parameters.AddWithValue("$size", row.Size);
                command.Parameters.AddWithValue("$ticks", row.Ticks);
                if (row.EmbeddingRow is int index)
                {
                    command.Parameters.AddWithValue("$hash", row.Hash);
                    command.Parameters.AddWithValue("$dimension", embeddings!.Dimension);
                    command.Parameters.AddWithValue("$embedding", MemoryMarshal.AsBytes(embeddings[index]).ToArray());
                    command.Parameters.AddWithValue("$at", now);
                }

                command.ExecuteNonQuery();
            }

            transaction.Commit();
            _snapshot = null;
        }
        finally
        {
            _lock.Release();
        }
    }

    private Snapshot LoadSnapshot()
    {
        _lock.Wait();
        try
        {
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = "SELECT path, dimension, embedding FROM images WHERE model_id = $model ORDER BY path";
            command.Parameters.AddWithValue("$model", Model.ModelId);
            using SqliteDataReader reader = command.ExecuteReader();
            var paths = new List<string>();
            var values = new List<float>();
            int dimension = 0;
            while (reader.Read())
            {
                dimension = reader.GetInt32(1);
                byte[] blob = (byte[])reader.GetValue(2);
                if (blob.Length != dimension * sizeof(float)) throw new InvalidDataException($"The index row for '{reader.GetString(0)}' in '{DatabasePath}' is damaged; delete the database and index again.");
                paths.Add(reader.GetString(0));
                values.AddRange(MemoryMarshal.Cast<byte, float>(blob));
            }

            var snapshot = new Snapshot([.. paths], [.. values], dimension);
            _snapshot = snapshot;
            return snapshot;
        }
        finally
        {
            _lock.Release();
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private sealed record Row(string Path, string Hash, long Size, long Ticks, int? EmbeddingRow, bool IsNew);

    private sealed record Snapshot(string[] Paths, float[] Embeddings, int Dimension);
}
