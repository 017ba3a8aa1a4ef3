using System.Numerics.Tensors;
using SixLabors.ImageSharp;

namespace Conditioning.Scoring;

/// <summary>
/// Describes an image with phrases from label lists, as CLIP Interrogator does: ranks each list's phrases by cosine
/// with the image, then builds a prompt greedily — starting from the best phrase (or a given prompt), it repeatedly
/// appends the phrase that makes the whole prompt most similar to the image, and stops when no phrase improves the
/// similarity, the phrases run out, or no phrase fits the model's context any more.
/// </summary>
/// <remarks>
/// Thread-safe. Phrase embeddings are kept on disk when a <see cref="ClipEmbeddingCache"/> is given (keyed by model id
/// and a hash of the phrase list) and in memory for the lifetime of this instance. Each greedy step embeds one
/// candidate prompt per remaining phrase.
/// </remarks>
public sealed class ClipInterrogator
{
    private readonly ClipEmbeddingCache? _cache;
    private readonly Dictionary<string, ClipEmbeddings> _memory = new(StringComparer.Ordinal);

    /// <summary>Creates an interrogator.</summary>
    /// <param name="model">The CLIP model; stays owned by the caller.</param>
    /// <param name="cache">Keeps phrase embeddings on disk between runs; <see langword="null"/> for memory only.</param>
    public ClipInterrogator(ClipModel model, ClipEmbeddingCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        _cache = cache;
    }

    /// <summary>The CLIP model.</summary>
    public ClipModel Model { get; }

    /// <summary>Ranks phrases by cosine with an image embedding, best first.</summary>
    /// <param name="image">A unit-length image embedding (row 0 is used).</param>
    /// <param name="phrases">The phrases.</param>
    /// <param name="top">How many to return; all when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the text model.</param>
    /// <returns>Phrases with their index in <paramref name="phrases"/> and cosine.</returns>
    public async Task<IReadOnlyList<RankedItem<string>>> RankPhrasesAsync(ClipEmbeddings image, IReadOnlyList<string> phrases, int? top = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(phrases);
        if (phrases.Count == 0) return [];
        ClipEmbeddings embeddings = await EmbedPhrasesAsync(phrases, cancellationToken).ConfigureAwait(false);
        SimilarityMatrix cos = embeddings.CosineSimilarity(image);
        return [.. Enumerable.Range(0, phrases.Count)
            .OrderByDescending(i => cos[i, 0]).ThenBy(i => i)
            .Take(top ?? phrases.Count)
            .Select(i => new RankedItem<string>(phrases[i], i, cos[i, 0]))];
    }

    /// <summary>Ranks each list's phrases against the image and builds a prompt greedily from all of them.</summary>
    /// <param name="image">The image.</param>
    /// <param name="labelLists">Named phrase lists (e.g. <c>colour</c> → red, green, …; <c>medium</c> → oil painting, photo, …).</param>
    /// <param name="options">Start prompt, separator, limits.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    /// <returns>The prompt, its cosine with the image, and the best phrases of each list.</returns>
    /// <exception cref="ArgumentException">The lists hold no phrases.</exception>
    public async Task<InterrogationResult> InterrogateAsync(
        Image image, IReadOnlyDictionary<string, IReadOnlyList<string>> labelLists, InterrogationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ClipEmbeddings embedding = await Model.EmbedImagesAsync([image], cancellationToken).ConfigureAwait(false);
        return await InterrogateAsync(embedding, labelLists, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As <see cref="InterrogateAsync(Image, IReadOnlyDictionary{string, IReadOnlyList{string}}, InterrogationOptions?, CancellationToken)"/>, for an image already embedded.</summary>
    /// <param name="image">A unit-length image embedding (row 0 is used).</param>
    /// <param name="labelLists">Named phrase lists.</param>
    /// <param name="options">Start prompt, separator, limits.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    /// <returns>The prompt, its cosine with the image, and the best phrases of each list.</returns>
    public async Task<InterrogationResult> InterrogateAsync(
        ClipEmbeddings image, IReadOnlyDictionary<string, IReadOnlyList<string>> labelLists, InterrogationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(labelLists);
        options ??= new InterrogationOptions();
        string separator = options.Separator ?? ", ";
        int maxPhrases = options.MaxPhrases ?? 32;
        int topPerList = options.TopPerList ?? 5;

        var top = new Dictionary<string, IReadOnlyList<RankedItem<string>>>(StringComparer.Ordinal);
        foreach ((string name, IReadOnlyList<string> phrases) in labelLists)
        {
            top[name] = await RankPhrasesAsync(image, phrases, topPerList, cancellationToken).ConfigureAwait(false);
        }

        List<string> remaining = [.. labelLists.Values.SelectMany(p => p).Distinct(StringComparer.Ordinal)];
        if (remaining.Count == 0) throw new ArgumentException("The label lists hold no phrases.", nameof(labelLists));

        string prompt;
        float cosine;
        if (string.IsNullOrEmpty(options.StartPrompt))
        {
            RankedItem<string> best = (await RankPhrasesAsync(image, remaining, 1, cancellationToken).ConfigureAwait(false))[0];
            prompt = best.Item;
            cosine = best.Score;
            remaining.RemoveAt(best.Index);
        }
        else
        {
            prompt = options.StartPrompt;
            cosine = await CosineAsync(image, prompt, cancellationToken).ConfigureAwait(false);
        }

        for (int added = 0; added < maxPhrases && remaining.Count > 0; added++)
        {
            // Candidates that would not fit the context are left out rather than truncated.
            string[] candidates = [.. remaining.Select(p => prompt + separator + p)];
            bool[] fits = [.. candidates.Select(c => TokenCount(c) <= Model.ContextLength)];
            if (!fits.Contains(true)) break;
            ClipEmbeddings embedded = await Model.EmbedTextsAsync([.. candidates.Select((c, i) => fits[i] ? c : string.Empty)], cancellationToken).ConfigureAwait(false);
            SimilarityMatrix cos = embedded.CosineSimilarity(image);
            float[] column = [.. Enumerable.Range(0, candidates.Length).Select(i => fits[i] ? cos[i, 0] : float.NegativeInfinity)];
            int bestIndex = TensorPrimitives.IndexOfMax(column);
            if (column[bestIndex] <= cosine) break;
            prompt = candidates[bestIndex];
            cosine = column[bestIndex];
            remaining.RemoveAt(bestIndex);
        }

        return new InterrogationResult(prompt, cosine, top);
    }

    private int TokenCount(string prompt)
    {
        var ids = new List<int>();
        return Model.Tokenizer.EncodeToIds(prompt, ids, addSpecialTokens: true);
    }

    private async Task<float> CosineAsync(ClipEmbeddings image, string prompt, CancellationToken cancellationToken)
    {
        ClipEmbeddings text = await Model.EmbedTextAsync(prompt, cancellationToken).ConfigureAwait(false);
        return TensorPrimitives.Dot(text[0], image[0]);
    }

    private async Task<ClipEmbeddings> EmbedPhrasesAsync(IReadOnlyList<string> phrases, CancellationToken cancellationToken)
    {
        string key = string.Join('\u0000', phrases);
        lock (_memory)
        {
            if (_memory.TryGetValue(key, out ClipEmbeddings? hit)) return hit;
        }

        IReadOnlyList<IReadOnlyList<string>> groups = [.. phrases.Select(p => (IReadOnlyList<string>)[p])];
        ClipEmbeddings result = _cache is null
            ? await Model.EmbedTextsAsync(phrases, cancellationToken).ConfigureAwait(false)
            : await _cache.GetOrAddAsync(Model.ModelId, "phrases", groups, ct => Model.EmbedTextsAsync(phrases, ct), cancellationToken).ConfigureAwait(false);
        lock (_memory) _memory[key] = result;
        return result;
    }
}
