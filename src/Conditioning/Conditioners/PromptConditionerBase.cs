using Conditioning.Onnx;
using Conditioning.Prompts;

namespace Conditioning.Conditioners;

/// <summary>
/// The request flow every family shares: parse the prompt (and negative) in its dialect, let the family encode each
/// AND part and schedule entry, pad every text to one length so CFG can batch them, and wrap the tensors as
/// <see cref="PromptEmbeddings"/>. Families supply only the encoding, the padding rule and the extra inputs.
/// </summary>
/// <remarks>Thread-safe when the family's encoders are (all of this library's are).</remarks>
public abstract class PromptConditionerBase : IPromptConditioner
{
    /// <inheritdoc/>
    public abstract ModelFamily Family { get; }

    /// <inheritdoc/>
    public async Task<DiffusionConditioning> EncodeAsync(ConditioningRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(request.Steps, 1);
        // The prompt and its negative are encoded in one batch per text encoder.
        bool wantsNegative = WantsNegative(request);
        bool zeroNegative = wantsNegative && ZeroesEmptyNegative && string.IsNullOrEmpty(request.NegativePrompt);
        List<ParsedPrompt> prompts = [Parse(request.Prompt, request, negative: false)];
        if (wantsNegative) prompts.Add(Parse(request.NegativePrompt ?? string.Empty, request, negative: true));
        IReadOnlyList<IReadOnlyList<EncodedPart>> encoded = await EncodeTextsAsync(prompts, request, cancellationToken);
        IReadOnlyList<EncodedPart> positive = encoded[0];
        IReadOnlyList<EncodedPart>? negative = wantsNegative ? encoded[1] : null;

        int tokens = positive.Concat(negative ?? []).SelectMany(p => p.Entries).Max(e => e.Prompt.Tokens);
        async Task<ConditioningSchedule> BuildAsync(IReadOnlyList<EncodedPart> parts, bool zero)
        {
            var built = new List<ConditioningPart>(parts.Count);
            foreach (EncodedPart p in parts)
            {
                var entries = new List<(int, PromptEmbeddings)>(p.Entries.Count);
                foreach ((int end, EncodedPrompt prompt) in p.Entries)
                {
                    EncodedPrompt padded = await PadAsync(prompt, tokens, request, cancellationToken);
                    entries.Add((end, ToEmbeddings(zero ? padded.Zeroed() : padded, request)));
                }

                built.Add(new ConditioningPart(p.Weight, entries));
            }

            return new ConditioningSchedule(built);
        }

        return new DiffusionConditioning(Family, await BuildAsync(positive, false), negative is null ? null : await BuildAsync(negative, zeroNegative));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the encoders this conditioner owns.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Whether an empty negative prompt becomes zeros (SDXL's <c>force_zeros_for_empty_prompt</c>).</summary>
    protected virtual bool ZeroesEmptyNegative => false;

    /// <summary>Whether negative conditioning is produced for <paramref name="request"/>.</summary>
    protected virtual bool WantsNegative(ConditioningRequest request) => request.ClassifierFreeGuidance;

    /// <summary>Encodes every AND part and schedule entry of each prompt (the prompt, then its negative), batching them per encoder.</summary>
    protected abstract Task<IReadOnlyList<IReadOnlyList<EncodedPart>>> EncodeTextsAsync(IReadOnlyList<ParsedPrompt> prompts, ConditioningRequest request, CancellationToken cancellationToken);

    /// <summary>Pads a text to <paramref name="tokens"/> on the token axis the way the family's tools do (with empty-prompt chunks).</summary>
    protected abstract Task<EncodedPrompt> PadAsync(EncodedPrompt prompt, int tokens, ConditioningRequest request, CancellationToken cancellationToken);

    /// <summary>Wraps the tensors, adding the family's extra inputs (time ids, text ids).</summary>
    protected virtual PromptEmbeddings ToEmbeddings(EncodedPrompt prompt, ConditioningRequest request)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return new PromptEmbeddings(
            ModelTensor.Create<float>(prompt.Sequence, 1, prompt.Tokens, prompt.Width),
            prompt.Pooled is null ? null : ModelTensor.Create<float>(prompt.Pooled, 1, prompt.Pooled.Length));
    }

    private static ParsedPrompt Parse(string text, ConditioningRequest request, bool negative) => request.Dialect switch
    {
        PromptDialect.A1111 => new A1111PromptParser(new A1111PromptParserOptions { Steps = request.Steps, IsNegativePrompt = negative }).Parse(text),
        PromptDialect.ComfyUI => new ComfyPromptParser().Parse(text),
        _ => new CompelPromptParser().Parse(text),
    };
}

/// <summary>One encoded text: the sequence [tokens, width] and the pooled vector, as a family assembles them.</summary>
/// <param name="Sequence">Row-major [Tokens, Width].</param>
/// <param name="Tokens">Sequence length.</param>
/// <param name="Width">Feature width.</param>
/// <param name="Pooled">The pooled vector, or null for families without one.</param>
public sealed record EncodedPrompt(float[] Sequence, int Tokens, int Width, float[]? Pooled)
{
    /// <summary>For SD3: how many leading tokens are CLIP's (padding chunks go after them, before T5's).</summary>
    public int ClipTokens { get; init; }

    /// <summary>The same shapes, all zeros (SDXL's zeroed negative).</summary>
    public EncodedPrompt Zeroed() => this with { Sequence = new float[Sequence.Length], Pooled = Pooled is null ? null : new float[Pooled.Length] };
}

/// <summary>One AND part: its weight and its encoded schedule entries.</summary>
/// <param name="Weight">Composable-diffusion weight.</param>
/// <param name="Entries">(last step, encoded text), ascending.</param>
public sealed record EncodedPart(double Weight, IReadOnlyList<(int EndAtStep, EncodedPrompt Prompt)> Entries);
