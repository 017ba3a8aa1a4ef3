using Conditioning.Onnx;

namespace Conditioning.Encoders;

/// <summary>The outputs of a CLIP text encoder for a batch of token sequences.</summary>
/// <param name="Sequence">The selected hidden layer, [batch, tokens, hidden].</param>
/// <param name="PoolerOutput">The final-LayerNorm hidden state at the EOS position, [batch, hidden], when the export has <c>pooler_output</c>.</param>
/// <param name="TextEmbeds">The projected pooled embedding, [batch, projection], when the export has <c>text_embeds</c>.</param>
public sealed record ClipTextEncoding(ModelTensor<float> Sequence, ModelTensor<float>? PoolerOutput, ModelTensor<float>? TextEmbeds);
