using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Conditioning.Scoring;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Conditioning.Tests.Scoring;

/// <summary>Bad image files become an <see cref="ImageLoadException"/> that names the file and says why.</summary>
public sealed class ImageLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("conditioning-images-").FullName;

    private static string Fixture(string name) => RepoPaths.Of("tests", "Conditioning.Tests", "Fixtures", "clip-preprocess", "images", name);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static ImageLoadException AssertFails(string path, ImageLoadFailure failure, ImageLoadOptions? options = null)
    {
        ImageLoadException e = Assert.Throws<ImageLoadException>(() => ImageLoader.Load(path, options));
        Assert.Equal(failure, e.Failure);
        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public void RejectsADecompressionBombFromItsHeaderWithoutDecodingIt()
    {
        // A valid 30,000 × 30,000 PNG header with a few bytes of data: decoding would need 2.7 GB.
        string path = Write("bomb.png", Png(30_000, 30_000, idat: ZlibOfZeros(1024)));
        ImageLoadException e = AssertFails(path, ImageLoadFailure.TooLarge);
        Assert.Contains("30000 × 30000", e.Message, StringComparison.Ordinal);
        Assert.Contains("MaxPixels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AppliesAConfigurablePixelLimit()
    {
        string path = Fixture("tiny_20x30.png");
        AssertFails(path, ImageLoadFailure.TooLarge, new ImageLoadOptions { MaxPixels = 599 });
        using Image<Rgb24> image = ImageLoader.Load(path, new ImageLoadOptions { MaxPixels = 600 });
        Assert.Equal((20, 30), (image.Width, image.Height));
    }

    [Fact]
    public void RejectsAPngWhoseDataIsGarbage()
    {
        byte[] bytes = Png(16, 16, idat: [.. Enumerable.Range(0, 200).Select(i => (byte)(i * 37))]);
        AssertFails(Write("garbage.png", bytes), ImageLoadFailure.Corrupt);
    }

    [Fact]
    public void RejectsATruncatedPng()
    {
        byte[] whole = File.ReadAllBytes(Fixture("landscape_150x100.png"));
        AssertFails(Write("truncated.png", whole[..(whole.Length / 2)]), ImageLoadFailure.Corrupt);
    }

    [Fact]
    public void RejectsATruncatedJpeg()
    {
        byte[] whole = File.ReadAllBytes(Fixture("rgb_jpeg_130x90.jpg"));
        AssertFails(Write("truncated.jpg", whole[..(whole.Length / 3)]), ImageLoadFailure.Corrupt);
    }

    [Fact]
    public void AcceptsAJpegWithDataAppendedAfterItsEnd()
    {
        byte[] whole = File.ReadAllBytes(Fixture("rgb_jpeg_130x90.jpg"));
        string path = Write("trailer.jpg", [.. whole, .. Encoding.ASCII.GetBytes("maker trailer"), 0xFF, 0xDA, 0x00]);
        using Image<Rgb24> image = ImageLoader.Load(path);
        Assert.Equal((130, 90), (image.Width, image.Height));
    }

    [Fact]
    public void RejectsAPngCutInsideItsHeader()
    {
        byte[] whole = File.ReadAllBytes(Fixture("landscape_150x100.png"));
        AssertFails(Write("header.png", whole[..20]), ImageLoadFailure.Corrupt);
    }

    [Theory]
    [InlineData("notes.png", "this is not an image, just text with a .png name")]
    [InlineData("drawing.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>")]
    [InlineData("layers.psd", "8BPS\u0001\0\0\0\0\0\0\u0003\0\0\0\u0010\0\0\0\u0010\0\b\0\u0003")]
    [InlineData("empty.jpg", "")]
    public void RejectsFilesInFormatsItCannotRead(string name, string content)
    {
        AssertFails(Write(name, Encoding.Latin1.GetBytes(content)), ImageLoadFailure.UnsupportedFormat);
    }

    [Fact]
    public void ReportsAMissingFileAsFileNotFound()
    {
        string path = Path.Combine(_folder, "missing.png");
        FileNotFoundException e = Assert.Throws<FileNotFoundException>(() => ImageLoader.Load(path));
        Assert.Equal(path, e.FileName);
    }

    [Fact]
    public void TurnsTheImageAsItsExifOrientationSays()
    {
        // Stored 120 × 80 with orientation 6 (rotate 90° clockwise).
        using Image<Rgb24> turned = ImageLoader.Load(Fixture("exif_rotate_120x80.jpg"));
        Assert.Equal((80, 120), (turned.Width, turned.Height));
        using Image<Rgb24> stored = ImageLoader.Load(Fixture("exif_rotate_120x80.jpg"), new ImageLoadOptions { ApplyExifOrientation = false });
        Assert.Equal((120, 80), (stored.Width, stored.Height));
    }

    [Fact]
    public void DropsAlphaWithoutCompositing()
    {
        // PIL's convert("RGB") keeps the colour under a fully transparent pixel; so does the loader.
        using var rgba = new Image<Rgba32>(2, 1);
        rgba[0, 0] = new Rgba32(200, 10, 20, 0);
        rgba[1, 0] = new Rgba32(5, 6, 7, 128);
        string path = Path.Combine(_folder, "alpha.png");
        rgba.SaveAsPng(path);
        using Image<Rgb24> rgb = ImageLoader.Load(path);
        Assert.Equal(new Rgb24(200, 10, 20), rgb[0, 0]);
        Assert.Equal(new Rgb24(5, 6, 7), rgb[1, 0]);
    }

    [Fact]
    public void ReadsFromAStreamThatCannotSeek()
    {
        using var stream = new NonSeekableStream(File.ReadAllBytes(Fixture("gray_90x70.png")));
        using Image<Rgb24> image = ImageLoader.Load(stream, "upload");
        Assert.Equal((90, 70), (image.Width, image.Height));
    }

    private static byte[] Png(int width, int height, byte[] idat)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // RGB
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", idat);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        s.Write(length);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        s.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        s.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }

        return ~crc;
    }

    private static byte[] ZlibOfZeros(int count)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(new byte[count]);
        return output.ToArray();
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Position { get => base.Position; set => throw new NotSupportedException(); }

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }
}
