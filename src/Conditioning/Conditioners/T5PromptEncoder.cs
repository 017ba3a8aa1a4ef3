using Conditioning.Encoders;
using Conditioning.Prompts;
using Conditioning.Tokenizers;
using Conditioning.Weighting;

namespace Conditioning.Conditioners;

/// <summary>
/// Weighted T5 encoding shared by SD3 and Flux: one sequence per schedule entry, padded to the pipeline's
/// max_sequence_length (truncated keeping <c>&lt;/s&gt;</c> last, with a logged warning as diffusers does), weights
/// applied like the CLIP side (ComfyUI's lerp against [EOS, PAD…] by default).
/// </summary>
internal sealed class T5PromptEncoder
{
    private readonly T5TextEncoder _encoder;
    private readonly T5Tokenizer _tokenizer;
    private readonly Microsoft.Extensions.Logging.ILogger? _logger;

    public T5PromptEncoder(T5TextEncoder encoder, T5Tokenizer tokenizer, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        _encoder = encoder;
        _tokenizer = tokenizer;
        _logger = logger;
    }

    public T5TextEncoder Encoder => _encoder;

    public int Width => _encoder.HiddenSize;

    /// <summary>Encodes each part's schedule entries as [maxLength, width].</summary>
    public async Task<IReadOnlyList<IReadOnlyList<(int EndAtStep, EncodedText Text)>>> EncodeAsync(ParsedPrompt prompt, int maxLength, WeightingMode weighting, CancellationToken cancellationToken)
    {
        var weighted = new WeightedTokenizer(_tokenizer, new WeightedTokenizerOptions { T5MaxLength = maxLength, T5MinLength = maxLength }).Tokenize(prompt);
        float[]? empty = null;
        var result = new List<IReadOnlyList<(int, EncodedText)>>();
        foreach (WeightedPromptPart part in weighted.Parts)
        {
            foreach (WeightedPromptStep step in part.Schedule)
            {
                if (step.TokenCount > maxLength - 1)
                {
                    Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(_logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
                        "The prompt was truncated because max_sequence_length is {MaxLength} tokens: '{Text}'", maxLength, step.Text);
                }
            }

            int[][] ids = [.. part.Schedule.Select(s => s.Chunks[0].Ids)];
            var hidden = await _encoder.EncodeAsync(ids, cancellationToken);
            int tokens = hidden.Shape[1], width = hidden.Shape[2];
            float[] z = hidden.Span.ToArray();
            var entries = new List<(int, EncodedText)>();
            bool lerp = weighting == WeightingMode.LerpFromEmpty && part.Schedule.Any(s => s.Chunks[0].Weights.Any(x => x != 1.0));
            if (lerp) empty ??= await EncodeEmptyAsync(maxLength, cancellationToken);
            for (int s = 0; s < ids.Length; s++)
            {
                Span<float> zs = z.AsSpan(s * tokens * width, tokens * width);
                double[] w = part.Schedule[s].Chunks[0].Weights;
                if (w.Any(x => x != 1.0))
                {
                    var shape = new EmbeddingShape(1, tokens, width);
                    switch (weighting)
                    {
                        case WeightingMode.A1111Original: PromptWeighting.ApplyA1111Original(zs, shape, w); break;
                        case WeightingMode.A1111NoNorm: PromptWeighting.ApplyA1111NoNorm(zs, shape, w); break;
                        default: PromptWeighting.LerpFromEmpty(zs, shape, w, empty); break;
                    }
                }

                entries.Add((part.Schedule[s].EndAtStep, new EncodedText(zs.ToArray(), tokens, width, null, null)));
            }

            result.Add(entries);
        }

        return result;
    }

    private async Task<float[]> EncodeEmptyAsync(int maxLength, CancellationToken cancellationToken)
    {
        (int[] ids, _) = _tokenizer.EncodeToFixedLength(string.Empty, maxLength);
        return (await _encoder.EncodeAsync([ids], cancellationToken)).Span.ToArray();
    }
}
