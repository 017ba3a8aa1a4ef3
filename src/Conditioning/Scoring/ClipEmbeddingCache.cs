using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conditioning.Scoring;

/// <summary>
/// Embeddings of label and phrase lists kept on disk, so classifying or interrogating with the same lists again skips
/// the text model. One file per (model, list): <c>{modelId}-{kind}-{listHash}.clipemb</c>, where the list hash is a
/// SHA-256 of every prompt (and group boundary) in order, so any change to a label, a template or their order makes a
/// new entry.
/// </summary>
/// <remarks>
/// Thread-safe: files are written to a temporary name and moved into place, so concurrent writers and readers in one
/// or several processes never see a partial file. A file that cannot be read (truncated, wrong shape) is logged,
/// recomputed and rewritten.
/// </remarks>
public sealed class ClipEmbeddingCache
{
    private static readonly byte[] Magic = "CLIPEMB1"u8.ToArray();
    private readonly ILogger _logger;

    /// <summary>Creates a cache in <paramref name="directory"/> (created when missing).</summary>
    /// <param name="directory">The folder for cache files.</param>
    /// <param name="logger">Receives a warning when a damaged file is replaced.</param>
    public ClipEmbeddingCache(string directory, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = directory;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The folder holding the cache files.</summary>
    public string Directory { get; }

    /// <summary>The file an entry is stored in.</summary>
    /// <param name="modelId">The model's <see cref="ClipModel.ModelId"/>.</param>
    /// <param name="kind">What the embeddings are (<c>zeroshot</c>, <c>phrases</c>), to keep kinds apart.</param>
    /// <param name="groups">The prompts, in groups (a class's templates; or one phrase per group).</param>
    public string PathOf(string modelId, string kind, IReadOnlyList<IReadOnlyList<string>> groups)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(groups);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (IReadOnlyList<string> group in groups)
        {
            foreach (string prompt in group)
            {
                sha.AppendData(Encoding.UTF8.GetBytes(prompt));
                sha.AppendData([0]);
            }

            sha.AppendData([1]);
        }

        string hash = Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
        return Path.Combine(Directory, $"{Sanitize(modelId)}-{Sanitize(kind)}-{hash}.clipemb");
    }

    /// <summary>Returns the stored embeddings for this (model, kind, groups), or computes, stores and returns them.</summary>
    /// <param name="modelId">The model's <see cref="ClipModel.ModelId"/>.</param>
    /// <param name="kind">What the embeddings are.</param>
    /// <param name="groups">The prompts the embeddings were computed from (the key).</param>
    /// <param name="compute">Computes the embeddings on a miss.</param>
    /// <param name="cancellationToken">Stops the computation.</param>
    /// <returns>The embeddings, one row per group.</returns>
    /// <exception cref="IOException">The cache folder cannot be written.</exception>
    public async Task<ClipEmbeddings> GetOrAddAsync(
        string modelId, string kind, IReadOnlyList<IReadOnlyList<string>> groups,
        Func<CancellationToken, Task<ClipEmbeddings>> compute, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(compute);
        string path = PathOf(modelId, kind, groups);
        if (TryRead(path, groups.Count) is ClipEmbeddings cached) return cached;
        ClipEmbeddings computed = await compute(cancellationToken).ConfigureAwait(false);
        Write(path, computed);
        return computed;
    }

    private ClipEmbeddings? TryRead(string path, int expectedCount)
    {
        if (!File.Exists(path)) return null;
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            if (bytes.Length < 16 || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) throw new InvalidDataException("not a cache file");
            int count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
            int dimension = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
            if (count != expectedCount || dimension <= 0 || bytes.Length != 16 + ((long)count * dimension * sizeof(float)))
            {
                throw new InvalidDataException($"holds {count} × {dimension} values in {bytes.Length} bytes, expected {expectedCount} rows");
            }

            var values = new float[count * dimension];
            for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(16 + (i * 4)));
            return ClipEmbeddings.FromNormalized(values, count, dimension);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            _logger.LogWarning("The embedding cache file '{Path}' is unusable ({Reason}); recomputing it.", path, e.Message);
            return null;
        }
    }

    private void Write(string path, ClipEmbeddings embeddings)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var bytes = new byte[16 + (embeddings.Data.Length * sizeof(float))];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), embeddings.Count);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), embeddings.Dimension);
        ReadOnlySpan<float> values = embeddings.Data.Span;
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(16 + (i * 4)), values[i]);
        string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }

    private static string Sanitize(string s) => string.Concat(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
