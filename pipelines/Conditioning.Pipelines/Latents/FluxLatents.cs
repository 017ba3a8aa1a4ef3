namespace Conditioning.Pipelines.Latents;

/// <summary>
/// Flux's latent packing: a [B, C, h, w] latent becomes [B, (h/2)(w/2), 4C] tokens of 2×2 patches,
/// <c>packed[b, (y/2)(w/2) + x/2, 4c + 2(y%2) + x%2] = latent[b, c, y, x]</c>, with position ids
/// <c>img_ids[k] = (0, k / (w/2), k % (w/2))</c> and <c>txt_ids</c> all zeros.
/// </summary>
/// <remarks>Stateless and thread-safe.</remarks>
public static class FluxLatents
{
    /// <summary>Packs <paramref name="latent"/> [batch, channels, height, width] (row-major) into <paramref name="packed"/>.</summary>
    /// <exception cref="ArgumentException">Height or width is odd, or a span has the wrong length.</exception>
    public static void Pack(ReadOnlySpan<float> latent, int batch, int channels, int height, int width, Span<float> packed)
    {
        Check(latent.Length, packed.Length, batch, channels, height, width);
        int hw = width / 2, tokens = height / 2 * hw, features = channels * 4;
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int y = 0; y < height; y++)
                {
                    for (int x = 0; x < width; x++)
                    {
                        int token = (y / 2 * hw) + (x / 2);
                        int feature = (c * 4) + (y % 2 * 2) + (x % 2);
                        packed[(((b * tokens) + token) * features) + feature] = latent[(((((b * channels) + c) * height) + y) * width) + x];
                    }
                }
            }
        }
    }

    /// <summary>Unpacks <paramref name="packed"/> [batch, (h/2)(w/2), 4·channels] back into <paramref name="latent"/> [batch, channels, height, width].</summary>
    /// <exception cref="ArgumentException">Height or width is odd, or a span has the wrong length.</exception>
    public static void Unpack(ReadOnlySpan<float> packed, int batch, int channels, int height, int width, Span<float> latent)
    {
        Check(latent.Length, packed.Length, batch, channels, height, width);
        int hw = width / 2, tokens = height / 2 * hw, features = channels * 4;
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int y = 0; y < height; y++)
                {
                    for (int x = 0; x < width; x++)
                    {
                        int token = (y / 2 * hw) + (x / 2);
                        int feature = (c * 4) + (y % 2 * 2) + (x % 2);
                        latent[(((((b * channels) + c) * height) + y) * width) + x] = packed[(((b * tokens) + token) * features) + feature];
                    }
                }
            }
        }
    }

    /// <summary>The <c>img_ids</c> [(h/2)(w/2), 3] for a latent of <paramref name="height"/>×<paramref name="width"/>: (0, row, column) per token, row-major.</summary>
    public static float[] ImageIds(int height, int width)
    {
        if (height % 2 != 0 || width % 2 != 0) throw new ArgumentException($"Flux latents need even sides, got {height}×{width}");
        int rows = height / 2, cols = width / 2;
        var ids = new float[rows * cols * 3];
        for (int k = 0; k < rows * cols; k++)
        {
            ids[(k * 3) + 1] = k / cols;
            ids[(k * 3) + 2] = k % cols;
        }

        return ids;
    }

    /// <summary>Flux's latent side for an image side: 2·⌊side/16⌋ (VAE ÷8, then whole 2×2 patches).</summary>
    public static int LatentSide(int imageSide, int vaeScaleFactor = 8) => 2 * (imageSide / (vaeScaleFactor * 2));

    private static void Check(int latentLength, int packedLength, int batch, int channels, int height, int width)
    {
        if (height % 2 != 0 || width % 2 != 0) throw new ArgumentException($"Flux latents need even sides, got {height}×{width}");
        long expected = (long)batch * channels * height * width;
        if (latentLength != expected || packedLength != expected)
        {
            throw new ArgumentException($"expected {expected} elements for [{batch}, {channels}, {height}, {width}], got latent {latentLength} and packed {packedLength}");
        }
    }
}
