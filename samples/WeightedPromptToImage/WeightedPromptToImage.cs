using Conditioning.Pipelines.Generation;
using Conditioning.Pipelines.Images;
using Conditioning.Prompts;

namespace Samples;

/// <summary>Load a model folder, generate from an A1111-weighted prompt, save a PNG with its parameters.</summary>
public static class WeightedPromptToImage
{
    public static async Task<int> RunAsync(string[] args)
    {
        string model = args.Length > 0 ? args[0] : "models/tiny-flux";
        string output = args.Length > 1 ? args[1] : "circle.png";

        using DiffusionPipeline pipeline = DiffusionPipeline.Load(model);
        using GeneratedImage image = await pipeline.GenerateAsync(
            "a large (red:1.3) circle on the left, white background",
            negativePrompt: null,
            dialect: PromptDialect.A1111,
            options: new GenerationOptions { Seed = 7, Steps = 20 });
        await image.SavePngAsync(output);

        Console.WriteLine($"wrote {output} ({image.Image.Width}x{image.Image.Height})");
        return 0;
    }
}
