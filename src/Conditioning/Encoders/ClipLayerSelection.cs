namespace Conditioning.Encoders;

/// <summary>
/// Which hidden layer of a CLIP text encoder forms the sequence conditioning. Layers count from the end: 1 is the
/// last transformer layer (HF <c>hidden_states[-1]</c>), 2 the penultimate. <c>last_hidden_state</c> is layer 1
/// with the final LayerNorm applied.
/// </summary>
/// <param name="FromEnd">1-based layer index from the end (1 = last).</param>
/// <param name="ApplyFinalLayerNorm">Whether the encoder's final LayerNorm is applied to the chosen layer.</param>
public sealed record ClipLayerSelection(int FromEnd, bool ApplyFinalLayerNorm)
{
    /// <summary><c>last_hidden_state</c>: SD1.x and SD2 default.</summary>
    public static ClipLayerSelection Last { get; } = new(1, true);

    /// <summary><c>hidden_states[-2]</c> without the final LayerNorm: what SDXL and SD3 feed their denoisers.</summary>
    public static ClipLayerSelection PenultimateWithoutNorm { get; } = new(2, false);

    /// <summary>True when this is <c>last_hidden_state</c>, which every export provides directly.</summary>
    public bool IsLastHiddenState => FromEnd == 1 && ApplyFinalLayerNorm;

    /// <summary>
    /// diffusers' <c>clip_skip=k</c> for SD1.x: <c>hidden_states[-(k+1)]</c> followed by the final LayerNorm; k = 0 is
    /// <see cref="Last"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipSkip"/> is negative.</exception>
    public static ClipLayerSelection DiffusersClipSkip(int clipSkip)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(clipSkip);
        return new(clipSkip + 1, true);
    }

    /// <summary>
    /// A1111's "Clip skip" setting N (<c>CLIP_stop_at_last_layers</c>, default 1): <c>hidden_states[-N]</c> followed by
    /// the final LayerNorm. A1111 N equals diffusers k + 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stopAtLastLayers"/> is less than 1.</exception>
    public static ClipLayerSelection A1111ClipSkip(int stopAtLastLayers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stopAtLastLayers, 1);
        return new(stopAtLastLayers, true);
    }
}
