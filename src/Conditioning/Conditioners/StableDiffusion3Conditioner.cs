using System.Collections.Concurrent;
using Conditioning.Encoders;
using Conditioning.Onnx;
using Conditioning.Prompts;
using Conditioning.Tokenizers;

namespace Conditioning.Conditioners;

/// <summary>
/// SD3 conditioning: CLIP-L <c>hidden_states[-2]</c> ‖ CLIP-G <c>hidden_states[-2]</c> (2048 features) zero-padded to
/// the T5 width, then concatenated on the sequence axis with T5's <c>last_hidden_state</c> → [1, 77·k + S, W]
/// (W = 4096 for the real model); pooled = CLIP-L <c>text_embeds</c> ‖ CLIP-G <c>text_embeds</c> [1, 2048]. Without a
/// T5 encoder its block is zeros. The empty negative is encoded, not zeroed.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class StableDiffusion3Conditioner : PromptConditionerBase
{
    private readonly ClipPromptEncoder _l;
    private readonly ClipPromptEncoder _g;
    private readonly T5PromptEncoder? _t5;
    private readonly int _jointWidth;
    private readonly bool _ownsEncoders;
    private readonly ConcurrentDictionary<int, Task<float[]>> _empty = new();

    /// <summary>Creates the conditioner. <paramref name="t5"/> may be null (SD3 run without T5); then <paramref name="jointWidth"/> gives the width.</summary>
    /// <exception cref="ArgumentException">A CLIP encoder lacks text_embeds or hidden states.</exception>
    public StableDiffusion3Conditioner(ClipTextEncoder clipL, ClipTokenizer tokenizerL, ClipTextEncoder clipG, ClipTokenizer tokenizerG, T5TextEncoder? t5, T5Tokenizer? t5Tokenizer, int jointWidth = 4096, bool ownsEncoders = false)
    {
        ArgumentNullException.ThrowIfNull(clipL);
        ArgumentNullException.ThrowIfNull(clipG);
        if (clipL.LayerCount is null || clipG.LayerCount is null) throw new ArgumentException("SD3 needs hidden_states.N outputs from both CLIP encoders");
        if (!clipL.HasTextEmbeds || !clipG.HasTextEmbeds) throw new ArgumentException("SD3's CLIP encoders must export text_embeds (CLIPTextModelWithProjection)");
        _l = new ClipPromptEncoder(clipL, tokenizerL);
        _g = new ClipPromptEncoder(clipG, tokenizerG);
        if (t5 is not null) _t5 = new T5PromptEncoder(t5, t5Tokenizer ?? throw new ArgumentNullException(nameof(t5Tokenizer)));
        _jointWidth = t5 is not null && t5.HiddenSize > 0 ? t5.HiddenSize : jointWidth;
        _ownsEncoders = ownsEncoders;
    }

    /// <summary>Loads the three encoders and tokenizers from a model folder (<c>text_encoder_3</c> optional).</summary>
    public static StableDiffusion3Conditioner FromFolder(DiffusersModelFolder folder, OnnxModelOptions? options = null, EmbeddingCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var owned = new List<IDisposable>();
        try
        {
            ClipTextEncoder l = Track(ClipTextEncoder.Load(folder.ModelPath("text_encoder"), options, cache));
            ClipTextEncoder g = Track(ClipTextEncoder.Load(folder.ModelPath("text_encoder_2"), options, cache));
            T5TextEncoder? t5 = folder.Has("text_encoder_3") ? Track(T5TextEncoder.Load(folder.ModelPath("text_encoder_3"), options, cache)) : null;
            T5Tokenizer? t5Tokenizer = t5 is null ? null : T5Tokenizer.FromFolder(folder.ComponentFolder("tokenizer_3"));
            return new StableDiffusion3Conditioner(
                l, ClipTokenizer.FromFolder(folder.ComponentFolder("tokenizer")), g, ClipTokenizer.FromFolder(folder.ComponentFolder("tokenizer_2")),
                t5, t5Tokenizer, ownsEncoders: true);
        }
        catch
        {
            owned.ForEach(o => o.Dispose());
            throw;
        }

        T Track<T>(T d)
            where T : IDisposable
        {
            owned.Add(d);
            return d;
        }
    }

    /// <inheritdoc/>
    public override ModelFamily Family => ModelFamily.StableDiffusion3;

    /// <inheritdoc/>
    protected override async Task<IReadOnlyList<IReadOnlyList<EncodedPart>>> EncodeTextsAsync(IReadOnlyList<ParsedPrompt> prompts, ConditioningRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(request);
        WeightedPrompt[] wl = [.. prompts.Select(_l.Weighted.Tokenize)];
        var l = await _l.EncodeManyAsync(wl, ClipLayerSelection.PenultimateWithoutNorm, request.EffectiveWeighting, cancellationToken);
        var g = await _g.EncodeManyAsync([.. prompts.Select(_g.Weighted.Tokenize)], ClipLayerSelection.PenultimateWithoutNorm, request.EffectiveWeighting, cancellationToken);
        int maxLength = request.MaxSequenceLength ?? _t5?.Encoder.FixedLength ?? 256;
        var t5All = _t5 is null ? null : await _t5.EncodeManyAsync(prompts, maxLength, request.EffectiveWeighting, cancellationToken);
        var result = new List<IReadOnlyList<EncodedPart>>(prompts.Count);
        for (int p = 0; p < prompts.Count; p++)
        {
            var t5 = t5All?[p];
            result.Add([.. l[p].Select((entries, i) => new EncodedPart(
                wl[p].Parts[i].Weight,
                [.. entries.Select((e, s) => (e.EndAtStep, Assemble(e.Text, g[p][i][s].Text, t5?[i][s].Text, maxLength)))]))]);
        }

        return result;
    }

    private EncodedPrompt Assemble(EncodedText clipL, EncodedText clipG, EncodedText? t5, int maxLength)
    {
        float[] clip = StableDiffusionXLConditioner.ConcatFeatures(clipL.Sequence, clipL.Width, clipG.Sequence, clipG.Width, clipL.Tokens, _jointWidth);
        int t5Tokens = t5?.Tokens ?? maxLength;
        var sequence = new float[(clipL.Tokens + t5Tokens) * _jointWidth];
        clip.CopyTo(sequence, 0);
        t5?.Sequence.CopyTo(sequence, clip.Length);
        float[] pooled = [.. clipL.TextEmbeds!, .. clipG.TextEmbeds!];
        return new EncodedPrompt(sequence, clipL.Tokens + t5Tokens, _jointWidth, pooled) { ClipTokens = clipL.Tokens };
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
            return StableDiffusionXLConditioner.ConcatFeatures(el.Sequence, el.Width, eg.Sequence, eg.Width, el.Tokens, _jointWidth);
        });

        // Extra CLIP chunks go between the CLIP block and the T5 block.
        int clipTokens = prompt.ClipTokens, extra = tokens - prompt.Tokens, chunk = empty.Length / _jointWidth;
        if (extra % chunk != 0) throw new InvalidOperationException($"cannot pad {prompt.Tokens} tokens to {tokens} with {chunk}-token chunks");
        var sequence = new float[tokens * _jointWidth];
        prompt.Sequence.AsSpan(0, clipTokens * _jointWidth).CopyTo(sequence);
        for (int k = 0; k < extra / chunk; k++) empty.CopyTo(sequence, (clipTokens + (k * chunk)) * _jointWidth);
        prompt.Sequence.AsSpan(clipTokens * _jointWidth).CopyTo(sequence.AsSpan((clipTokens + extra) * _jointWidth));
        return prompt with { Sequence = sequence, Tokens = tokens, ClipTokens = clipTokens + extra };
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsEncoders)
        {
            _l.Encoder.Dispose();
            _g.Encoder.Dispose();
            _t5?.Encoder.Dispose();
        }
    }
}
