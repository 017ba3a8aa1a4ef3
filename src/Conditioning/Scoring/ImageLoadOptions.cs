namespace Conditioning.Scoring;

/// <summary>Limits and behaviour of <see cref="ImageLoader"/>.</summary>
/// <remarks>Immutable; share one instance freely.</remarks>
public sealed record ImageLoadOptions
{
    /// <summary>PIL's <c>Image.MAX_IMAGE_PIXELS</c> (89,478,485, about 0.25 GiB of RGBA): the default <see cref="MaxPixels"/>.</summary>
    public const long DefaultMaxPixels = 89_478_485;

    /// <summary>The default options.</summary>
    public static ImageLoadOptions Default { get; } = new();

    /// <summary>
    /// The most pixels (width × height, as declared in the file's header) an image may have. Checked with
    /// <c>Image.Identify</c> before any pixel is decoded, so a small file that claims 30,000 × 30,000 pixels is
    /// rejected without allocating. Defaults to <see cref="DefaultMaxPixels"/>.
    /// </summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>
    /// Whether to rotate/flip the image as its EXIF orientation tag says (on by default), as transformers'
    /// <c>load_image</c> does with <c>ImageOps.exif_transpose</c> before the image processor sees it.
    /// </summary>
    public bool ApplyExifOrientation { get; init; } = true;
}
