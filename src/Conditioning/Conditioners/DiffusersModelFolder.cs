using System.Globalization;
using System.Text.Json;

namespace Conditioning.Conditioners;

/// <summary>
/// A diffusers ONNX model folder (optimum's or diffusers' legacy layout): <c>model_index.json</c> naming the pipeline
/// class, and one sub-folder per component holding <c>model.onnx</c> (+ external weights) and usually a
/// <c>config.json</c>. Resolves the family, the components present, the VAE scaling and the SDXL flags, and fails
/// with expected-versus-found when the layout is not one it knows.
/// </summary>
/// <remarks>Immutable after <see cref="Open"/>; safe to share.</remarks>
public sealed class DiffusersModelFolder
{
    private static readonly Dictionary<string, ModelFamily> Classes = new(StringComparer.Ordinal)
    {
        ["StableDiffusionPipeline"] = ModelFamily.StableDiffusion,
        ["OnnxStableDiffusionPipeline"] = ModelFamily.StableDiffusion,
        ["ORTStableDiffusionPipeline"] = ModelFamily.StableDiffusion,
        ["LatentConsistencyModelPipeline"] = ModelFamily.StableDiffusion,
        ["ORTLatentConsistencyModelPipeline"] = ModelFamily.StableDiffusion,
        ["StableDiffusionXLPipeline"] = ModelFamily.StableDiffusionXL,
        ["ORTStableDiffusionXLPipeline"] = ModelFamily.StableDiffusionXL,
        ["StableDiffusion3Pipeline"] = ModelFamily.StableDiffusion3,
        ["ORTStableDiffusion3Pipeline"] = ModelFamily.StableDiffusion3,
        ["FluxPipeline"] = ModelFamily.Flux,
        ["ORTFluxPipeline"] = ModelFamily.Flux,
    };

    private readonly Dictionary<string, string> _components;

    private DiffusersModelFolder(string path, string className, ModelFamily family, Dictionary<string, string> components, JsonElement index)
    {
        Path = path;
        ClassName = className;
        Family = family;
        _components = components;
        ForceZerosForEmptyPrompt = index.TryGetProperty("force_zeros_for_empty_prompt", out JsonElement f) && f.ValueKind == JsonValueKind.True;
        Vae = ReadVaeConfig();
        NativeImageSize = ReadNativeImageSize();
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary><c>_class_name</c> from <c>model_index.json</c>.</summary>
    public string ClassName { get; }

    /// <summary>The family resolved from the class name (or given explicitly).</summary>
    public ModelFamily Family { get; }

    /// <summary>SDXL: zero (not encode) the negative conditioning when no negative prompt is given.</summary>
    public bool ForceZerosForEmptyPrompt { get; }

    /// <summary>The VAE's latent scaling, from <c>vae_decoder/config.json</c> (or the legacy defaults).</summary>
    public VaeScaling Vae { get; }

    /// <summary>
    /// The image side the model was trained at, as diffusers derives it: <c>unet/config.json</c> <c>sample_size</c> × the
    /// VAE factor, else the VAE's <c>sample_size</c>; null when neither config says.
    /// </summary>
    public int? NativeImageSize { get; }

    /// <summary>Component names present with their folders (e.g. <c>text_encoder</c> → <c>…/text_encoder</c>).</summary>
    public IReadOnlyDictionary<string, string> Components => _components;

    /// <summary>Opens a model folder, resolving the family from <c>model_index.json</c> unless <paramref name="family"/> is given.</summary>
    /// <exception cref="ModelFolderException">The folder, its index or a required component is missing, or the pipeline class is unknown.</exception>
    public static DiffusersModelFolder Open(string path, ModelFamily? family = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full)) throw new ModelFolderException(full, "the model folder does not exist");
        string indexPath = System.IO.Path.Combine(full, "model_index.json");
        if (!File.Exists(indexPath))
        {
            string found = string.Join(", ", Directory.EnumerateFileSystemEntries(full).Select(System.IO.Path.GetFileName).Order().Take(20));
            throw new ModelFolderException(full, $"expected a diffusers layout with model_index.json; found: {(found.Length == 0 ? "nothing" : found)}");
        }

        using JsonDocument doc = ReadJson(indexPath, full);
        JsonElement root = doc.RootElement;
        string className = root.TryGetProperty("_class_name", out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : string.Empty;
        ModelFamily resolved = family ?? (Classes.TryGetValue(className, out ModelFamily f) ? f
            : throw new ModelFolderException(full, $"model_index.json names the pipeline class '{className}'; expected one of {string.Join(", ", Classes.Keys)} (or pass the family explicitly)"));

        var components = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string dir in Directory.EnumerateDirectories(full)) components[System.IO.Path.GetFileName(dir)] = dir;

        string[] required = resolved switch
        {
            ModelFamily.StableDiffusion => ["text_encoder/model.onnx", "tokenizer", "unet/model.onnx", "vae_decoder/model.onnx", "scheduler/scheduler_config.json"],
            ModelFamily.StableDiffusionXL => ["text_encoder/model.onnx", "tokenizer", "text_encoder_2/model.onnx", "tokenizer_2", "unet/model.onnx", "vae_decoder/model.onnx", "scheduler/scheduler_config.json"],
            ModelFamily.StableDiffusion3 => ["text_encoder/model.onnx", "tokenizer", "text_encoder_2/model.onnx", "tokenizer_2", "transformer/model.onnx", "vae_decoder/model.onnx", "scheduler/scheduler_config.json"],
            _ => ["text_encoder/model.onnx", "tokenizer", "text_encoder_2/model.onnx", "tokenizer_2", "transformer/model.onnx", "vae_decoder/model.onnx", "scheduler/scheduler_config.json"],
        };
        string[] missing = [.. required.Where(r => !File.Exists(System.IO.Path.Combine(full, r)) && !Directory.Exists(System.IO.Path.Combine(full, r)))];
        if (missing.Length > 0)
        {
            string present = string.Join(", ", components.Keys.Order());
            throw new ModelFolderException(full, $"a {resolved} ONNX layout needs {string.Join(", ", required)}; missing: {string.Join(", ", missing)}; found components: {(present.Length == 0 ? "none" : present)}");
        }

        return new DiffusersModelFolder(full, className, resolved, components, root.Clone());
    }

    /// <summary>Whether a component folder exists (e.g. the optional <c>text_encoder_3</c> of SD3).</summary>
    public bool Has(string component) => _components.ContainsKey(component);

    /// <summary>The <c>model.onnx</c> of a component.</summary>
    /// <exception cref="ModelFolderException">The component is absent.</exception>
    public string ModelPath(string component) =>
        _components.TryGetValue(component, out string? dir) && File.Exists(System.IO.Path.Combine(dir, "model.onnx"))
            ? System.IO.Path.Combine(dir, "model.onnx")
            : throw new ModelFolderException(Path, $"expected {component}/model.onnx; found components: {string.Join(", ", _components.Keys.Order())}");

    /// <summary>The folder of a component (e.g. <c>tokenizer_2</c>).</summary>
    /// <exception cref="ModelFolderException">The component is absent.</exception>
    public string ComponentFolder(string component) =>
        _components.TryGetValue(component, out string? dir) ? dir
            : throw new ModelFolderException(Path, $"expected a {component}/ folder; found components: {string.Join(", ", _components.Keys.Order())}");

    private VaeScaling ReadVaeConfig()
    {
        foreach (string component in new[] { "vae_decoder", "vae_encoder", "vae" })
        {
            string config = System.IO.Path.Combine(Path, component, "config.json");
            if (!File.Exists(config)) continue;
            using JsonDocument doc = ReadJson(config, Path);
            JsonElement r = doc.RootElement;
            double scaling = r.TryGetProperty("scaling_factor", out JsonElement s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : DefaultScaling();
            double shift = r.TryGetProperty("shift_factor", out JsonElement sh) && sh.ValueKind == JsonValueKind.Number ? sh.GetDouble() : 0;
            int channels = r.TryGetProperty("latent_channels", out JsonElement lc) && lc.ValueKind == JsonValueKind.Number ? lc.GetInt32() : DefaultChannels();
            int scale = r.TryGetProperty("block_out_channels", out JsonElement b) && b.ValueKind == JsonValueKind.Array ? 1 << Math.Max(0, b.GetArrayLength() - 1) : 8;
            return new VaeScaling(scaling, shift, channels, scale);
        }

        // The legacy diffusers export has no VAE config; its pipeline hard-codes SD's 0.18215.
        return new VaeScaling(DefaultScaling(), 0, DefaultChannels(), 8);
    }

    private int? ReadNativeImageSize()
    {
        int? unet = SampleSize("unet");
        if (unet is { } latent) return latent * Vae.DownsampleFactor;
        return SampleSize("vae_decoder") ?? SampleSize("vae_encoder");
    }

    private int? SampleSize(string component)
    {
        string config = System.IO.Path.Combine(Path, component, "config.json");
        if (!File.Exists(config)) return null;
        using JsonDocument doc = ReadJson(config, Path);
        return doc.RootElement.TryGetProperty("sample_size", out JsonElement s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : null;
    }

    private double DefaultScaling() => Family switch
    {
        ModelFamily.StableDiffusionXL => 0.13025,
        ModelFamily.StableDiffusion3 => 1.5305,
        ModelFamily.Flux => 0.3611,
        _ => 0.18215,
    };

    private int DefaultChannels() => Family is ModelFamily.StableDiffusion3 or ModelFamily.Flux ? 16 : 4;

    private static JsonDocument ReadJson(string file, string folder)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(file));
        }
        catch (JsonException e)
        {
            throw new ModelFolderException(folder, string.Create(CultureInfo.InvariantCulture, $"'{file}' is not valid JSON: {e.Message}"), e);
        }
    }
}
