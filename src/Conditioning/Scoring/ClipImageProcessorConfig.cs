using System.Globalization;
using System.Text.Json;

namespace Conditioning.Scoring;

/// <summary>
/// The settings of a Hugging Face <c>CLIPImageProcessor</c>, as read from <c>preprocessor_config.json</c>: resize,
/// centre crop, rescale, normalise and RGB conversion. Drives <see cref="ClipImagePreprocessor"/>.
/// </summary>
/// <remarks>
/// Immutable and thread-safe. The defaults are those of <c>CLIPImageProcessor()</c> (OpenAI CLIP ViT: shortest edge
/// 224, bicubic, 224×224 crop, OpenAI mean/std).
/// </remarks>
public sealed record ClipImageProcessorConfig
{
    /// <summary>OpenAI CLIP's per-channel mean (RGB), transformers' <c>OPENAI_CLIP_MEAN</c>.</summary>
    public static IReadOnlyList<float> OpenAIClipMean { get; } = [0.48145466f, 0.4578275f, 0.40821073f];

    /// <summary>OpenAI CLIP's per-channel standard deviation (RGB), transformers' <c>OPENAI_CLIP_STD</c>.</summary>
    public static IReadOnlyList<float> OpenAIClipStd { get; } = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>Whether to resize (<c>do_resize</c>).</summary>
    public bool DoResize { get; init; } = true;

    /// <summary>
    /// The target length of the shorter side in pixels (<c>size.shortest_edge</c>, or a bare integer <c>size</c>); the
    /// longer side becomes <c>int(ShortestEdge × long / short)</c>, as transformers computes it. Ignored when
    /// <see cref="ResizeHeight"/> and <see cref="ResizeWidth"/> are set.
    /// </summary>
    public int? ShortestEdge { get; init; } = 224;

    /// <summary>An exact resize height in pixels (<c>size.height</c>), used with <see cref="ResizeWidth"/> instead of <see cref="ShortestEdge"/>.</summary>
    public int? ResizeHeight { get; init; }

    /// <summary>An exact resize width in pixels (<c>size.width</c>), used with <see cref="ResizeHeight"/> instead of <see cref="ShortestEdge"/>.</summary>
    public int? ResizeWidth { get; init; }

    /// <summary>The PIL resampling filter (<c>resample</c>): 0 nearest, 1 Lanczos, 2 bilinear, 3 bicubic, 4 box, 5 Hamming.</summary>
    public int Resample { get; init; } = 3;

    /// <summary>Whether to centre-crop after resizing (<c>do_center_crop</c>).</summary>
    public bool DoCenterCrop { get; init; } = true;

    /// <summary>The crop height in pixels (<c>crop_size.height</c>, or a bare integer <c>crop_size</c>).</summary>
    public int CropHeight { get; init; } = 224;

    /// <summary>The crop width in pixels (<c>crop_size.width</c>, or a bare integer <c>crop_size</c>).</summary>
    public int CropWidth { get; init; } = 224;

    /// <summary>Whether to multiply the 0–255 values by <see cref="RescaleFactor"/> (<c>do_rescale</c>).</summary>
    public bool DoRescale { get; init; } = true;

    /// <summary>The rescale factor (<c>rescale_factor</c>), normally 1/255.</summary>
    public double RescaleFactor { get; init; } = 1.0 / 255;

    /// <summary>Whether to subtract <see cref="ImageMean"/> and divide by <see cref="ImageStd"/> (<c>do_normalize</c>).</summary>
    public bool DoNormalize { get; init; } = true;

    /// <summary>The per-channel mean, R, G, B (<c>image_mean</c>).</summary>
    public IReadOnlyList<float> ImageMean { get; init; } = OpenAIClipMean;

    /// <summary>The per-channel standard deviation, R, G, B (<c>image_std</c>).</summary>
    public IReadOnlyList<float> ImageStd { get; init; } = OpenAIClipStd;

    /// <summary>Whether to convert images to RGB first (<c>do_convert_rgb</c>); decoding to RGB always happens, so this is informational.</summary>
    public bool DoConvertRgb { get; init; } = true;

    /// <summary>Reads a <c>preprocessor_config.json</c>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The settings; keys that are absent keep the <c>CLIPImageProcessor</c> defaults.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not JSON or a value has the wrong type or range; the message names the file and key.</exception>
    public static ClipImageProcessorConfig FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"The preprocessor config '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the JSON text of a <c>preprocessor_config.json</c>.</summary>
    /// <param name="json">The JSON object.</param>
    /// <returns>The settings; keys that are absent keep the <c>CLIPImageProcessor</c> defaults.</returns>
    /// <exception cref="InvalidDataException">The text is not a JSON object or a value has the wrong type or range.</exception>
    public static ClipImageProcessorConfig FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(json, "preprocessor config");
    }

    /// <summary>Checks that the settings can be applied.</summary>
    /// <exception cref="InvalidDataException">A size is not positive, the mean/std do not have 3 entries, a std is 0, or <see cref="Resample"/> is unsupported.</exception>
    public void Validate() => ValidateFor("preprocessor config");

    private void ValidateFor(string source)
    {
        if (DoResize)
        {
            bool exact = ResizeHeight is not null || ResizeWidth is not null;
            if (exact && (ResizeHeight is not > 0 || ResizeWidth is not > 0)) throw Bad(source, "size", "size.height and size.width must both be positive");
            if (!exact && ShortestEdge is not > 0) throw Bad(source, "size", "size.shortest_edge must be a positive integer");
            if (Resample is < 0 or > 5) throw Bad(source, "resample", $"resample {Resample} is not a PIL filter; use 0 (nearest), 1 (Lanczos), 2 (bilinear), 3 (bicubic), 4 (box) or 5 (Hamming)");
        }

        if (DoCenterCrop && (CropHeight <= 0 || CropWidth <= 0)) throw Bad(source, "crop_size", "crop_size.height and crop_size.width must be positive");
        if (DoNormalize)
        {
            if (ImageMean is not { Count: 3 } || ImageStd is not { Count: 3 }) throw Bad(source, "image_mean", "image_mean and image_std must hold 3 values (R, G, B)");
            if (ImageStd.Any(s => s == 0 || !float.IsFinite(s))) throw Bad(source, "image_std", "image_std values must be finite and non-zero");
        }
    }

    private static ClipImageProcessorConfig Parse(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}' is not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"'{source}' must hold a JSON object.");
            var config = new ClipImageProcessorConfig();
            try
            {
                config = config with
                {
                    DoResize = Bool(root, "do_resize", config.DoResize),
                    Resample = Int(root, "resample", config.Resample),
                    DoCenterCrop = Bool(root, "do_center_crop", config.DoCenterCrop),
                    DoRescale = Bool(root, "do_rescale", config.DoRescale),
                    RescaleFactor = root.TryGetProperty("rescale_factor", out JsonElement rf) ? rf.GetDouble() : config.RescaleFactor,
                    DoNormalize = Bool(root, "do_normalize", config.DoNormalize),
                    ImageMean = Floats(root, "image_mean", config.ImageMean),
                    ImageStd = Floats(root, "image_std", config.ImageStd),
                    DoConvertRgb = Bool(root, "do_convert_rgb", config.DoConvertRgb),
                };
                if (root.TryGetProperty("size", out JsonElement size))
                {
                    if (size.ValueKind == JsonValueKind.Number)
                    {
                        config = config with { ShortestEdge = size.GetInt32() };
                    }
                    else if (size.TryGetProperty("shortest_edge", out JsonElement se))
                    {
                        config = config with { ShortestEdge = se.GetInt32() };
                    }
                    else if (size.TryGetProperty("height", out JsonElement h) && size.TryGetProperty("width", out JsonElement w))
                    {
                        config = config with { ShortestEdge = null, ResizeHeight = h.GetInt32(), ResizeWidth = w.GetInt32() };
                    }
                    else
                    {
                        throw Bad(source, "size", "size must be an integer or hold shortest_edge, or height and width");
                    }
                }

                if (root.TryGetProperty("crop_size", out JsonElement crop))
                {
                    config = crop.ValueKind == JsonValueKind.Number
                        ? config with { CropHeight = crop.GetInt32(), CropWidth = crop.GetInt32() }
                        : config with { CropHeight = crop.GetProperty("height").GetInt32(), CropWidth = crop.GetProperty("width").GetInt32() };
                }
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException)
            {
                throw new InvalidDataException($"'{source}' has a value of the wrong type: {e.Message}", e);
            }

            config.ValidateFor(source);
            return config;
        }
    }

    private static bool Bool(JsonElement root, string name, bool fallback) =>
        root.TryGetProperty(name, out JsonElement e) ? e.GetBoolean() : fallback;

    private static int Int(JsonElement root, string name, int fallback) =>
        root.TryGetProperty(name, out JsonElement e) ? e.GetInt32() : fallback;

    private static float[] Floats(JsonElement root, string name, IReadOnlyList<float> fallback) =>
        root.TryGetProperty(name, out JsonElement e)
            ? e.ValueKind == JsonValueKind.Number ? [e.GetSingle(), e.GetSingle(), e.GetSingle()] : [.. e.EnumerateArray().Select(v => v.GetSingle())]
            : [.. fallback];

    private static InvalidDataException Bad(string source, string key, string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"'{source}': {what} (key '{key}')."));
}
