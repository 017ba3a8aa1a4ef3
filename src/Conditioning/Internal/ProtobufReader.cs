using System.Buffers.Binary;

namespace Conditioning.Internal;

/// <summary>
/// A minimal forward-only protobuf wire-format reader over a seekable stream. Nested messages are read by pushing
/// their end offset (<see cref="EnterMessage"/>), and unwanted fields — including multi-gigabyte weight blobs — are
/// skipped by seeking, so a large ONNX graph can be inspected without loading it.
/// </summary>
/// <remarks>Not thread-safe. Throws <see cref="InvalidDataException"/> on malformed or truncated data.</remarks>
internal sealed class ProtobufReader
{
    private readonly Stream _stream;
    private readonly Stack<long> _ends = new();

    public ProtobufReader(Stream stream)
    {
        if (!stream.CanSeek) throw new ArgumentException("the stream must be seekable", nameof(stream));
        _stream = stream;
        _ends.Push(stream.Length);
    }

    /// <summary>Whether the current message has more fields.</summary>
    public bool More => _stream.Position < _ends.Peek();

    public long Position => _stream.Position;

    /// <summary>Reads a field tag.</summary>
    public (int Field, int Wire) Tag()
    {
        long tag = Varint();
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    public long Varint()
    {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            int b = _stream.ReadByte();
            if (b < 0) throw new InvalidDataException("truncated varint");
            result |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }

        throw new InvalidDataException("malformed varint");
    }

    /// <summary>Reads the length of a length-delimited field and checks it fits in the current message.</summary>
    public long Length()
    {
        long length = Varint();
        if (length < 0 || _stream.Position + length > _ends.Peek()) throw new InvalidDataException($"a field of {length} bytes runs past the end of its message");
        return length;
    }

    public byte[] Bytes()
    {
        long length = Length();
        if (length > int.MaxValue) throw new InvalidDataException($"a field of {length} bytes is too large to read into memory");
        var buffer = new byte[length];
        _stream.ReadExactly(buffer);
        return buffer;
    }

    public string String() => System.Text.Encoding.UTF8.GetString(Bytes());

    public float Float()
    {
        Span<byte> b = stackalloc byte[4];
        ReadExact(b);
        return BinaryPrimitives.ReadSingleLittleEndian(b);
    }

    /// <summary>Enters a length-delimited field as a nested message; pair with <see cref="LeaveMessage"/>.</summary>
    public void EnterMessage()
    {
        long length = Length();
        _ends.Push(_stream.Position + length);
    }

    /// <summary>Skips what is left of the current nested message and returns to its parent.</summary>
    public void LeaveMessage() => _stream.Position = _ends.Pop();

    public void Skip(int wire)
    {
        switch (wire)
        {
            case 0: Varint(); break;
            case 1: Seek(8); break;
            case 2: Seek(Length()); break;
            case 5: Seek(4); break;
            default: throw new InvalidDataException($"unsupported protobuf wire type {wire}");
        }
    }

    /// <summary>Skips <paramref name="count"/> bytes of the current message.</summary>
    public void SkipBytes(long count) => Seek(count);

    private void Seek(long count)
    {
        if (_stream.Position + count > _ends.Peek()) throw new InvalidDataException("a field runs past the end of its message");
        _stream.Position += count;
    }

    private void ReadExact(Span<byte> buffer)
    {
        if (_stream.Position + buffer.Length > _ends.Peek()) throw new InvalidDataException("truncated field");
        _stream.ReadExactly(buffer);
    }
}
