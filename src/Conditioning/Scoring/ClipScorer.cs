using SixLabors.ImageSharp;

namespace Conditioning.Scoring;

/// <summary>
/// CLIP scores (torchmetrics' definition, see <see cref="ClipScore"/>) of images against prompts, similarity
/// matrices, and reranking of images — given, loaded from files, or generated from seeds — by their score.
/// </summary>
/// <remarks>Thread-safe; all work goes through the <see cref="ClipModel"/>, which the scorer does not own.</remarks>
public sealed class ClipScorer
{
    /// <summary>Creates a scorer over <paramref name="model"/>.</summary>
    /// <param name="model">The CLIP model; stays owned by the caller.</param>
    public ClipScorer(ClipModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
    }

    /// <summary>The CLIP model.</summary>
    public ClipModel Model { get; }

    /// <summary>The CLIP score of one image and one prompt: <c>100 × max(cos, 0)</c>, in [0, 100].</summary>
    /// <param name="image">The image.</param>
    /// <param name="prompt">The prompt.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    public async Task<float> ScoreAsync(Image image, string prompt, CancellationToken cancellationToken = default)
    {
        float[] scores = await ScorePairsAsync([image], [prompt], cancellationToken).ConfigureAwait(false);
        return scores[0];
    }

    /// <summary>The CLIP score of each (image, prompt) pair: image <c>i</c> with prompt <c>i</c>.</summary>
    /// <param name="images">The images.</param>
    /// <param name="prompts">One prompt per image.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    /// <returns><c>100 × max(cos, 0)</c> per pair; <see cref="ClipScore.Aggregate"/> of the cosines gives torchmetrics' batch value.</returns>
    /// <exception cref="ArgumentException">The lists have different lengths.</exception>
    public async Task<float[]> ScorePairsAsync(IReadOnlyList<Image> images, IReadOnlyList<string> prompts, CancellationToken cancellationToken = default)
    {
        float[] cosines = await CosinePairsAsync(images, prompts, cancellationToken).ConfigureAwait(false);
        return [.. cosines.Select(ClipScore.FromCosine)];
    }

    /// <summary>The cosine similarity of each (image, prompt) pair: image <c>i</c> with prompt <c>i</c>.</summary>
    /// <param name="images">The images.</param>
    /// <param name="prompts">One prompt per image.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    /// <returns>Cosines in [−1, 1].</returns>
    /// <exception cref="ArgumentException">The lists have different lengths.</exception>
    public async Task<float[]> CosinePairsAsync(IReadOnlyList<Image> images, IReadOnlyList<string> prompts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(prompts);
        if (images.Count != prompts.Count) throw new ArgumentException($"There are {images.Count} images but {prompts.Count} prompts; pairs need one of each.", nameof(prompts));
        ClipEmbeddings imageEmbeddings = await Model.EmbedImagesAsync(images, cancellationToken).ConfigureAwait(false);
        ClipEmbeddings textEmbeddings = await Model.EmbedTextsAsync(prompts, cancellationToken).ConfigureAwait(false);
        var cosines = new float[images.Count];
        for (int i = 0; i < cosines.Length; i++) cosines[i] = System.Numerics.Tensors.TensorPrimitives.Dot(imageEmbeddings[i], textEmbeddings[i]);
        return cosines;
    }

    /// <summary>The CLIP score of every image against every prompt.</summary>
    /// <param name="images">The images (rows).</param>
    /// <param name="prompts">The prompts (columns).</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    /// <returns><c>[images, prompts]</c> of <c>100 × max(cos, 0)</c>.</returns>
    public async Task<SimilarityMatrix> ScoreMatrixAsync(IReadOnlyList<Image> images, IReadOnlyList<string> prompts, CancellationToken cancellationToken = default)
    {
        ClipEmbeddings imageEmbeddings = await Model.EmbedImagesAsync(images, cancellationToken).ConfigureAwait(false);
        ClipEmbeddings textEmbeddings = await Model.EmbedTextsAsync(prompts, cancellationToken).ConfigureAwait(false);
        return imageEmbeddings.CosineSimilarity(textEmbeddings).Select(ClipScore.FromCosine);
    }

    /// <summary>Orders images by their CLIP score against <paramref name="prompt"/>, best first (by cosine, so images that all score 0 are still ordered; exact ties keep input order).</summary>
    /// <param name="prompt">The prompt.</param>
    /// <param name="images">The candidates; not disposed.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    /// <returns>Every image with its input index and score.</returns>
    public async Task<IReadOnlyList<RankedItem<Image>>> RerankAsync(string prompt, IReadOnlyList<Image> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(images);
        ClipEmbeddings imageEmbeddings = await Model.EmbedImagesAsync(images, cancellationToken).ConfigureAwait(false);
        return await RankAsync(prompt, images, imageEmbeddings, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads image files and orders them by CLIP score against <paramref name="prompt"/>, best first.</summary>
    /// <param name="prompt">The prompt.</param>
    /// <param name="paths">The files.</param>
    /// <param name="loadOptions">Load limits.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    /// <returns>Every path with its input index and score.</returns>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="ImageLoadException">A file is not a usable image; the exception names it.</exception>
    public async Task<IReadOnlyList<RankedItem<string>>> RerankFilesAsync(string prompt, IReadOnlyList<string> paths, ImageLoadOptions? loadOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(paths);
        ClipEmbeddings imageEmbeddings = await Model.EmbedImageFilesAsync(paths, loadOptions, cancellationToken).ConfigureAwait(false);
        return await RankAsync(prompt, paths, imageEmbeddings, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Generates one image per seed with <paramref name="generate"/> (one at a time, in seed order), then orders them
    /// by CLIP score against <paramref name="prompt"/>, best first. <see cref="RankedItem{T}.Index"/> is the seed's
    /// position in <paramref name="seeds"/>.
    /// </summary>
    /// <param name="prompt">The prompt, also what the generator is assumed to draw.</param>
    /// <param name="seeds">The seeds.</param>
    /// <param name="generate">Makes the image for a seed; the caller owns (and disposes) the images returned in the ranking.</param>
    /// <param name="cancellationToken">Passed to the generator and the runs.</param>
    /// <returns>Every generated image with its seed index and score.</returns>
    public async Task<IReadOnlyList<RankedItem<Image>>> GenerateAndRerankAsync(
        string prompt, IReadOnlyList<long> seeds, Func<long, CancellationToken, Task<Image>> generate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(generate);
        var images = new List<Image>(seeds.Count);
        try
        {
            foreach (long seed in seeds)
            {
                images.Add(await generate(seed, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"The generator returned no image for seed {seed}."));
            }

            return await RerankAsync(prompt, images, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (Image image in images) image.Dispose();
            throw;
        }
    }

    private async Task<IReadOnlyList<RankedItem<T>>> RankAsync<T>(string prompt, IReadOnlyList<T> items, ClipEmbeddings imageEmbeddings, CancellationToken cancellationToken)
    {
        if (items.Count == 0) return [];
        ClipEmbeddings text = await Model.EmbedTextAsync(prompt, cancellationToken).ConfigureAwait(false);
        SimilarityMatrix cosines = imageEmbeddings.CosineSimilarity(text);
        // Ordered by the raw cosine, so images that all score 0 (negative cosines) still come out in a meaningful order.
        return [.. Enumerable.Range(0, items.Count)
            .OrderByDescending(i => cosines[i, 0])
            .ThenBy(i => i)
            .Select(i => new RankedItem<T>(items[i], i, ClipScore.FromCosine(cosines[i, 0])))];
    }
}
