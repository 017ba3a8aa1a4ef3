using Conditioning.Onnx;

namespace Conditioning.Conditioners;

/// <summary>
/// One prompt's conditioning tensors, as a denoiser consumes them (batch axis of 1).
/// </summary>
/// <remarks>Immutable; safe to share.</remarks>
public sealed record PromptEmbeddings
{
    /// <summary>Creates the embeddings, checking the tensors' ranks.</summary>
    /// <exception cref="ArgumentException">A tensor has the wrong rank or batch size.</exception>
    public PromptEmbeddings(ModelTensor<float> sequence, ModelTensor<float>? pooled = null, ModelTensor<float>? timeIds = null, ModelTensor<float>? textIds = null)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.Shape.Rank != 3 || sequence.Shape[0] != 1) throw new ArgumentException($"the sequence must be [1, tokens, width], got {sequence.Shape}", nameof(sequence));
        if (pooled is not null && (pooled.Shape.Rank != 2 || pooled.Shape[0] != 1)) throw new ArgumentException($"the pooled embedding must be [1, width], got {pooled.Shape}", nameof(pooled));
        if (timeIds is not null && (timeIds.Shape.Rank != 2 || timeIds.Shape[0] != 1)) throw new ArgumentException($"time ids must be [1, n], got {timeIds.Shape}", nameof(timeIds));
        if (textIds is not null && (textIds.Shape.Rank != 2 || textIds.Shape[1] != 3 || textIds.Shape[0] != sequence.Shape[1]))
        {
            throw new ArgumentException($"text ids must be [{sequence.Shape[1]}, 3] for a sequence of {sequence.Shape[1]} tokens, got {textIds.Shape}", nameof(textIds));
        }

        Sequence = sequence;
        Pooled = pooled;
        TimeIds = timeIds;
        TextIds = textIds;
    }

    /// <summary><c>encoder_hidden_states</c>: [1, tokens, width] (SD1 77×768, SDXL 77·k×2048, SD3 333×4096, Flux 512×4096).</summary>
    public ModelTensor<float> Sequence { get; }

    /// <summary>SDXL <c>text_embeds</c> [1, 1280], SD3 <c>pooled_projections</c> [1, 2048], Flux <c>pooled_projections</c> [1, 768]; null for SD1/SD2.</summary>
    public ModelTensor<float>? Pooled { get; }

    /// <summary>SDXL <c>time_ids</c> [1, 6]: original size (h, w), crop (top, left), target size (h, w).</summary>
    public ModelTensor<float>? TimeIds { get; }

    /// <summary>Flux <c>txt_ids</c> [tokens, 3], all zeros.</summary>
    public ModelTensor<float>? TextIds { get; }
}
