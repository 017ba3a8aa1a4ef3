namespace Conditioning.Scoring;

/// <summary>Which code resizes images in <see cref="ClipImagePreprocessor"/>.</summary>
public enum ResizeImplementation
{
    /// <summary>
    /// A port of Pillow's resampling (fixed-point coefficients, 8-bit intermediate image): bit-identical to the
    /// <c>pixel_values</c> of transformers' PIL-based <c>CLIPImageProcessor</c>. The default.
    /// </summary>
    Pillow,

    /// <summary>
    /// ImageSharp's <c>Resize</c> (same kernels, float intermediates, SIMD): faster on very large images, within
    /// 1 level of 255 of Pillow's output (mean about 0.15). Hamming (resample 5) is not available.
    /// </summary>
    ImageSharp,
}
