using Conditioning.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace Conditioning.Scoring;

/// <summary>
/// Turns images into CLIP's <c>pixel_values</c> exactly as transformers' <c>CLIPImageProcessor</c> does, driven by its
/// <c>preprocessor_config.json</c>: RGB, resize the shorter side to <c>shortest_edge</c> (the longer to
/// <c>int(shortest_edge × long / short)</c>; no resize when the shorter side already has that length), centre crop
/// (<c>top = (h − crop_h) // 2</c>, zero padding when the crop is larger than the image), <c>× rescale_factor</c>,
/// <c>(x − mean) / std</c>; output float32 NCHW <c>[B, 3, crop_h, crop_w]</c>.
/// </summary>
/// <remarks>
/// <para>
/// Parity: every step is bit-identical to the Python reference by default. Decoding, EXIF orientation and pixel
/// access use ImageSharp; resizing uses a port of Pillow's resampler (<see cref="ResizeImplementation.Pillow"/>), and the
/// rescale is done in float64 and cast to float32, the normalisation in float32, as numpy does. Checked on the committed
/// fixtures (tests/Conditioning.Tests/Fixtures/clip-preprocess): PNG, grayscale, palette and RGBA inputs match PIL's
/// <c>pixel_values</c> exactly. <see cref="ResizeImplementation.ImageSharp"/> instead uses ImageSharp's filters (the same
/// kernels with float intermediates), measured within 1 level of 255 (mean 0.10–0.21), i.e. 0.015 in normalised units
/// with OpenAI's std. JPEG files differ by the decoder's share: ImageSharp's chroma upsampling differs from libjpeg's
/// "fancy" upsampling by up to 17 levels on hard colour edges of 4:2:0 files (mean under 1 level).
/// </para>
/// <para>Immutable and thread-safe: one instance may preprocess many images concurrently.</para>
/// </remarks>
public sealed class ClipImagePreprocessor
{
    private readonly IResampler? _resampler;
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>Creates a preprocessor for the given settings.</summary>
    /// <param name="config">The settings.</param>
    /// <param name="resize">Which resampler to use; <see cref="ResizeImplementation.Pillow"/> (bit-identical to PIL) by default.</param>
    /// <exception cref="InvalidDataException">The settings are invalid (see <see cref="ClipImageProcessorConfig.Validate"/>).</exception>
    /// <exception cref="NotSupportedException"><see cref="ResizeImplementation.ImageSharp"/> with resample 5 (Hamming), which ImageSharp lacks.</exception>
    public ClipImagePreprocessor(ClipImageProcessorConfig config, ResizeImplementation resize = ResizeImplementation.Pillow)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Resize = resize;
        _resampler = resize == ResizeImplementation.Pillow ? null : config.Resample switch
        {
            0 => KnownResamplers.NearestNeighbor,
            1 => KnownResamplers.Lanczos3,
            2 => KnownResamplers.Triangle,
            3 => KnownResamplers.Bicubic,
            4 => KnownResamplers.Box,
            _ => throw new NotSupportedException("ImageSharp has no Hamming filter (resample 5); use ResizeImplementation.Pillow."),
        };
        _mean = [.. config.ImageMean];
        _std = [.. config.ImageStd];
    }

    /// <summary>The settings.</summary>
    public ClipImageProcessorConfig Config { get; }

    /// <summary>Which resampler resizes images.</summary>
    public ResizeImplementation Resize { get; }

    /// <summary>Reads <c>preprocessor_config.json</c> and creates a preprocessor.</summary>
    /// <param name="path">The config file, or a folder that holds <c>preprocessor_config.json</c>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    /// <param name="resize">Which resampler to use.</param>
    public static ClipImagePreprocessor FromFile(string path, ResizeImplementation resize = ResizeImplementation.Pillow)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) path = System.IO.Path.Combine(path, "preprocessor_config.json");
        return new ClipImagePreprocessor(ClipImageProcessorConfig.FromFile(path), resize);
    }

    /// <summary>The height and width of the output for an image of the given size (after resize and crop).</summary>
    /// <param name="height">The input height in pixels.</param>
    /// <param name="width">The input width in pixels.</param>
    public (int Height, int Width) OutputSize(int height, int width)
    {
        if (Config.DoCenterCrop) return (Config.CropHeight, Config.CropWidth);
        return Config.DoResize ? ResizedSize(height, width) : (height, width);
    }

    /// <summary>
    /// The size transformers resizes an image of the given size to: the shorter side becomes <c>shortest_edge</c> and
    /// the longer <c>int(shortest_edge × long / short)</c> (truncated), or exactly <c>size.height × size.width</c>.
    /// </summary>
    /// <param name="height">The input height in pixels.</param>
    /// <param name="width">The input width in pixels.</param>
    public (int Height, int Width) ResizedSize(int height, int width)
    {
        if (Config.ResizeHeight is int h && Config.ResizeWidth is int w) return (h, w);
        int edge = Config.ShortestEdge ?? throw new InvalidOperationException("The config has neither size.shortest_edge nor size.height/width.");
        (int shortSide, int longSide) = width <= height ? (width, height) : (height, width);
        if (shortSide == edge) return (height, width);
        int newLong = (int)((double)edge * longSide / shortSide);
        return width <= height ? (newLong, edge) : (edge, newLong);
    }

    /// <summary>Preprocesses one image into <c>[1, 3, H, W]</c>.</summary>
    /// <param name="image">Any pixel format; converted to RGB (alpha dropped) when it is not <see cref="Rgb24"/>.</param>
    /// <returns>A float32 NCHW tensor.</returns>
    /// <exception cref="InvalidOperationException"><see cref="ClipImageProcessorConfig.DoCenterCrop"/> is off and the result's size is not fixed (use batches of one).</exception>
    public ModelTensor<float> Preprocess(Image image) => Preprocess([image]);

    /// <summary>Preprocesses a batch into one <c>[B, 3, H, W]</c> tensor.</summary>
    /// <param name="images">The images (any pixel format).</param>
    /// <returns>A float32 NCHW tensor; image <c>b</c> occupies <c>[b, :, :, :]</c>.</returns>
    /// <exception cref="ArgumentException">The batch is empty.</exception>
    /// <exception cref="InvalidOperationException">The images would come out at different sizes (only possible with <see cref="ClipImageProcessorConfig.DoCenterCrop"/> off).</exception>
    public ModelTensor<float> Preprocess(IReadOnlyList<Image> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("The batch holds no images.", nameof(images));
        (int h, int w) = OutputSize(images[0].Height, images[0].Width);
        for (int b = 1; b < images.Count; b++)
        {
            if (OutputSize(images[b].Height, images[b].Width) != (h, w))
            {
                throw new InvalidOperationException("Without a centre crop the images come out at different sizes and cannot share a batch; preprocess them one at a time.");
            }
        }

        int plane = 3 * h * w;
        var data = new float[images.Count * plane];
        if (images.Count == 1)
        {
            PreprocessInto(images[0], data);
        }
        else
        {
            Parallel.For(0, images.Count, b => PreprocessInto(images[b], data.AsSpan(b * plane, plane)));
        }

        return new ModelTensor<float>(data, images.Count, 3, h, w);
    }

    /// <summary>Loads image files (see <see cref="ImageLoader"/>) and preprocesses them into one <c>[B, 3, H, W]</c> tensor.</summary>
    /// <param name="paths">The files.</param>
    /// <param name="options">Load limits; defaults when <see langword="null"/>.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="ImageLoadException">A file is not a usable image; the exception names it.</exception>
    public ModelTensor<float> PreprocessFiles(IReadOnlyList<string> paths, ImageLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var images = new List<Image>(paths.Count);
        try
        {
            foreach (string path in paths) images.Add(ImageLoader.Load(path, options));
            return Preprocess(images);
        }
        finally
        {
            foreach (Image image in images) image.Dispose();
        }
    }

    /// <summary>Preprocesses one image into <paramref name="destination"/> (CHW, <c>3 × H × W</c> floats).</summary>
    /// <param name="image">Any pixel format.</param>
    /// <param name="destination">Receives the channel planes R, G, B, each row-major.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not have exactly <c>3 × H × W</c> elements for this image's output size.</exception>
    public void PreprocessInto(Image image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        (int outH, int outW) = OutputSize(image.Height, image.Width);
        if (destination.Length != 3 * outH * outW)
        {
            throw new ArgumentException($"The destination holds {destination.Length} floats; this image needs 3 × {outH} × {outW} = {3 * outH * outW}.", nameof(destination));
        }

        Image<Rgb24>? converted = image as Image<Rgb24>;
        Image<Rgb24>? owned = null;
        try
        {
            converted ??= owned = image.CloneAs<Rgb24>();
            if (Config.DoResize && _resampler is null)
            {
                (int rh, int rw) = ResizedSize(converted.Height, converted.Width);
                var source = new Rgb24[converted.Width * converted.Height];
                converted.CopyPixelDataTo(source);
                Rgb24[] resized = rh == converted.Height && rw == converted.Width
                    ? source
                    : PillowResampler.Resize(source, converted.Width, converted.Height, rw, rh, Config.Resample);
                WritePlanes(resized, rh, rw, outH, outW, destination);
                return;
            }

            if (Config.DoResize)
            {
                (int rh, int rw) = ResizedSize(converted.Height, converted.Width);
                if (rh != converted.Height || rw != converted.Width)
                {
                    Image<Rgb24> resized = converted.Clone(c => c.Resize(new ResizeOptions
                    {
                        Size = new Size(rw, rh),
                        Mode = ResizeMode.Stretch,
                        Sampler = _resampler,
                        Compand = false,
                    }));
                    owned?.Dispose();
                    converted = owned = resized;
                }
            }

            var pixels = new Rgb24[converted.Width * converted.Height];
            converted.CopyPixelDataTo(pixels);
            WritePlanes(pixels, converted.Height, converted.Width, outH, outW, destination);
        }
        finally
        {
            owned?.Dispose();
        }
    }

    // Centre crop (with transformers' zero padding), rescale, normalise, HWC -> CHW.
    private void WritePlanes(ReadOnlySpan<Rgb24> pixels, int h, int w, int outH, int outW, Span<float> destination)
    {
        int top = 0, left = 0;
        if (Config.DoCenterCrop)
        {
            // Python's floor division: negative when the crop is larger than the image (the padded case).
            top = FloorDiv2(h - outH);
            left = FloorDiv2(w - outW);
        }

        Span<float> zero = stackalloc float[3];
        for (int c = 0; c < 3; c++) zero[c] = Transform(0, c);
        int plane = outH * outW;
        for (int y = 0; y < outH; y++)
        {
            int sy = y + top;
            for (int x = 0; x < outW; x++)
            {
                int sx = x + left;
                int o = (y * outW) + x;
                if ((uint)sy >= (uint)h || (uint)sx >= (uint)w)
                {
                    destination[o] = zero[0];
                    destination[plane + o] = zero[1];
                    destination[(2 * plane) + o] = zero[2];
                    continue;
                }

                Rgb24 p = pixels[(sy * w) + sx];
                destination[o] = Transform(p.R, 0);
                destination[plane + o] = Transform(p.G, 1);
                destination[(2 * plane) + o] = Transform(p.B, 2);
            }
        }
    }

    private float Transform(byte value, int channel)
    {
        // numpy: (uint8 -> float64) * rescale_factor -> float32, then (x - mean_f32) / std_f32 in float32.
        float x = Config.DoRescale ? (float)(value * Config.RescaleFactor) : value;
        return Config.DoNormalize ? (x - _mean[channel]) / _std[channel] : x;
    }

    private static int FloorDiv2(int value) => value >= 0 ? value / 2 : -((-value + 1) / 2);
}
