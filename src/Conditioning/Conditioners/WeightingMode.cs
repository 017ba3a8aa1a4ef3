namespace Conditioning.Conditioners;

/// <summary>How per-token prompt weights act on the encoded hidden states.</summary>
public enum WeightingMode
{
    /// <summary>AUTOMATIC1111 "Original": z·w, then the mean over the encode batch restored (the A1111 default).</summary>
    A1111Original,

    /// <summary>AUTOMATIC1111 "No norm": z·w (webui's recommendation for SDXL).</summary>
    A1111NoNorm,

    /// <summary>ComfyUI and Compel: z_empty + (z − z_empty)·w for every token whose weight is not 1.</summary>
    LerpFromEmpty,
}
