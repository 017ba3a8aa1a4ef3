using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Conditioning.Pipelines.Images;

/// <summary>
/// A generated RGB image plus the parameters that made it. Saved as PNG with the parameters in a <c>parameters</c>
/// text chunk in A1111's format, so tools that read A1111 metadata show the prompt, seed and settings.
/// </summary>
/// <remarks>Owns its ImageSharp image: dispose it.</remarks>
public sealed class GeneratedImage : IDisposable
{
    /// <summary>Wraps <paramref name="image"/>.</summary>
    public GeneratedImage(Image<Rgb24> image, GenerationParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(parameters);
        Image = image;
        Parameters = parameters;
    }

    /// <summary>The pixels.</summary>
    public Image<Rgb24> Image { get; }

    /// <summary>What made the image.</summary>
    public GenerationParameters Parameters { get; }

    /// <summary>
    /// Converts a decoded tensor [1, 3, H, W] in [−1, 1] to 8-bit RGB as diffusers does:
    /// <c>round(clamp(x/2 + 0.5, 0, 1) · 255)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not [1, 3, H, W].</exception>
    public static Image<Rgb24> FromTensor(ReadOnlySpan<float> pixels, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length != 4 || shape[0] != 1 || shape[1] != 3) throw new ArgumentException($"expected a [1, 3, H, W] image tensor, got [{string.Join(", ", shape)}]");
        int h = shape[2], w = shape[3], plane = h * w;
        if (pixels.Length != 3 * plane) throw new ArgumentException($"expected {3 * plane} values, got {pixels.Length}");
        var image = new Image<Rgb24>(w, h);
        float[] data = pixels.ToArray();
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                {
                    int i = (y * w) + x;
                    row[x] = new Rgb24(ToByte(data[i]), ToByte(data[plane + i]), ToByte(data[(2 * plane) + i]));
                }
            }
        });
        return image;
    }

    /// <summary>Writes the image as PNG with the <c>parameters</c> text chunk.</summary>
    public async Task SavePngAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        PngMetadata png = Image.Metadata.GetPngMetadata();
        png.TextData.Clear();
        png.TextData.Add(new PngTextData("parameters", Parameters.ToA1111Text(), string.Empty, string.Empty));
        await Image.SaveAsPngAsync(stream, new PngEncoder(), cancellationToken);
    }

    /// <summary>Writes the image as a PNG file with the <c>parameters</c> text chunk, creating the file's folder if needed.</summary>
    public async Task SavePngAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        await using FileStream file = File.Create(path);
        await SavePngAsync(file, cancellationToken);
    }

    /// <inheritdoc/>
    public void Dispose() => Image.Dispose();

    private static byte ToByte(float v) => (byte)MathF.Round(Math.Clamp((v / 2) + 0.5f, 0f, 1f) * 255f);
}
