using Microsoft.Extensions.AI;
using SixLabors.ImageSharp;

namespace Conditioning.Scoring;

/// <summary>
/// The CLIP vision tower as a Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, for
/// ImageSharp <see cref="Image"/>s and for Microsoft.Extensions.AI <see cref="DataContent"/> (encoded image bytes with
/// an <c>image/*</c> media type): each image becomes a unit-length <see cref="Embedding{T}"/> in CLIP's joint space,
/// comparable with <see cref="ClipTextEmbeddingGenerator"/>'s text embeddings by dot product (cosine).
/// </summary>
/// <remarks>
/// Thread-safe. Images are preprocessed with the model's <see cref="ClipImagePreprocessor"/>; <see cref="DataContent"/>
/// is decoded with <see cref="ImageLoader"/> (EXIF orientation, pixel limit, typed errors). Does not own the model.
/// </remarks>
public sealed class ClipImageEmbeddingGenerator : IEmbeddingGenerator<Image, Embedding<float>>, IEmbeddingGenerator<DataContent, Embedding<float>>
{
    private readonly EmbeddingGeneratorMetadata _metadata;
    private readonly ImageLoadOptions? _loadOptions;

    /// <summary>Creates a generator over <paramref name="model"/>.</summary>
    /// <param name="model">The CLIP model; stays owned by the caller.</param>
    /// <param name="loadOptions">Limits for decoding <see cref="DataContent"/>.</param>
    public ClipImageEmbeddingGenerator(ClipModel model, ImageLoadOptions? loadOptions = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        _loadOptions = loadOptions;
        _metadata = new EmbeddingGeneratorMetadata("Conditioning.CLIP", null, model.ModelId, null);
    }

    /// <summary>The CLIP model.</summary>
    public ClipModel Model { get; }

    /// <summary>Embeds each image.</summary>
    /// <param name="values">The images (any pixel format); not disposed.</param>
    /// <param name="options"><see cref="EmbeddingGenerationOptions.Dimensions"/>, when set, must equal the model's projection size.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    /// <returns>One unit-length embedding per image, in order.</returns>
    /// <exception cref="NotSupportedException">A different number of dimensions was requested.</exception>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<Image> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ClipEmbeddings embeddings = await Model.EmbedImagesAsync([.. values], cancellationToken).ConfigureAwait(false);
        return ToGenerated(embeddings, Model.ModelId, options);
    }

    /// <summary>Decodes and embeds each encoded image.</summary>
    /// <param name="values">Image bytes (<see cref="DataContent.Data"/>) with an <c>image/*</c> media type.</param>
    /// <param name="options"><see cref="EmbeddingGenerationOptions.Dimensions"/>, when set, must equal the model's projection size.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    /// <returns>One unit-length embedding per image, in order.</returns>
    /// <exception cref="ArgumentException">A content is not an image (its media type is not <c>image/*</c>).</exception>
    /// <exception cref="ImageLoadException">A content cannot be decoded; the exception names it (<see cref="DataContent.Name"/> or its position).</exception>
    /// <exception cref="NotSupportedException">A different number of dimensions was requested.</exception>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<DataContent> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var images = new List<Image>();
        try
        {
            int index = 0;
            foreach (DataContent content in values)
            {
                ArgumentNullException.ThrowIfNull(content, nameof(values));
                string name = content.Name ?? $"image {index}";
                if (!content.HasTopLevelMediaType("image"))
                {
                    throw new ArgumentException($"'{name}' has media type '{content.MediaType}'; CLIP embeds images (image/*).", nameof(values));
                }

                using var stream = new MemoryStream(content.Data.ToArray(), writable: false);
                images.Add(ImageLoader.Load(stream, name, _loadOptions));
                index++;
            }

            return await GenerateAsync(images, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (Image image in images) image.Dispose();
        }
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

    internal static GeneratedEmbeddings<Embedding<float>> ToGenerated(ClipEmbeddings embeddings, string modelId, EmbeddingGenerationOptions? options)
    {
        if (options?.Dimensions is int wanted && embeddings.Count > 0 && wanted != embeddings.Dimension)
        {
            throw new NotSupportedException($"CLIP embeddings of this model have {embeddings.Dimension} dimensions; {wanted} were requested.");
        }

        DateTimeOffset now = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(embeddings.Count);
        for (int i = 0; i < embeddings.Count; i++)
        {
            result.Add(new Embedding<float>(embeddings[i].ToArray()) { ModelId = modelId, CreatedAt = now });
        }

        return result;
    }
}
