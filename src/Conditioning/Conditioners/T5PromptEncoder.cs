using Conditioning.Encoders;
using Conditioning.Onnx;
using Conditioning.Prompts;
using Conditioning.Tokenizers;
using Conditioning.Weighting;

namespace Conditioning.Conditioners;

/// <summary>
/// Weighted T5 encoding shared by SD3 and Flux: one sequence per schedule entry (all of a request's prompts in one
/// encoder batch), padded to the pipeline's max_sequence_length (truncated keeping <c>&lt;/s&gt;</c> last, with a logged warning as diffusers does), weights
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

    /// <summary>
    /// Encodes each prompt's parts' schedule entries as [maxLength, width]: every sequence of every prompt (and the
    /// empty prompt, when a lerp needs it) in one encoder batch — one run where the model's batch axis is dynamic.
    /// </summary>
    /// <returns>Per prompt, per part, the schedule entries.</returns>
    public async Task<IReadOnlyList<IReadOnlyList<IReadOnlyList<(int EndAtStep, EncodedText Text)>>>> EncodeManyAsync(
        IReadOnlyList<ParsedPrompt> prompts, int maxLength, WeightingMode weighting, CancellationToken cancellationToken)
    {
        var tokenizer = new WeightedTokenizer(_tokenizer, new WeightedTokenizerOptions { T5MaxLength = maxLength, T5MinLength = maxLength });
        WeightedPrompt[] weighted = [.. prompts.Select(tokenizer.Tokenize)];
        var ids = new List<int[]>();
        bool needsEmpty = false;
        foreach (WeightedPromptStep step in weighted.SelectMany(w => w.Parts).SelectMany(p => p.Schedule))
        {
            if (step.TokenCount > maxLength - 1)
            {
                Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(_logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
                    "The prompt was truncated because max_sequence_length is {MaxLength} tokens: '{Text}'", maxLength, step.Text);
            }

            ids.Add(step.Chunks[0].Ids);
            needsEmpty |= weighting == WeightingMode.LerpFromEmpty && step.Chunks[0].Weights.Any(x => x != 1.0);
        }

        if (needsEmpty) ids.Add(_tokenizer.EncodeToFixedLength(string.Empty, maxLength).Ids);
        ModelTensor<float> hidden = await _encoder.EncodeAsync(ids, cancellationToken);
        int tokens = hidden.Shape[1], width = hidden.Shape[2];
        float[] z = hidden.Span.ToArray();
        float[]? empty = needsEmpty ? z.AsSpan((ids.Count - 1) * tokens * width, tokens * width).ToArray() : null;

        var result = new List<IReadOnlyList<IReadOnlyList<(int, EncodedText)>>>(weighted.Length);
        int row = 0;
        foreach (WeightedPrompt prompt in weighted)
        {
            var parts = new List<IReadOnlyList<(int, EncodedText)>>();
            foreach (WeightedPromptPart part in prompt.Parts)
            {
                var entries = new List<(int, EncodedText)>();
                foreach (WeightedPromptStep step in part.Schedule)
                {
                    float[] zs = z.AsSpan(row++ * tokens * width, tokens * width).ToArray();
                    double[] w = step.Chunks[0].Weights;
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

                    entries.Add((step.EndAtStep, new EncodedText(zs, tokens, width, null, null)));
                }

                parts.Add(entries);
            }

            result.Add(parts);
        }

        return result;
    }
}
