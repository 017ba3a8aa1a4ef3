using Microsoft.Extensions.AI;

namespace Conditioning.Scoring;

/// <summary>
/// The CLIP text tower as a Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>: each string
/// becomes a unit-length <see cref="Embedding{T}"/> in CLIP's joint space, comparable with
/// <see cref="ClipImageEmbeddingGenerator"/>'s image embeddings by dot product (cosine).
/// </summary>
/// <remarks>
/// Thread-safe. Does not own the <see cref="ClipModel"/>; disposing the generator does nothing. Compose with
/// Microsoft.Extensions.AI's caching and logging decorators through <c>EmbeddingGeneratorBuilder</c> as usual.
/// </remarks>
public sealed class ClipTextEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>Creates a generator over <paramref name="model"/>.</summary>
    /// <param name="model">The CLIP model; stays owned by the caller.</param>
    public ClipTextEmbeddingGenerator(ClipModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        _metadata = new EmbeddingGeneratorMetadata("Conditioning.CLIP", null, model.ModelId, null);
    }

    /// <summary>The CLIP model.</summary>
    public ClipModel Model { get; }

    /// <summary>Embeds each string (prompts longer than the context are truncated, with a logged warning).</summary>
    /// <param name="values">The texts.</param>
    /// <param name="options"><see cref="EmbeddingGenerationOptions.Dimensions"/>, when set, must equal the model's projection size: CLIP cannot change it.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    /// <returns>One unit-length embedding per text, in order, each with <see cref="Embedding.ModelId"/> set to <see cref="ClipModel.ModelId"/>.</returns>
    /// <exception cref="NotSupportedException">A different number of dimensions was requested.</exception>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ClipEmbeddings embeddings = await Model.EmbedTextsAsync([.. values], cancellationToken).ConfigureAwait(false);
        return ClipImageEmbeddingGenerator.ToGenerated(embeddings, Model.ModelId, options);
    }

    /// <summary>Returns the <see cref="EmbeddingGeneratorMetadata"/>, this instance, or the <see cref="ClipModel"/> when asked for them.</summary>
    /// <param name="serviceType">The type wanted.</param>
    /// <param name="serviceKey">Must be <see langword="null"/>; keyed services are not offered.</param>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        if (serviceType == typeof(ClipModel)) return Model;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Does nothing: the model belongs to the caller.</summary>
    public void Dispose()
    {
    }
}
