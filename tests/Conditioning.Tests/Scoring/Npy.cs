using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Conditioning.Tests.Scoring;

/// <summary>Reads little-endian float32 C-order .npy files (format 1.0/2.0), as the Python fixture scripts write them.</summary>
internal static partial class Npy
{
    public static (float[] Data, int[] Shape) ReadFloat32(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
        {
            throw new InvalidDataException($"'{path}' is not a .npy file.");
        }

        int major = bytes[6];
        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int headerStart = major == 1 ? 10 : 12;
        string header = Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        if (!header.Contains("'descr': '<f4'", StringComparison.Ordinal) || !header.Contains("'fortran_order': False", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{path}' is not little-endian float32 in C order: {header}");
        }

        Match shape = ShapePattern().Match(header);
        int[] dims = [.. shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        int count = dims.Aggregate(1, (a, d) => a * d);
        var data = new float[count];
        Buffer.BlockCopy(bytes, headerStart + headerLength, data, 0, count * sizeof(float));
        return (data, dims);
    }

    [GeneratedRegex(@"'shape': \(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
