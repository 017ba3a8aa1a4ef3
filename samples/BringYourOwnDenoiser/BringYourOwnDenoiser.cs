using Conditioning.Conditioners;
using Conditioning.Onnx;
using Conditioning.Pipelines.Images;
using Conditioning.Pipelines.Random;
using Conditioning.Pipelines.Schedulers;
using Conditioning.Pipelines.Vae;
using Conditioning.Prompts;

namespace Samples;

/// <summary>
/// Takes only the conditioning from the library (weighted prompt → prompt_embeds) and runs the application's own
/// Euler loop with classifier-free guidance. Swap <see cref="OwnDenoiser"/> for whatever network the app already has.
/// </summary>
public static class BringYourOwnDenoiser
{
    public static async Task<int> RunAsync(string[] args)
    {
        string model = args.Length > 0 ? args[0] : "models/tiny-sd";
        string output = args.Length > 1 ? args[1] : "own-loop.png";
        DiffusersModelFolder folder = DiffusersModelFolder.Open(model);

        // 1. The seam: a weighted prompt in, the tensors a UNet consumes out.
        using IPromptConditioner conditioner = PromptConditioner.FromFolder(folder);
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest
        {
            Prompt = "a (blue:1.4) square at the top, black background",
            NegativePrompt = "red",
            Dialect = PromptDialect.A1111,
        });
        ModelTensor<float> cond = c.Positive.Parts[0].At(0).Sequence;   // [1, 77·k, width]
        ModelTensor<float> uncond = c.Negative!.Parts[0].At(0).Sequence;
        Console.WriteLine($"prompt_embeds {cond.Shape}, negative_prompt_embeds {uncond.Shape}");

        // 2. The app's own loop: Euler steps written out by hand, guidance 7.
        using var unet = new OwnDenoiser(OnnxModel.Load(folder.ModelPath("unet")));
        var scheduler = new EulerDiscreteScheduler(SchedulerConfig.FromFile(Path.Combine(folder.ComponentFolder("scheduler"), "scheduler_config.json")));
        scheduler.SetTimesteps(20);
        int channels = folder.Vae.LatentChannels, side = unet.LatentSide;
        var latents = new float[channels * side * side];
        new TorchCpuRandom(1).FillStandardNormal(latents);
        for (int i = 0; i < latents.Length; i++) latents[i] *= scheduler.InitNoiseSigma;

        var scaled = new float[latents.Length];
        for (int step = 0; step < scheduler.Timesteps.Count; step++)
        {
            scheduler.ScaleModelInput(latents, step, scaled);
            float[] epsUncond = unet.Predict(scaled, side, scheduler.Timesteps[step], uncond);
            float[] epsCond = unet.Predict(scaled, side, scheduler.Timesteps[step], cond);
            var guided = new float[latents.Length];
            for (int i = 0; i < guided.Length; i++) guided[i] = epsUncond[i] + (7f * (epsCond[i] - epsUncond[i]));
            scheduler.Step(guided, step, latents);
        }

        // 3. Decode with the library's VAE wrapper (or the app's own).
        for (int i = 0; i < latents.Length; i++) latents[i] /= (float)folder.Vae.ScalingFactor;
        using var vae = OnnxVaeDecoder.Load(folder.ModelPath("vae_decoder"));
        (float[] pixels, int[] shape) = await vae.DecodeAsync(latents, [1, channels, side, side], CancellationToken.None);
        using var image = new GeneratedImage(GeneratedImage.FromTensor(pixels, shape), new GenerationParameters { Prompt = "own loop", Steps = 20, Seed = 1 });
        await image.SavePngAsync(output);
        Console.WriteLine($"wrote {output}");
        return 0;
    }

    /// <summary>Stands in for the application's own UNet code: plain ONNX Runtime calls through IOnnxModel.</summary>
    private sealed class OwnDenoiser(IOnnxModel model) : IDisposable
    {
        public int LatentSide => model.Metadata.InputsByName["sample"].Dimensions[2] ?? 64;

        public float[] Predict(float[] latents, int side, float timestep, ModelTensor<float> embeddings)
        {
            int channels = latents.Length / (side * side);
            var inputs = new Dictionary<string, ModelTensor>
            {
                ["sample"] = ModelTensor.Create<float>(latents, 1, channels, side, side),
                ["timestep"] = model.Metadata.InputsByName["timestep"].Rank == 0 ? ModelTensor.Scalar(timestep) : ModelTensor.Create<float>(new[] { timestep }, 1),
                ["encoder_hidden_states"] = embeddings,
            };
            return model.Run(inputs, ["out_sample"])["out_sample"].Span.ToArray();
        }

        public void Dispose() => model.Dispose();
    }
}
