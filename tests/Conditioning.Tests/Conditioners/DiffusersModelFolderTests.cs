using Conditioning.Conditioners;

namespace Conditioning.Tests.Conditioners;

public sealed class DiffusersModelFolderTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("cond-folder-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void ResolvesAnSdxlLayoutWithItsFlagsAndVaeScaling()
    {
        Write("model_index.json", """{"_class_name": "ORTStableDiffusionXLPipeline", "force_zeros_for_empty_prompt": true}""");
        Touch("text_encoder/model.onnx", "text_encoder_2/model.onnx", "unet/model.onnx", "vae_decoder/model.onnx", "tokenizer/vocab.json", "tokenizer_2/vocab.json");
        Write("scheduler/scheduler_config.json", "{}");
        Write("vae_decoder/config.json", """{"scaling_factor": 0.13025, "latent_channels": 4, "block_out_channels": [128, 256, 512, 512]}""");

        DiffusersModelFolder folder = DiffusersModelFolder.Open(_root.FullName);
        Assert.Equal(ModelFamily.StableDiffusionXL, folder.Family);
        Assert.True(folder.ForceZerosForEmptyPrompt);
        Assert.Equal(new VaeScaling(0.13025, 0, 4, 8), folder.Vae);
        Assert.EndsWith(Path.Combine("text_encoder_2", "model.onnx"), folder.ModelPath("text_encoder_2"), StringComparison.Ordinal);
        Assert.False(folder.Has("text_encoder_3"));
    }

    [Fact]
    public void UsesTheLegacyScalingWhenTheVaeHasNoConfig()
    {
        Write("model_index.json", """{"_class_name": "OnnxStableDiffusionPipeline"}""");
        Touch("text_encoder/model.onnx", "unet/model.onnx", "vae_decoder/model.onnx", "tokenizer/vocab.json");
        Write("scheduler/scheduler_config.json", "{}");
        Assert.Equal(new VaeScaling(0.18215, 0, 4, 8), DiffusersModelFolder.Open(_root.FullName).Vae);
    }

    [Fact]
    public void ListsWhatIsMissingAndWhatWasFound()
    {
        Write("model_index.json", """{"_class_name": "FluxPipeline"}""");
        Touch("text_encoder/model.onnx", "transformer/model.onnx");
        var e = Assert.Throws<ModelFolderException>(() => DiffusersModelFolder.Open(_root.FullName));
        Assert.Contains("missing: tokenizer, text_encoder_2/model.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("found components: text_encoder, transformer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NamesAnUnknownPipelineClass()
    {
        Write("model_index.json", """{"_class_name": "KandinskyPipeline"}""");
        var e = Assert.Throws<ModelFolderException>(() => DiffusersModelFolder.Open(_root.FullName));
        Assert.Contains("KandinskyPipeline", e.Message, StringComparison.Ordinal);
        Assert.Contains("FluxPipeline", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaysAFolderWithoutModelIndexIsNotADiffusersLayout()
    {
        Touch("model.safetensors");
        var e = Assert.Throws<ModelFolderException>(() => DiffusersModelFolder.Open(_root.FullName));
        Assert.Contains("model_index.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.safetensors", e.Message, StringComparison.Ordinal);
    }

    private void Write(string relative, string content)
    {
        string path = Path.Combine(_root.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private void Touch(params string[] relatives)
    {
        foreach (string r in relatives) Write(r, string.Empty);
    }
}
