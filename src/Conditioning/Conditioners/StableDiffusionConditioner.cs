using Conditioning.Encoders;
using Conditioning.Onnx;
using Conditioning.Prompts;
using Conditioning.Tokenizers;

namespace Conditioning.Conditioners;

/// <summary>
/// SD1.x / SD2.x conditioning: one CLIP text encoder; sequence [1, 77·k, 768 | 1024] (k chunks of the prompt),
/// no pooled output. Clip skip via <see cref="ConditioningRequest.ClipLayer"/>.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class StableDiffusionConditioner : PromptConditionerBase
{
    private readonly ClipPromptEncoder _clip;
    private readonly bool _ownsEncoder;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ClipLayerSelection, Task<EncodedText>> _empty = new();

    /// <summary>Creates the conditioner over an encoder and its tokenizer.</summary>
    public StableDiffusionConditioner(ClipTextEncoder encoder, ClipTokenizer tokenizer, bool ownsEncoder = false)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _clip = new ClipPromptEncoder(encoder, tokenizer);
        _ownsEncoder = ownsEncoder;
    }

    /// <summary>Loads <c>text_encoder</c> and <c>tokenizer</c> from a model folder.</summary>
    public static StableDiffusionConditioner FromFolder(DiffusersModelFolder folder, OnnxModelOptions? options = null, EmbeddingCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ClipTokenizer tokenizer = ClipTokenizer.FromFolder(folder.ComponentFolder("tokenizer"));
        return new StableDiffusionConditioner(ClipTextEncoder.Load(folder.ModelPath("text_encoder"), options, cache), tokenizer, ownsEncoder: true);
    }

    /// <inheritdoc/>
    public override ModelFamily Family => ModelFamily.StableDiffusion;

    /// <inheritdoc/>
    protected override async Task<IReadOnlyList<IReadOnlyList<EncodedPart>>> EncodeTextsAsync(IReadOnlyList<ParsedPrompt> prompts, ConditioningRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(request);
        ClipLayerSelection layer = request.ClipLayer ?? ClipLayerSelection.Last;
        WeightedPrompt[] weighted = [.. prompts.Select(_clip.Weighted.Tokenize)];
        var encoded = await _clip.EncodeManyAsync(weighted, layer, request.EffectiveWeighting, cancellationToken);
        return [.. encoded.Select((parts, p) => (IReadOnlyList<EncodedPart>)[.. parts.Select((entries, i) => new EncodedPart(
            weighted[p].Parts[i].Weight,
            [.. entries.Select(e => (e.EndAtStep, new EncodedPrompt(e.Text.Sequence, e.Text.Tokens, e.Text.Width, null)))]))])];
    }

    /// <inheritdoc/>
    protected override async Task<EncodedPrompt> PadAsync(EncodedPrompt prompt, int tokens, ConditioningRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(request);
        if (prompt.Tokens == tokens) return prompt;
        EncodedText empty = await _empty.GetOrAdd(request.ClipLayer ?? ClipLayerSelection.Last, layer => _clip.EncodeEmptyAsync(layer, CancellationToken.None));
        EncodedText padded = new EncodedText(prompt.Sequence, prompt.Tokens, prompt.Width, null, null).PadTo(tokens, empty.Sequence);
        return prompt with { Sequence = padded.Sequence, Tokens = tokens };
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsEncoder) _clip.Encoder.Dispose();
    }
}
