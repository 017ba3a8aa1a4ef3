using System.Numerics.Tensors;
using SixLabors.ImageSharp;

namespace Conditioning.Scoring;

/// <summary>
/// CLIP zero-shot classification: each class is embedded from its prompts (CLIP's prompt ensembling — the mean of
/// the unit-length prompt embeddings, renormalised), and an image's class probabilities are
/// <c>softmax(LogitScale × cos(image, class))</c>, with the model's <see cref="ClipModel.LogitScale"/> (100 unless the
/// model's config records its trained value).
/// </summary>
/// <remarks>
/// Thread-safe. Class embeddings are kept on disk when a <see cref="ClipEmbeddingCache"/> is given (keyed by model id
/// and a hash of every prompt), and in memory for the lifetime of this instance.
/// </remarks>
public sealed class ClipZeroShotClassifier
{
    private readonly ClipEmbeddingCache? _cache;
    private readonly Dictionary<string, ClipEmbeddings> _memory = new(StringComparer.Ordinal);

    /// <summary>Creates a classifier.</summary>
    /// <param name="model">The CLIP model; stays owned by the caller.</param>
    /// <param name="cache">Keeps class embeddings on disk between runs; <see langword="null"/> for memory only.</param>
    public ClipZeroShotClassifier(ClipModel model, ClipEmbeddingCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        _cache = cache;
    }

    /// <summary>The CLIP model.</summary>
    public ClipModel Model { get; }

    /// <summary>The unit-length embedding of each class (ensembled over its prompts).</summary>
    /// <param name="classes">The classes.</param>
    /// <param name="cancellationToken">Stops the text model.</param>
    /// <returns>One row per class.</returns>
    /// <exception cref="ArgumentException">There are no classes, or a class has no prompts.</exception>
    public async Task<ClipEmbeddings> EmbedClassesAsync(IReadOnlyList<ZeroShotClass> classes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count == 0) throw new ArgumentException("There are no classes.", nameof(classes));
        ZeroShotClass? empty = classes.FirstOrDefault(c => c.Prompts is not { Count: > 0 });
        if (empty is not null) throw new ArgumentException($"The class '{empty.Label}' has no prompts.", nameof(classes));
        IReadOnlyList<IReadOnlyList<string>> groups = [.. classes.Select(c => c.Prompts)];
        string key = string.Join('\u0001', groups.Select(g => string.Join('\u0000', g)));
        lock (_memory)
        {
            if (_memory.TryGetValue(key, out ClipEmbeddings? hit)) return hit;
        }

        ClipEmbeddings result = _cache is null
            ? await ComputeAsync(groups, cancellationToken).ConfigureAwait(false)
            : await _cache.GetOrAddAsync(Model.ModelId, "zeroshot", groups, ct => ComputeAsync(groups, ct), cancellationToken).ConfigureAwait(false);
        lock (_memory) _memory[key] = result;
        return result;
    }

    /// <summary>Classifies images.</summary>
    /// <param name="images">The images.</param>
    /// <param name="classes">The classes.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    /// <returns>One prediction per image, in order.</returns>
    public async Task<IReadOnlyList<ZeroShotPrediction>> ClassifyAsync(IReadOnlyList<Image> images, IReadOnlyList<ZeroShotClass> classes, CancellationToken cancellationToken = default)
    {
        ClipEmbeddings classEmbeddings = await EmbedClassesAsync(classes, cancellationToken).ConfigureAwait(false);
        ClipEmbeddings imageEmbeddings = await Model.EmbedImagesAsync(images, cancellationToken).ConfigureAwait(false);
        return Classify(imageEmbeddings, classEmbeddings, classes);
    }

    /// <summary>Classifies already embedded images (e.g. from a search index) against embedded classes.</summary>
    /// <param name="images">Unit-length image embeddings.</param>
    /// <param name="classEmbeddings">From <see cref="EmbedClassesAsync"/>.</param>
    /// <param name="classes">The classes, in the order of <paramref name="classEmbeddings"/>.</param>
    /// <returns>One prediction per image.</returns>
    /// <exception cref="ArgumentException">The counts or dimensions do not match.</exception>
    public IReadOnlyList<ZeroShotPrediction> Classify(ClipEmbeddings images, ClipEmbeddings classEmbeddings, IReadOnlyList<ZeroShotClass> classes)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(classEmbeddings);
        ArgumentNullException.ThrowIfNull(classes);
        if (classEmbeddings.Count != classes.Count) throw new ArgumentException($"There are {classes.Count} classes but {classEmbeddings.Count} class embeddings.", nameof(classes));
        SimilarityMatrix cos = images.CosineSimilarity(classEmbeddings);
        var predictions = new ZeroShotPrediction[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            float[] cosines = cos.Row(i).ToArray();
            var logits = new float[cosines.Length];
            TensorPrimitives.Multiply(cosines, Model.LogitScale, logits);
            var probabilities = new float[logits.Length];
            TensorPrimitives.SoftMax(logits, probabilities);
            int best = TensorPrimitives.IndexOfMax(cosines);
            predictions[i] = new ZeroShotPrediction(classes[best].Label, best, probabilities, cosines);
        }

        return predictions;
    }

    private async Task<ClipEmbeddings> ComputeAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken cancellationToken)
    {
        string[] prompts = [.. groups.SelectMany(g => g)];
        ClipEmbeddings all = await Model.EmbedTextsAsync(prompts, cancellationToken).ConfigureAwait(false);
        var rows = new float[groups.Count * all.Dimension];
        int offset = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            int n = groups[g].Count;
            ClipEmbeddings members = ClipEmbeddings.FromNormalized(all.Data.Span.Slice(offset * all.Dimension, n * all.Dimension), n, all.Dimension);
            members.MeanNormalized()[0].CopyTo(rows.AsSpan(g * all.Dimension, all.Dimension));
            offset += n;
        }

        return ClipEmbeddings.FromNormalized(rows, groups.Count, all.Dimension);
    }
}
