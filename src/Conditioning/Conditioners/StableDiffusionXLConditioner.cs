using System.Collections.Concurrent;
using Conditioning.Encoders;
using Conditioning.Onnx;
using Conditioning.Prompts;
using Conditioning.Tokenizers;

namespace Conditioning.Conditioners;

/// <summary>
/// SDXL conditioning: CLIP-L <c>hidden_states[-2]</c> ‖ OpenCLIP-G <c>hidden_states[-2]</c> (no final LayerNorm) on
/// the feature axis → [1, 77·k, 768 + 1280]; pooled = OpenCLIP-G <c>text_embeds</c> [1, 1280] from the dialect's pooled
/// source; <c>time_ids</c> = (height, width, 0, 0, height, width). With <c>force_zeros_for_empty_prompt</c> an empty
/// negative prompt is zeros, sequence and pooled alike.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class StableDiffusionXLConditioner : PromptConditionerBase
{
    private readonly ClipPromptEncoder _l;
    private readonly ClipPromptEncoder _g;
    private readonly bool _ownsEncoders;
    private readonly bool _forceZeros;
    private readonly int _defaultSize;
    private readonly ConcurrentDictionary<int, Task<float[]>> _empty = new();

    /// <summary>Creates the conditioner over both encoders (G must export <c>text_embeds</c>; both need <c>hidden_states.N</c>).</summary>
    /// <exception cref="ArgumentException">An encoder lacks the outputs SDXL needs.</exception>
    public StableDiffusionXLConditioner(ClipTextEncoder clipL, ClipTokenizer tokenizerL, ClipTextEncoder clipG, ClipTokenizer tokenizerG, bool forceZerosForEmptyPrompt = true, int defaultSize = 1024, bool ownsEncoders = false)
    {
        ArgumentNullException.ThrowIfNull(clipL);
        ArgumentNullException.ThrowIfNull(clipG);
        if (clipL.LayerCount is null || clipG.LayerCount is null) throw new ArgumentException("SDXL needs hidden_states.N outputs from both text encoders (it conditions on the penultimate layer)");
        if (!clipG.HasTextEmbeds) throw new ArgumentException("SDXL's second text encoder must export text_embeds (CLIPTextModelWithProjection)");
        _l = new ClipPromptEncoder(clipL, tokenizerL);
        _g = new ClipPromptEncoder(clipG, tokenizerG);
        _forceZeros = forceZerosForEmptyPrompt;
        _defaultSize = defaultSize;
        _ownsEncoders = ownsEncoders;
    }

    /// <summary>Loads <c>text_encoder</c>, <c>tokenizer</c>, <c>text_encoder_2</c>, <c>tokenizer_2</c> from a model folder.</summary>
    public static StableDiffusionXLConditioner FromFolder(DiffusersModelFolder folder, OnnxModelOptions? options = null, EmbeddingCache? cache = null, int defaultSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ClipTextEncoder l = ClipTextEncoder.Load(folder.ModelPath("text_encoder"), options, cache);
        try
        {
            ClipTextEncoder g = ClipTextEncoder.Load(folder.ModelPath("text_encoder_2"), options, cache);
            return new StableDiffusionXLConditioner(
                l, ClipTokenizer.FromFolder(folder.ComponentFolder("tokenizer")), g, ClipTokenizer.FromFolder(folder.ComponentFolder("tokenizer_2")),
                folder.ForceZerosForEmptyPrompt, defaultSize, ownsEncoders: true);
        }
        catch
        {
            l.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public override ModelFamily Family => ModelFamily.StableDiffusionXL;

    /// <inheritdoc/>
    protected override bool ZeroesEmptyNegative => _forceZeros;

    /// <summary>SDXL's <c>add_time_ids</c>: original size (h, w) + crop (top, left) + target size (h, w).</summary>
    public static float[] TimeIds(int height, int width, int cropTop = 0, int cropLeft = 0) => [height, width, cropTop, cropLeft, height, width];

    /// <inheritdoc/>
    protected override async Task<IReadOnlyList<IReadOnlyList<EncodedPart>>> EncodeTextsAsync(IReadOnlyList<ParsedPrompt> prompts, ConditioningRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(request);
        WeightedPrompt[] wl = [.. prompts.Select(_l.Weighted.Tokenize)];
        WeightedPrompt[] wg = [.. prompts.Select(_g.Weighted.Tokenize)];
        var l = await _l.EncodeManyAsync(wl, ClipLayerSelection.PenultimateWithoutNorm, request.EffectiveWeighting, cancellationToken);
        var g = await _g.EncodeManyAsync(wg, ClipLayerSelection.PenultimateWithoutNorm, request.EffectiveWeighting, cancellationToken);
        return [.. l.Select((parts, p) => (IReadOnlyList<EncodedPart>)[.. parts.Select((entries, i) => new EncodedPart(
            wl[p].Parts[i].Weight,
            [.. entries.Select((e, s) => (e.EndAtStep, Join(e.Text, g[p][i][s].Text)))]))])];
    }

    /// <inheritdoc/>
    protected override async Task<EncodedPrompt> PadAsync(EncodedPrompt prompt, int tokens, ConditioningRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.Tokens == tokens) return prompt;
        float[] empty = await _empty.GetOrAdd(0, async _ =>
        {
            EncodedText el = await _l.EncodeEmptyAsync(ClipLayerSelection.PenultimateWithoutNorm, CancellationToken.None);
            EncodedText eg = await _g.EncodeEmptyAsync(ClipLayerSelection.PenultimateWithoutNorm, CancellationToken.None);
            return Join(el, eg).Sequence;
        });
        EncodedText padded = new EncodedText(prompt.Sequence, prompt.Tokens, prompt.Width, null, null).PadTo(tokens, empty);
        return prompt with { Sequence = padded.Sequence, Tokens = tokens };
    }

    /// <inheritdoc/>
    protected override PromptEmbeddings ToEmbeddings(EncodedPrompt prompt, ConditioningRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        PromptEmbeddings e = base.ToEmbeddings(prompt, request);
        float[] timeIds = TimeIds(request.Height ?? _defaultSize, request.Width ?? _defaultSize);
        return new PromptEmbeddings(e.Sequence, e.Pooled, ModelTensor.Create<float>(timeIds, 1, 6));
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsEncoders)
        {
            _l.Encoder.Dispose();
            _g.Encoder.Dispose();
        }
    }

    /// <summary>Concatenates L and G on the feature axis; pooled = G's text_embeds.</summary>
    private static EncodedPrompt Join(EncodedText l, EncodedText g)
    {
        if (l.Tokens != g.Tokens) throw new InvalidOperationException($"CLIP-L gave {l.Tokens} tokens but CLIP-G gave {g.Tokens}");
        return new EncodedPrompt(ConcatFeatures(l.Sequence, l.Width, g.Sequence, g.Width, l.Tokens), l.Tokens, l.Width + g.Width, g.TextEmbeds);
    }

    internal static float[] ConcatFeatures(float[] a, int aWidth, float[] b, int bWidth, int tokens, int totalWidth = 0)
    {
        int width = Math.Max(totalWidth, aWidth + bWidth);
        var result = new float[tokens * width];
        for (int t = 0; t < tokens; t++)
        {
            a.AsSpan(t * aWidth, aWidth).CopyTo(result.AsSpan(t * width));
            b.AsSpan(t * bWidth, bWidth).CopyTo(result.AsSpan((t * width) + aWidth));
        }

        return result;
    }
}
