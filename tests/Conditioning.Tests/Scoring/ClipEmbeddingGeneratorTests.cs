using System.Numerics.Tensors;
using Conditioning.Scoring;
using Microsoft.Extensions.AI;
using SixLabors.ImageSharp;

namespace Conditioning.Tests.Scoring;

/// <summary>The CLIP towers behind Microsoft.Extensions.AI's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>.</summary>
public sealed class ClipEmbeddingGeneratorTests
{
    [Fact]
    public async Task TextAndImageEmbeddingsAreTheModelsAndCompareByCosine()
    {
        using ClipModel model = RandomTinyClip.Load();
        IEmbeddingGenerator<string, Embedding<float>> text = new ClipTextEmbeddingGenerator(model);
        IEmbeddingGenerator<Image, Embedding<float>> images = new ClipImageEmbeddingGenerator(model);
        GeneratedEmbeddings<Embedding<float>> t = await text.GenerateAsync(RandomTinyClip.Prompts[..2]);
        using Image image = ImageLoader.Load(RandomTinyClip.Images[0]);
        ReadOnlyMemory<float> i = await images.GenerateVectorAsync(image);

        ClipEmbeddings direct = await model.EmbedTextsAsync(RandomTinyClip.Prompts[..2]);
        Assert.Equal(2, t.Count);
        Assert.Equal(direct[1].ToArray(), t[1].Vector.ToArray());
        Assert.Equal(model.ModelId, t[0].ModelId);
        Assert.Equal(1f, TensorPrimitives.Norm(i.Span), 5);
        float expected = RandomTinyClip.Rows("logits_per_image")[0][1] / model.LogitScale;
        Assert.Equal(expected, TensorPrimitives.Dot(i.Span, t[1].Vector.Span), 4);
    }

    [Fact]
    public async Task EmbedsEncodedImagesFromDataContent()
    {
        using ClipModel model = RandomTinyClip.Load();
        IEmbeddingGenerator<DataContent, Embedding<float>> generator = new ClipImageEmbeddingGenerator(model);
        var content = new DataContent(await File.ReadAllBytesAsync(RandomTinyClip.Images[2]), "image/png") { Name = "image_2.png" };
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync([content]);
        ClipEmbeddings direct = await model.EmbedImageFilesAsync([RandomTinyClip.Images[2]]);
        Assert.Equal(direct[0].ToArray(), result[0].Vector.ToArray());
    }

    [Fact]
    public async Task RejectsContentThatIsNotAnImageOrCannotBeDecoded()
    {
        using ClipModel model = RandomTinyClip.Load();
        IEmbeddingGenerator<DataContent, Embedding<float>> generator = new ClipImageEmbeddingGenerator(model);
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync([new DataContent("hello"u8.ToArray(), "text/plain")]));
        ImageLoadException e = await Assert.ThrowsAsync<ImageLoadException>(() => generator.GenerateAsync([new DataContent("hello"u8.ToArray(), "image/png") { Name = "upload.png" }]));
        Assert.Equal("upload.png", e.Path);
    }

    [Fact]
    public async Task RefusesADifferentNumberOfDimensions()
    {
        using ClipModel model = RandomTinyClip.Load();
        var generator = new ClipTextEmbeddingGenerator(model);
        await Assert.ThrowsAsync<NotSupportedException>(() => generator.GenerateAsync(["a"], new EmbeddingGenerationOptions { Dimensions = 4 }));
        Assert.Single(await generator.GenerateAsync(["a"], new EmbeddingGenerationOptions { Dimensions = 8 }));
    }

    [Fact]
    public void DescribesItselfThroughGetService()
    {
        using ClipModel model = RandomTinyClip.Load();
        IEmbeddingGenerator<string, Embedding<float>> generator = new ClipTextEmbeddingGenerator(model);
        EmbeddingGeneratorMetadata metadata = Assert.IsType<EmbeddingGeneratorMetadata>(generator.GetService(typeof(EmbeddingGeneratorMetadata)));
        Assert.Equal(model.ModelId, metadata.DefaultModelId);
        Assert.Same(model, generator.GetService<ClipModel>());
        Assert.Null(generator.GetService(typeof(ClipModel), "key"));
    }
}
