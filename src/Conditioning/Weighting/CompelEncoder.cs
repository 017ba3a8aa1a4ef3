namespace Conditioning.Weighting;

/// <summary>
/// Encodes one chunk of token ids with an attention mask (1 = attend, 0 = masked out) and returns its hidden states,
/// <c>Tokens × Channels</c> floats. Used by <see cref="PromptWeighting.ApplyCompel"/> to build the
/// "fragment masked out" encodings Compel blends in for down-weighted fragments.
/// </summary>
/// <param name="ids">The chunk's token ids.</param>
/// <param name="attentionMask">One value per id.</param>
/// <returns>The hidden states, row-major <c>Tokens × Channels</c>.</returns>
public delegate float[] CompelEncoder(ReadOnlySpan<int> ids, ReadOnlySpan<float> attentionMask);
