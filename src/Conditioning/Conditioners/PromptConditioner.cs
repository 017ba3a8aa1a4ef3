using Conditioning.Encoders;
using Conditioning.Onnx;

namespace Conditioning.Conditioners;

/// <summary>Creates the conditioner a diffusers ONNX model folder needs.</summary>
public static class PromptConditioner
{
    /// <summary>
    /// Opens <paramref name="modelFolder"/>, resolves its family from <c>model_index.json</c> (or uses
    /// <paramref name="family"/>), and loads that family's text encoders and tokenizers.
    /// </summary>
    /// <exception cref="ModelFolderException">The folder is not a known diffusers ONNX layout.</exception>
    /// <exception cref="ModelContractException">A text encoder does not have the contract its role needs.</exception>
    public static IPromptConditioner FromFolder(string modelFolder, ModelFamily? family = null, OnnxModelOptions? options = null, EmbeddingCache? cache = null)
    {
        DiffusersModelFolder folder = DiffusersModelFolder.Open(modelFolder, family);
        return FromFolder(folder, options, cache);
    }

    /// <summary>Loads the conditioner for an opened folder.</summary>
    public static IPromptConditioner FromFolder(DiffusersModelFolder folder, OnnxModelOptions? options = null, EmbeddingCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return folder.Family switch
        {
            ModelFamily.StableDiffusion => StableDiffusionConditioner.FromFolder(folder, options, cache),
            ModelFamily.StableDiffusionXL => StableDiffusionXLConditioner.FromFolder(folder, options, cache),
            ModelFamily.StableDiffusion3 => StableDiffusion3Conditioner.FromFolder(folder, options, cache),
            _ => FluxConditioner.FromFolder(folder, options, cache),
        };
    }
}
