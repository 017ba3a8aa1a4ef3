using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Conditioning.Onnx;
using Conditioning.Tokenizers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;

namespace Conditioning.Scoring;

/// <summary>
/// A CLIP model as two ONNX graphs — a text model (<c>input_ids</c> → <c>text_embeds</c>) and a vision model
/// (<c>pixel_values</c> → <c>image_embeds</c>), the layouts of optimum's <c>clip-text-with-projection</c> and
/// <c>CLIPVisionModelWithProjection</c> exports — with its tokenizer and image preprocessor. Produces L2-normalised
/// embeddings; <see cref="ClipScorer"/>, zero-shot classification and the search index build on it.
/// </summary>
/// <remarks>
/// Thread-safe: embedding calls may run concurrently (the ONNX models allow concurrent runs). Prompts longer than the
/// context (77 tokens for CLIP) are truncated as transformers does (<c>BOS</c> + the first 75 tokens + <c>EOS</c>) and a
/// warning is logged. Dispose only when no call is in flight.
/// </remarks>
public sealed class ClipModel : IDisposable
{
    private const int DefaultMaxBatchSize = 32;
    private static readonly string[] TextOutputs = ["text_embeds"];
    private static readonly string[] VisionOutputs = ["image_embeds"];

    private readonly IOnnxModel _text;
    private readonly IOnnxModel _vision;
    private readonly bool _ownsModels;
    private readonly ILogger _logger;
    private readonly Lazy<string> _modelId;
    private readonly int _maxBatchSize;
    private readonly int _contextLength;

    /// <summary>Creates a model over already loaded components; they stay owned by the caller (not disposed by <see cref="Dispose"/>).</summary>
    /// <param name="textModel">Feeds <c>input_ids</c> (int32 or int64, <c>[B, L]</c>) and reads <c>text_embeds</c> (<c>[B, P]</c>).</param>
    /// <param name="visionModel">Feeds <c>pixel_values</c> (float32 <c>[B, 3, H, W]</c>) and reads <c>image_embeds</c> (<c>[B, P]</c>).</param>
    /// <param name="tokenizer">The CLIP tokenizer of the text model.</param>
    /// <param name="preprocessor">The image preprocessor of the vision model.</param>
    /// <param name="options">Model id, logit scale, batch size, logger.</param>
    /// <exception cref="ModelContractException">A model does not declare the inputs/outputs above.</exception>
    public ClipModel(IOnnxModel textModel, IOnnxModel visionModel, ITextTokenizer tokenizer, ClipImagePreprocessor preprocessor, ClipModelOptions? options = null)
        : this(textModel, visionModel, tokenizer, preprocessor, options, ownsModels: false, [])
    {
    }

    private ClipModel(IOnnxModel textModel, IOnnxModel visionModel, ITextTokenizer tokenizer, ClipImagePreprocessor preprocessor, ClipModelOptions? options, bool ownsModels, string[] configFiles)
    {
        ArgumentNullException.ThrowIfNull(textModel);
        ArgumentNullException.ThrowIfNull(visionModel);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(preprocessor);
        TextContract.Validate(textModel.Metadata);
        VisionContract.Validate(visionModel.Metadata);
        options ??= new ClipModelOptions();
        _text = textModel;
        _vision = visionModel;
        _ownsModels = ownsModels;
        Tokenizer = tokenizer;
        Preprocessor = preprocessor;
        _logger = options.Logger ?? NullLogger.Instance;
        LogitScale = options.LogitScale ?? 100f;
        _maxBatchSize = options.MaxBatchSize ?? DefaultMaxBatchSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(_maxBatchSize, 1, "options.MaxBatchSize");
        int? fixedLength = textModel.Metadata.InputsByName["input_ids"].Dimensions is [_, int length] ? length : null;
        _contextLength = fixedLength ?? tokenizer.ModelMaxLength;
        string? id = options.ModelId;
        _modelId = new Lazy<string>(() => id ?? HashFiles([textModel.Metadata.ModelPath, visionModel.Metadata.ModelPath, .. configFiles]));
    }

    /// <summary>What the text model must declare: <c>input_ids</c> int32/int64 rank 2 in, <c>text_embeds</c> float rank 2 out.</summary>
    public static ModelContract TextContract { get; } = new(
        "CLIP text model with projection",
        inputs: [new TensorRequirement("input_ids", [OnnxElementType.Int32, OnnxElementType.Int64], [2])],
        outputs: [new TensorRequirement("text_embeds", [OnnxElementType.Float32, OnnxElementType.Float16], [2])]);

    /// <summary>What the vision model must declare: <c>pixel_values</c> float rank 4 in, <c>image_embeds</c> float rank 2 out.</summary>
    public static ModelContract VisionContract { get; } = new(
        "CLIP vision model with projection",
        inputs: [new TensorRequirement("pixel_values", [OnnxElementType.Float32, OnnxElementType.Float16], [4])],
        outputs: [new TensorRequirement("image_embeds", [OnnxElementType.Float32, OnnxElementType.Float16], [2])]);

    /// <summary>The tokenizer.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>The image preprocessor.</summary>
    public ClipImagePreprocessor Preprocessor { get; }

    /// <summary>The multiplier applied to cosines before a softmax, <c>exp(logit_scale)</c> (100 for OpenAI CLIP).</summary>
    public float LogitScale { get; }

    /// <summary>The number of tokens the text model reads (77 for CLIP); longer prompts are truncated.</summary>
    public int ContextLength => _contextLength;

    /// <summary>An identifier of the weights (see <see cref="ClipModelOptions.ModelId"/>); computing the default hashes the model files once.</summary>
    public string ModelId => _modelId.Value;

    /// <summary>
    /// Loads a CLIP folder: <c>text_model.onnx</c>, <c>vision_model.onnx</c>, <c>tokenizer/</c> (or the tokenizer files in
    /// the folder itself), <c>preprocessor_config.json</c>, and optionally <c>config.json</c> with a trained
    /// <c>logit_scale</c> (the log of the multiplier, as models/training/export_clip.py writes it; transformers'
    /// <c>logit_scale_init_value</c> is only the initial value and is ignored).
    /// </summary>
    /// <param name="folder">The folder, e.g. <c>models/tiny-clip</c>.</param>
    /// <param name="onnxOptions">Execution provider and threads for both models.</param>
    /// <param name="options">Overrides; <see cref="ClipModelOptions.LogitScale"/> wins over config.json.</param>
    /// <returns>The model, owning (and disposing) both sessions.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A model or the preprocessor config is missing.</exception>
    /// <exception cref="ModelLoadException">A model file cannot be loaded.</exception>
    /// <exception cref="ModelContractException">A model does not have the CLIP inputs/outputs.</exception>
    /// <exception cref="TokenizerLoadException">The tokenizer is missing or malformed.</exception>
    /// <exception cref="InvalidDataException">A JSON config is malformed.</exception>
    public static ClipModel FromFolder(string folder, OnnxModelOptions? onnxOptions = null, ClipModelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The CLIP folder '{folder}' does not exist.");
        string tokenizerFolder = Directory.Exists(Path.Combine(folder, "tokenizer")) ? Path.Combine(folder, "tokenizer") : folder;
        ClipTokenizer tokenizer = ClipTokenizer.FromFolder(tokenizerFolder);
        ClipImagePreprocessor preprocessor = ClipImagePreprocessor.FromFile(Path.Combine(folder, "preprocessor_config.json"));
        options ??= new ClipModelOptions();
        if (options.LogitScale is null && ReadLogitScale(Path.Combine(folder, "config.json")) is float scale)
        {
            options = options with { LogitScale = scale };
        }

        OnnxModel text = OnnxModel.Load(Path.Combine(folder, "text_model.onnx"), onnxOptions, TextContract);
        try
        {
            OnnxModel vision = OnnxModel.Load(Path.Combine(folder, "vision_model.onnx"), onnxOptions, VisionContract);
            // The id covers everything that shapes an embedding: weights, tokenizer and preprocessing.
            string[] configFiles = [.. new[] { "vocab.json", "merges.txt", "tokenizer.json" }
                .Select(f => Path.Combine(tokenizerFolder, f)).Where(File.Exists)
                .Append(Path.Combine(folder, "preprocessor_config.json"))];
            return new ClipModel(text, vision, tokenizer, preprocessor, options, ownsModels: true, configFiles);
        }
        catch
        {
            text.Dispose();
            throw;
        }
    }

    /// <summary>Tokenizes prompts to the model's context length: <c>[count, ContextLength]</c> ids, truncated and padded as transformers does.</summary>
    /// <param name="texts">The prompts.</param>
    /// <returns>The ids, row-major, and for each prompt its token count before truncation (including BOS/EOS).</returns>
    /// <remarks>Logs a warning for each prompt that is truncated.</remarks>
    public (long[] Ids, int[] TokenCounts) Tokenize(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        int length = _contextLength;
        var ids = new long[texts.Count * length];
        var counts = new int[texts.Count];
        var buffer = new List<int>(length);
        for (int t = 0; t < texts.Count; t++)
        {
            string text = texts[t] ?? throw new ArgumentException($"Prompt {t} is null.", nameof(texts));
            buffer.Clear();
            Tokenizer.EncodeToIds(text, buffer, addSpecialTokens: true);
            counts[t] = buffer.Count;
            Span<long> row = ids.AsSpan(t * length, length);
            if (buffer.Count > length)
            {
                _logger.LogWarning(
                    "Prompt {Index} has {Tokens} tokens but CLIP reads {Context}; it was truncated to \"{Kept}\".",
                    t, buffer.Count, length, Tokenizer.Decode(buffer.Take(length - 1)));
                for (int i = 0; i < length - 1; i++) row[i] = buffer[i];
                row[length - 1] = Tokenizer.EosId;
            }
            else
            {
                for (int i = 0; i < buffer.Count; i++) row[i] = buffer[i];
                row[buffer.Count..].Fill(Tokenizer.PadId);
            }
        }

        return (ids, counts);
    }

    /// <summary>Embeds prompts.</summary>
    /// <param name="texts">The prompts (any number; run in batches of <see cref="ClipModelOptions.MaxBatchSize"/>).</param>
    /// <param name="cancellationToken">Stops between and during runs.</param>
    /// <returns><c>texts.Count</c> unit-length embeddings, in order.</returns>
    /// <exception cref="ModelRunException">The text model failed.</exception>
    public async Task<ClipEmbeddings> EmbedTextsAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) return ClipEmbeddings.FromNormalized([], 0, 1);
        (long[] ids, _) = Tokenize(texts);
        int length = _contextLength;
        var parts = new List<ClipEmbeddings>();
        for (int start = 0; start < texts.Count; start += _maxBatchSize)
        {
            int n = Math.Min(_maxBatchSize, texts.Count - start);
            var input = ModelTensor.Create<long>(ids.AsMemory(start * length, n * length), n, length);
            ModelOutputs outputs = await _text.RunAsync(new Dictionary<string, ModelTensor> { ["input_ids"] = input }, TextOutputs, cancellationToken).ConfigureAwait(false);
            parts.Add(Normalize(outputs["text_embeds"], n, "text_embeds"));
        }

        return ClipEmbeddings.Concat(parts);
    }

    /// <summary>Embeds one prompt.</summary>
    /// <param name="text">The prompt.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>One unit-length embedding.</returns>
    public Task<ClipEmbeddings> EmbedTextAsync(string text, CancellationToken cancellationToken = default) =>
        EmbedTextsAsync([text], cancellationToken);

    /// <summary>Embeds images (any pixel format; preprocessed with <see cref="Preprocessor"/>).</summary>
    /// <param name="images">The images (any number; run in batches).</param>
    /// <param name="cancellationToken">Stops between and during runs.</param>
    /// <returns><c>images.Count</c> unit-length embeddings, in order.</returns>
    /// <exception cref="ModelRunException">The vision model failed.</exception>
    public async Task<ClipEmbeddings> EmbedImagesAsync(IReadOnlyList<Image> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) return ClipEmbeddings.FromNormalized([], 0, 1);
        var parts = new List<ClipEmbeddings>();
        for (int start = 0; start < images.Count; start += _maxBatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(_maxBatchSize, images.Count - start);
            ModelTensor<float> pixels = Preprocessor.Preprocess([.. images.Skip(start).Take(n)]);
            parts.Add(await EmbedPixelsAsync(pixels, cancellationToken).ConfigureAwait(false));
        }

        return ClipEmbeddings.Concat(parts);
    }

    /// <summary>Embeds already preprocessed <c>pixel_values</c> (<c>[B, 3, H, W]</c> float32, as <see cref="ClipImagePreprocessor"/> makes them).</summary>
    /// <param name="pixelValues">The batch.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns><c>B</c> unit-length embeddings.</returns>
    /// <exception cref="ModelInputException">The tensor does not fit the vision model.</exception>
    /// <exception cref="ModelRunException">The vision model failed.</exception>
    public async Task<ClipEmbeddings> EmbedPixelsAsync(ModelTensor<float> pixelValues, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pixelValues);
        int n = pixelValues.Shape.Rank > 0 ? pixelValues.Shape[0] : 0;
        ModelOutputs outputs = await _vision.RunAsync(new Dictionary<string, ModelTensor> { ["pixel_values"] = pixelValues }, VisionOutputs, cancellationToken).ConfigureAwait(false);
        return Normalize(outputs["image_embeds"], n, "image_embeds");
    }

    /// <summary>Loads image files (see <see cref="ImageLoader"/>) and embeds them.</summary>
    /// <param name="paths">The files.</param>
    /// <param name="loadOptions">Load limits.</param>
    /// <param name="cancellationToken">Stops between and during runs.</param>
    /// <returns>One unit-length embedding per file, in order.</returns>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="ImageLoadException">A file is not a usable image; the exception names it.</exception>
    public async Task<ClipEmbeddings> EmbedImageFilesAsync(IReadOnlyList<string> paths, ImageLoadOptions? loadOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0) return ClipEmbeddings.FromNormalized([], 0, 1);
        var parts = new List<ClipEmbeddings>();
        for (int start = 0; start < paths.Count; start += _maxBatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(_maxBatchSize, paths.Count - start);
            ModelTensor<float> pixels = Preprocessor.PreprocessFiles([.. paths.Skip(start).Take(n)], loadOptions);
            parts.Add(await EmbedPixelsAsync(pixels, cancellationToken).ConfigureAwait(false));
        }

        return ClipEmbeddings.Concat(parts);
    }

    /// <summary>Disposes the ONNX models when this instance loaded them (<see cref="FromFolder"/>); models passed to the constructor stay the caller's.</summary>
    public void Dispose()
    {
        if (_ownsModels)
        {
            _text.Dispose();
            _vision.Dispose();
        }
    }

    private static ClipEmbeddings Normalize(ModelTensor<float> raw, int expectedRows, string name)
    {
        if (raw.Shape.Rank != 2 || raw.Shape[0] != expectedRows)
        {
            throw new ModelRunException($"The CLIP model returned {name} of shape {raw.Shape}; expected [{expectedRows}, P].");
        }

        return ClipEmbeddings.Normalize(raw.Span, expectedRows, raw.Shape[1]);
    }

    private static float? ReadLogitScale(string configPath)
    {
        if (!File.Exists(configPath)) return null;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(configPath));
            return doc.RootElement.TryGetProperty("logit_scale", out JsonElement e) && e.ValueKind == JsonValueKind.Number
                ? (float)Math.Exp(e.GetDouble())
                : null;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{configPath}' is not valid JSON: {ex.Message}", ex);
        }
    }

    private static string HashFiles(string[] paths)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string path in paths)
        {
            if (File.Exists(path))
            {
                using FileStream stream = File.OpenRead(path);
                var buffer = new byte[1 << 20];
                int read;
                while ((read = stream.Read(buffer)) > 0) sha.AppendData(buffer, 0, read);
            }
            else
            {
                sha.AppendData(Encoding.UTF8.GetBytes(path));
            }

            sha.AppendData([0]);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
    }
}
