using SixLabors.ImageSharp.PixelFormats;

namespace Conditioning.Scoring;

/// <summary>
/// A port of Pillow's <c>Image.resize</c> for 8-bit RGB (libImaging/Resample.c, <c>reducing_gap=None</c>): separable
/// convolution with the filter stretched by the scale when shrinking, coefficients normalised per output pixel and
/// rounded to 22-bit fixed point, a horizontal pass into an 8-bit intermediate image over only the rows the vertical
/// pass needs, then the vertical pass — so the output is bit-identical to PIL's. NEAREST follows Pillow's affine
/// scaling (the source coordinate starts at scale / 2 and advances by adding the scale).
/// </summary>
/// <remarks>Stateless and thread-safe.</remarks>
internal static class PillowResampler
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes <paramref name="source"/> (row-major RGB, <paramref name="width"/> × <paramref name="height"/>).</summary>
    /// <param name="source">The pixels.</param>
    /// <param name="width">Source width.</param>
    /// <param name="height">Source height.</param>
    /// <param name="outWidth">Target width.</param>
    /// <param name="outHeight">Target height.</param>
    /// <param name="filter">PIL's resample constant: 0 nearest, 1 Lanczos, 2 bilinear, 3 bicubic, 4 box, 5 Hamming.</param>
    /// <returns>The resized pixels, row-major.</returns>
    public static Rgb24[] Resize(ReadOnlySpan<Rgb24> source, int width, int height, int outWidth, int outHeight, int filter)
    {
        if (filter == 0) return Nearest(source, width, height, outWidth, outHeight);
        (Func<double, double> kernel, double support) = Filter(filter);
        bool horizontal = outWidth != width;
        bool vertical = outHeight != height;
        (int[] boundsX, int[] kernelX, int sizeX) = Coefficients(width, outWidth, kernel, support);
        (int[] boundsY, int[] kernelY, int sizeY) = Coefficients(height, outHeight, kernel, support);

        Rgb24[] current = source.ToArray();
        int currentHeight = height;
        if (horizontal)
        {
            // Only the rows the vertical pass reads are resampled horizontally.
            int first = boundsY[0];
            int last = boundsY[(outHeight * 2) - 2] + boundsY[(outHeight * 2) - 1];
            for (int i = 0; i < outHeight; i++) boundsY[i * 2] -= first;
            int rows = last - first;
            var temp = new Rgb24[outWidth * rows];
            for (int y = 0; y < rows; y++)
            {
                int inRow = (y + first) * width;
                for (int x = 0; x < outWidth; x++)
                {
                    int min = boundsX[x * 2], count = boundsX[(x * 2) + 1], k = x * sizeX;
                    int r = 1 << (PrecisionBits - 1), g = r, b = r;
                    for (int i = 0; i < count; i++)
                    {
                        Rgb24 p = current[inRow + min + i];
                        int w = kernelX[k + i];
                        r += p.R * w;
                        g += p.G * w;
                        b += p.B * w;
                    }

                    temp[(y * outWidth) + x] = new Rgb24(Clip8(r), Clip8(g), Clip8(b));
                }
            }

            current = temp;
            currentHeight = rows;
            width = outWidth;
        }

        if (vertical)
        {
            var result = new Rgb24[width * outHeight];
            for (int y = 0; y < outHeight; y++)
            {
                int min = boundsY[y * 2], count = boundsY[(y * 2) + 1], k = y * sizeY;
                for (int x = 0; x < width; x++)
                {
                    int r = 1 << (PrecisionBits - 1), g = r, b = r;
                    for (int i = 0; i < count; i++)
                    {
                        Rgb24 p = current[((min + i) * width) + x];
                        int w = kernelY[k + i];
                        r += p.R * w;
                        g += p.G * w;
                        b += p.B * w;
                    }

                    result[(y * width) + x] = new Rgb24(Clip8(r), Clip8(g), Clip8(b));
                }
            }

            current = result;
            currentHeight = outHeight;
        }

        System.Diagnostics.Debug.Assert(currentHeight == outHeight, "the passes produce the requested height");
        return current;
    }

    // Resample.c precompute_coeffs + normalize_coeffs_8bpc (box = the whole image).
    private static (int[] Bounds, int[] Kernel, int Size) Coefficients(int inSize, int outSize, Func<double, double> filter, double filterSupport)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = filterSupport * filterScale;
        int size = ((int)Math.Ceiling(support) * 2) + 1;
        var bounds = new int[outSize * 2];
        var kernel = new int[outSize * size];
        var weights = new double[size];
        double ss = 1.0 / filterScale;
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            double total = 0;
            for (int x = 0; x < xmax; x++)
            {
                double w = filter((x + xmin - center + 0.5) * ss);
                weights[x] = w;
                total += w;
            }

            for (int x = 0; x < xmax; x++)
            {
                double w = total != 0 ? weights[x] / total : weights[x];
                kernel[(xx * size) + x] = w < 0 ? (int)(-0.5 + (w * (1 << PrecisionBits))) : (int)(0.5 + (w * (1 << PrecisionBits)));
            }

            bounds[xx * 2] = xmin;
            bounds[(xx * 2) + 1] = xmax;
        }

        return (bounds, kernel, size);
    }

    private static byte Clip8(int value)
    {
        int v = value >> PrecisionBits;
        return v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
    }

    // Pillow's ImagingScaleAffine: the source coordinate starts at scale / 2 and is advanced by adding the scale (not
    // recomputed per pixel), which rounds differently from (x + 0.5) × scale for some sizes.
    private static Rgb24[] Nearest(ReadOnlySpan<Rgb24> source, int width, int height, int outWidth, int outHeight)
    {
        int[] xs = NearestIndices(width, outWidth);
        int[] ys = NearestIndices(height, outHeight);
        var result = new Rgb24[outWidth * outHeight];
        for (int y = 0; y < outHeight; y++)
        {
            for (int x = 0; x < outWidth; x++) result[(y * outWidth) + x] = source[(ys[y] * width) + xs[x]];
        }

        return result;
    }

    private static int[] NearestIndices(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double position = scale * 0.5;
        var indices = new int[outSize];
        for (int i = 0; i < outSize; i++)
        {
            indices[i] = Math.Clamp((int)position, 0, inSize - 1);
            position += scale;
        }

        return indices;
    }

    private static (Func<double, double> Kernel, double Support) Filter(int filter) => filter switch
    {
        1 => (Lanczos, 3.0),
        2 => (Bilinear, 1.0),
        3 => (Bicubic, 2.0),
        4 => (Box, 0.5),
        5 => (Hamming, 1.0),
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "PIL resample filters are 0–5."),
    };

    private static double Box(double x) => x > -0.5 && x <= 0.5 ? 1.0 : 0.0;

    private static double Bilinear(double x)
    {
        x = Math.Abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static double Bicubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0) return ((((a + 2.0) * x) - (a + 3.0)) * x * x) + 1;
        if (x < 2.0) return ((((x - 5) * x) + 8) * x - 4) * a;
        return 0.0;
    }

    private static double Hamming(double x)
    {
        x = Math.Abs(x);
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= Math.PI;
        return Math.Sin(x) / x * (0.54 + (0.46 * Math.Cos(x)));
    }

    private static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    private static double Lanczos(double x) => x >= -3.0 && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0;
}
