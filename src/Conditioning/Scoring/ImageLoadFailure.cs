namespace Conditioning.Scoring;

/// <summary>Why an image file could not be read (see <see cref="ImageLoadException"/>).</summary>
public enum ImageLoadFailure
{
    /// <summary>The bytes are not a format ImageSharp can decode (PNG, JPEG, GIF, BMP, TGA, TIFF, PBM, WebP).</summary>
    UnsupportedFormat,

    /// <summary>The format was recognised but the data is damaged or ends early.</summary>
    Corrupt,

    /// <summary>The header declares more pixels than <see cref="ImageLoadOptions.MaxPixels"/> (a decompression bomb, or just too big); nothing was decoded.</summary>
    TooLarge,

    /// <summary>The file could not be read (permissions, I/O error).</summary>
    Unreadable,
}
