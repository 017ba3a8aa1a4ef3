using Conditioning.Encoders;
using Conditioning.Onnx;
using Conditioning.Prompts;
using Conditioning.Tokenizers;

namespace Conditioning.Conditioners;

/// <summary>
/// Flux conditioning: sequence = T5 <c>last_hidden_state</c> [1, S, W] (S = max_sequence_length: 512 dev, 256 schnell,
/// or the export's); pooled = CLIP-L <c>pooler_output</c> [1, 768] (unprojected) from the dialect's pooled source;
/// <c>txt_ids</c> = zeros [S, 3]. A negative is produced only when a negative prompt is given (true CFG); distilled
/// guidance is a pipeline setting, not conditioning.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class FluxConditioner : PromptConditionerBase
{
    private readonly ClipPromptEncoder _clip;
    private readonly T5PromptEncoder _t5;
    private readonly T5Tokenizer _t5Tokenizer;
    private readonly bool _ownsEncoders;

    /// <summary>Creates the conditioner over CLIP-L (with <c>pooler_output</c>) and T5.</summary>
    /// <exception cref="ArgumentException">The CLIP export lacks pooler_output.</exception>
    public FluxConditioner(ClipTextEncoder clip, ClipTokenizer clipTokenizer, T5TextEncoder t5, T5Tokenizer t5Tokenizer, bool ownsEncoders = false, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(t5);
        ArgumentNullException.ThrowIfNull(t5Tokenizer);
        if (!clip.HasPoolerOutput) throw new ArgumentException("Flux pools CLIP-L's pooler_output; this export has none (is it CLIPTextModelWithProjection?)");
        _clip = new ClipPromptEncoder(clip, clipTokenizer);
        _t5 = new T5PromptEncoder(t5, t5Tokenizer, logger);
        _t5Tokenizer = t5Tokenizer;
        _ownsEncoders = ownsEncoders;
    }

    /// <summary>Loads <c>text_encoder</c>/<c>tokenizer</c> (CLIP-L) and <c>text_encoder_2</c>/<c>tokenizer_2</c> (T5).</summary>
    public static FluxConditioner FromFolder(DiffusersModelFolder folder, OnnxModelOptions? options = null, EmbeddingCache? cache = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ClipTextEncoder clip = ClipTextEncoder.Load(folder.ModelPath("text_encoder"), options, cache);
        try
        {
            T5TextEncoder t5 = T5TextEncoder.Load(folder.ModelPath("text_encoder_2"), options, cache);
            return new FluxConditioner(clip, ClipTokenizer.FromFolder(folder.ComponentFolder("tokenizer")), t5, T5Tokenizer.FromFolder(folder.ComponentFolder("tokenizer_2")), ownsEncoders: true, logger);
        }
        catch
        {
            clip.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public override ModelFamily Family => ModelFamily.Flux;

    /// <summary>The T5 sequence length used when the request does not set one.</summary>
    public int DefaultSequenceLength => _t5.Encoder.FixedLength ?? Math.Min(_t5Tokenizer.ModelMaxLength, 512);

    /// <inheritdoc/>
    protected override bool WantsNegative(ConditioningRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.ClassifierFreeGuidance && request.NegativePrompt is not null;
    }

    /// <inheritdoc/>
    protected override async Task<IReadOnlyList<IReadOnlyList<EncodedPart>>> EncodeTextsAsync(IReadOnlyList<ParsedPrompt> prompts, ConditioningRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(request);
        WeightedPrompt[] clipPrompts = [.. prompts.Select(_clip.Weighted.Tokenize)];
        var clip = await _clip.EncodeManyAsync(clipPrompts, ClipLayerSelection.Last, request.EffectiveWeighting, cancellationToken);
        var t5All = await _t5.EncodeManyAsync(prompts, request.MaxSequenceLength ?? DefaultSequenceLength, request.EffectiveWeighting, cancellationToken);
        var result = new List<IReadOnlyList<EncodedPart>>(prompts.Count);
        for (int p = 0; p < prompts.Count; p++)
        {
            var t5 = t5All[p];
            IReadOnlyList<IReadOnlyList<(int EndAtStep, EncodedText Text)>> c = clip[p];
            result.Add([.. t5.Select((entries, i) => new EncodedPart(
                clipPrompts[p].Parts[i].Weight,
                [.. entries.Select((e, s) => (e.EndAtStep, new EncodedPrompt(e.Text.Sequence, e.Text.Tokens, e.Text.Width, c[i][Math.Min(s, c[i].Count - 1)].Text.PoolerOutput)))]))]);
        }

        return result;
    }

    /// <inheritdoc/>
    protected override Task<EncodedPrompt> PadAsync(EncodedPrompt prompt, int tokens, ConditioningRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.Tokens != tokens) throw new InvalidOperationException($"Flux T5 sequences all have max_sequence_length tokens; got {prompt.Tokens} and {tokens}");
        return Task.FromResult(prompt);
    }

    /// <inheritdoc/>
    protected override PromptEmbeddings ToEmbeddings(EncodedPrompt prompt, ConditioningRequest request)
    {
        PromptEmbeddings e = base.ToEmbeddings(prompt, request);
        return new PromptEmbeddings(e.Sequence, e.Pooled, textIds: ModelTensor.Create<float>(new float[prompt.Tokens * 3], prompt.Tokens, 3));
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsEncoders)
        {
            _clip.Encoder.Dispose();
            _t5.Encoder.Dispose();
        }
    }
}
