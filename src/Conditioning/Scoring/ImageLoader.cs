using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Conditioning.Scoring;

/// <summary>
/// Reads image files for CLIP the way transformers' <c>load_image</c> + <c>convert("RGB")</c> does: EXIF orientation
/// applied, grayscale replicated to RGB, alpha dropped (not composited), palette expanded, CMYK converted — with
/// the header checked against a pixel limit before anything is decoded, and every failure reported as an
/// <see cref="ImageLoadException"/> that names the file.
/// </summary>
/// <remarks>
/// Stateless and thread-safe. Formats are those ImageSharp 2.1 decodes: PNG, JPEG, GIF (first frame), BMP, TGA,
/// TIFF, PBM and WebP. 16-bit channels are scaled to 8 bits (<c>round(v × 255 / 65535)</c>); PIL instead keeps the
/// high byte of 16-bit RGB and clips 16-bit grayscale, so such files may differ from the Python reference by a level.
/// </remarks>
public static class ImageLoader
{
    /// <summary>Loads an image file as 8-bit RGB.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Limits; <see cref="ImageLoadOptions.Default"/> when <see langword="null"/>.</param>
    /// <returns>The image; the caller disposes it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ImageLoadException">The file is not a supported image, is corrupt or truncated, declares more than <see cref="ImageLoadOptions.MaxPixels"/> pixels, or cannot be read.</exception>
    public static Image<Rgb24> Load(string path, ImageLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The image '{path}' does not exist.", path);
        }

        FileStream stream;
        try
        {
            stream = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageLoadException(path, ImageLoadFailure.Unreadable, $"The image '{path}' could not be opened: {e.Message}", e);
        }

        using (stream)
        {
            return Load(stream, path, options);
        }
    }

    /// <summary>Loads an image from a stream as 8-bit RGB.</summary>
    /// <param name="stream">The encoded image; read from its current position. A stream that cannot seek is buffered in memory first.</param>
    /// <param name="name">A name for the image in error messages (e.g. the file name or URL).</param>
    /// <param name="options">Limits; <see cref="ImageLoadOptions.Default"/> when <see langword="null"/>.</param>
    /// <returns>The image; the caller disposes it.</returns>
    /// <exception cref="ImageLoadException">As for <see cref="Load(string, ImageLoadOptions?)"/>.</exception>
    public static Image<Rgb24> Load(Stream stream, string name, ImageLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        options ??= ImageLoadOptions.Default;
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            using (copy)
            {
                return Load(copy, name, options);
            }
        }

        long start = stream.Position;
        Image<Rgb24> image;
        try
        {
            IImageInfo? info = Image.Identify(stream, out IImageFormat? format);
            if (info is null || format is null)
            {
                throw Unsupported(name, null);
            }

            long pixels = (long)info.Width * info.Height;
            if (pixels > options.MaxPixels || info.Width <= 0 || info.Height <= 0)
            {
                throw new ImageLoadException(
                    name,
                    ImageLoadFailure.TooLarge,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"The image '{name}' declares {info.Width} × {info.Height} = {pixels:N0} pixels, more than the limit of {options.MaxPixels:N0}; it was not decoded (it may be a decompression bomb). Raise ImageLoadOptions.MaxPixels if the image is genuine."));
            }

            // ImageSharp fills a JPEG that ends early with grey and returns it; PIL refuses it ("image file is
            // truncated"), and so do we.
            if (format.Name == "JPEG" && !JpegReachesEndOfImage(stream, start))
            {
                throw new ImageLoadException(name, ImageLoadFailure.Corrupt, $"The JPEG image '{name}' is truncated: its last scan has no end-of-image marker. Re-export or re-download it.");
            }

            stream.Position = start;
            image = Image.Load<Rgb24>(stream);
        }
        catch (UnknownImageFormatException e)
        {
            throw Unsupported(name, e);
        }
        catch (NotSupportedException e)
        {
            throw Unsupported(name, e);
        }
        catch (Exception e) when (e is ImageFormatException or InvalidImageContentException or InvalidDataException or EndOfStreamException or IndexOutOfRangeException or ArgumentException)
        {
            throw Corrupt(name, e);
        }
        catch (IOException e)
        {
            throw new ImageLoadException(name, ImageLoadFailure.Unreadable, $"The image '{name}' could not be read: {e.Message}", e);
        }

        if (options.ApplyExifOrientation && image.Metadata.ExifProfile is not null)
        {
            image.Mutate(x => x.AutoOrient());
        }

        return image;
    }

    // Walks the marker segments from SOI (skipping each by its length, so an EXIF thumbnail's own EOI is not mistaken
    // for the image's) and the entropy-coded data after each SOS (where 0xFF is byte-stuffed, so FF xx with xx not 00
    // or a restart marker is the next marker) until EOI. Data appended after EOI is never read.
    private static bool JpegReachesEndOfImage(Stream stream, long start)
    {
        stream.Position = start;
        var reader = new ByteReader(stream);
        if (reader.ReadByte() != 0xFF || reader.ReadByte() != 0xD8) return false;
        while (true)
        {
            int b = reader.ReadByte();
            if (b < 0) return false;
            if (b != 0xFF) continue;
            int marker;
            do marker = reader.ReadByte(); while (marker == 0xFF);
            if (marker < 0) return false;
            if (marker == 0xD9) return true;
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7) or 0x00) continue;
            int hi = reader.ReadByte(), lo = reader.ReadByte();
            if (lo < 0) return false;
            int length = (hi << 8) | lo;
            if (length < 2) return false;
            for (int skipped = 0; skipped < length - 2; skipped++)
            {
                if (reader.ReadByte() < 0) return false;
            }

            // After SOS the entropy-coded data follows; the loop above scans it for the next real marker.
        }
    }

    private sealed class ByteReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _position;
        private int _count;

        public int ReadByte()
        {
            if (_position == _count)
            {
                _count = stream.Read(_buffer, 0, _buffer.Length);
                _position = 0;
                if (_count == 0) return -1;
            }

            return _buffer[_position++];
        }
    }

    private static ImageLoadException Unsupported(string name, Exception? inner) =>
        new(name, ImageLoadFailure.UnsupportedFormat,
            $"The file '{name}' is not an image format that can be read (supported: PNG, JPEG, GIF, BMP, TGA, TIFF, PBM, WebP). Convert it to PNG or JPEG.", inner);

    private static ImageLoadException Corrupt(string name, Exception inner) =>
        new(name, ImageLoadFailure.Corrupt,
            $"The image '{name}' is corrupt or truncated and could not be decoded ({inner.Message}). Re-export or re-download it.", inner);
}
