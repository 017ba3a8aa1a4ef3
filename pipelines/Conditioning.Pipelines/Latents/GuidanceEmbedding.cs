namespace Conditioning.Pipelines.Latents;

/// <summary>
/// The guidance-scale embedding LCM-distilled UNets take as <c>timestep_cond</c> (diffusers'
/// <c>get_guidance_scale_embedding</c>): w = g − 1, k_j = exp(−j·ln(10000)/(d/2 − 1)),
/// e = [sin(1000·w·k), cos(1000·w·k)], zero-padded by one when d is odd.
/// </summary>
public static class GuidanceEmbedding
{
    /// <summary>Computes the embedding of <paramref name="guidanceScale"/> with <paramref name="dimension"/> values (float32, as diffusers does).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is less than 4.</exception>
    public static float[] Compute(float guidanceScale, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 4);
        int half = dimension / 2;
        float w = (guidanceScale - 1f) * 1000f;
        float step = MathF.Log(10000f) / (half - 1);
        var e = new float[dimension];
        for (int j = 0; j < half; j++)
        {
            float arg = w * MathF.Exp(j * -step);
            e[j] = MathF.Sin(arg);
            e[half + j] = MathF.Cos(arg);
        }

        return e;
    }
}
