using System.Numerics.Tensors;
using Conditioning.Conditioners;
using Conditioning.Pipelines.Denoisers;
using Conditioning.Pipelines.Schedulers;

namespace Conditioning.Pipelines.Generation;

/// <summary>
/// The sampling loop shared by every family: for each timestep, scale the input, evaluate the denoiser on the
/// unconditional and every conditional (A1111 <c>AND</c>) embedding — batched up to the model's limit — combine them
/// with classifier-free guidance (<c>uncond + Σ wₖ·g·(condₖ − uncond)</c>, composable diffusion), optionally rescale,
/// and step the scheduler. Prompt-editing schedules are looked up per step. Latents are checked for NaN/∞ every step.
/// </summary>
/// <remarks>Stateless; each <see cref="RunAsync"/> uses the scheduler it is given, which must not be shared concurrently.</remarks>
public static class DenoisingLoop
{
    /// <summary>Denoises <paramref name="latents"/> in place.</summary>
    /// <param name="latents">Initial latents (already multiplied by the scheduler's init noise sigma), row-major in <paramref name="shape"/>.</param>
    /// <param name="shape">Latent shape with batch 1: [1, C, h, w] or packed [1, N, F].</param>
    /// <param name="scheduler">A scheduler on which SetTimesteps has been called.</param>
    /// <param name="denoiser">The model.</param>
    /// <param name="conditioning">Positive (and negative) conditioning.</param>
    /// <param name="guidanceScale">CFG scale; guidance runs when it is above 1 and a negative exists.</param>
    /// <param name="guidanceRescale">φ of diffusers' guidance_rescale; 0 disables.</param>
    /// <param name="distilledGuidance">Value for a model's <c>guidance</c> input, if any.</param>
    /// <param name="noise">Noise for ancestral schedulers.</param>
    /// <param name="timestepScale">Multiplier from scheduler timesteps to what the denoiser takes (1, or 1/1000 for Flux σ).</param>
    /// <param name="progress">Receives a report after each step.</param>
    /// <param name="cancellationToken">Checked before each step and passed into every model call.</param>
    /// <exception cref="NonFiniteLatentsException">The latents became NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static async Task RunAsync(
        float[] latents,
        int[] shape,
        IScheduler scheduler,
        IDenoiser denoiser,
        DiffusionConditioning conditioning,
        float guidanceScale,
        float guidanceRescale = 0,
        float? distilledGuidance = null,
        INoiseSource? noise = null,
        float timestepScale = 1,
        IProgress<GenerationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(latents);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(denoiser);
        ArgumentNullException.ThrowIfNull(conditioning);
        int count = scheduler.Timesteps.Count;
        bool cfg = guidanceScale > 1 && conditioning.Negative is not null;
        var scaled = new float[latents.Length];
        var combined = new float[latents.Length];
        for (int i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            float t = scheduler.Timesteps[i];
            scheduler.ScaleModelInput(latents, i, scaled);

            IReadOnlyList<ConditioningPart> parts = conditioning.Positive.Parts;
            var items = new List<PromptEmbeddings>(parts.Count + 1);
            if (cfg) items.Add(conditioning.Negative!.Parts[0].At(i));
            items.AddRange(parts.Select(p => p.At(i)));
            float[][] outputs = await PredictAllAsync(denoiser, scaled, shape, t * timestepScale, items, distilledGuidance, i + 1, cancellationToken);

            if (cfg)
            {
                float[] uncond = outputs[0];
                uncond.CopyTo(combined, 0);
                for (int k = 0; k < parts.Count; k++)
                {
                    float w = (float)(parts[k].Weight * guidanceScale);
                    float[] cond = outputs[k + 1];
                    for (int j = 0; j < combined.Length; j++) combined[j] += w * (cond[j] - uncond[j]);
                }

                if (guidanceRescale > 0) Rescale(combined, parts.Count == 1 ? outputs[1] : Average(outputs.Skip(1)), guidanceRescale);
            }
            else if (parts.Count == 1)
            {
                outputs[0].CopyTo(combined, 0);
            }
            else
            {
                // Without an unconditional pass, AND parts are a weighted average of predictions.
                Array.Clear(combined);
                double total = parts.Sum(p => p.Weight);
                for (int k = 0; k < parts.Count; k++) TensorPrimitives.MultiplyAdd(outputs[k], (float)(parts[k].Weight / total), combined, combined);
            }

            scheduler.Step(combined, i, latents, noise);
            if (!TensorPrimitives.IsFiniteAll<float>(latents)) throw new NonFiniteLatentsException(i + 1, "after the scheduler step");
            progress?.Report(new GenerationProgress(i + 1, count, t));
        }
    }

    private static async Task<float[][]> PredictAllAsync(IDenoiser denoiser, float[] scaled, int[] shape, float timestep, List<PromptEmbeddings> items, float? guidance, int step, CancellationToken cancellationToken)
    {
        int per = scaled.Length;
        int batch = Math.Max(1, denoiser.MaxBatchSize);
        var results = new float[items.Count][];
        for (int start = 0; start < items.Count; start += batch)
        {
            int n = Math.Min(batch, items.Count - start);
            var input = new float[per * n];
            for (int b = 0; b < n; b++) scaled.CopyTo(input, b * per);
            int[] batchShape = [n, .. shape[1..]];
            float[] output = await denoiser.PredictAsync(new DenoiserInput(input, batchShape, timestep, items.GetRange(start, n), guidance), cancellationToken);
            if (output.Length != input.Length) throw new InvalidOperationException($"the denoiser returned {output.Length} values for an input of {input.Length}");
            if (!TensorPrimitives.IsFiniteAll<float>(output)) throw new NonFiniteLatentsException(step, "in the denoiser output");
            for (int b = 0; b < n; b++) results[start + b] = output.AsSpan(b * per, per).ToArray();
        }

        return results;
    }

    private static float[] Average(IEnumerable<float[]> outputs)
    {
        float[][] all = [.. outputs];
        var mean = new float[all[0].Length];
        foreach (float[] o in all) TensorPrimitives.Add(mean, o, mean);
        TensorPrimitives.Divide(mean, all.Length, mean);
        return mean;
    }

    /// <summary>diffusers' rescale_noise_cfg with torch's unbiased std over all elements.</summary>
    private static void Rescale(float[] cfg, float[] text, float phi)
    {
        double stdText = Std(text), stdCfg = Std(cfg);
        if (stdCfg == 0) return;
        float factor = (float)((phi * stdText / stdCfg) + (1 - phi));
        TensorPrimitives.Multiply(cfg, factor, cfg);
    }

    private static double Std(float[] x)
    {
        double mean = x.Average(v => (double)v);
        return Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1));
    }
}
