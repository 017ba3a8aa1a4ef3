using System.Buffers.Binary;
using System.Text;

namespace Conditioning.Tokenizers;

/// <summary>
/// The parts of a SentencePiece <c>ModelProto</c> (<c>spiece.model</c>) a Unigram tokenizer needs, read with a
/// minimal protobuf decoder: pieces with scores and types, the model type and special ids, and the normalizer's
/// precompiled charsmap.
/// </summary>
internal sealed class SentencePieceModelFile
{
    public enum PieceType
    {
        Normal = 1,
        Unknown = 2,
        Control = 3,
        UserDefined = 4,
        Unused = 5,
        Byte = 6,
    }

    private bool _hasTrainerSpec;
    private bool _hasNormalizerSpec;

    public List<(string Piece, float Score, PieceType Type)> Pieces { get; } = [];

    public int ModelType { get; private set; } = 1;

    public int UnkId { get; private set; }

    public int BosId { get; private set; } = 1;

    public int EosId { get; private set; } = 2;

    public int PadId { get; private set; } = -1;

    public bool ByteFallback { get; private set; }

    public string NormalizerName { get; private set; } = "nmt_nfkc";

    public byte[]? PrecompiledCharsMap { get; private set; }

    public bool AddDummyPrefix { get; private set; } = true;

    public static SentencePieceModelFile Read(string path)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e)
        {
            throw new TokenizerLoadException(path, "the SentencePiece model file does not exist", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerLoadException(path, "the SentencePiece model file could not be read: " + e.Message, e);
        }

        var model = new SentencePieceModelFile();
        try
        {
            var reader = new Reader(data);
            while (reader.More)
            {
                (int field, int wire) = reader.Tag();
                switch (field)
                {
                    case 1 when wire == 2:
                        model.ReadPiece(reader.Bytes());
                        break;
                    case 2 when wire == 2:
                        model.ReadTrainerSpec(reader.Bytes());
                        break;
                    case 3 when wire == 2:
                        model.ReadNormalizerSpec(reader.Bytes());
                        break;
                    default:
                        reader.Skip(wire);
                        break;
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentOutOfRangeException or IndexOutOfRangeException or DecoderFallbackException)
        {
            throw new TokenizerLoadException(path, "the file is not a valid SentencePiece model (protobuf ModelProto): " + e.Message, e);
        }

        if (model.Pieces.Count == 0) throw new TokenizerLoadException(path, "the SentencePiece model holds no pieces; is this really a spiece.model?");
        if (!model._hasTrainerSpec || !model._hasNormalizerSpec)
        {
            throw new TokenizerLoadException(path, "the SentencePiece model ends before its trainer/normalizer spec; the file looks truncated");
        }
        return model;
    }

    private void ReadPiece(ReadOnlySpan<byte> bytes)
    {
        var r = new Reader(bytes.ToArray());
        string piece = string.Empty;
        float score = 0;
        var type = PieceType.Normal;
        while (r.More)
        {
            (int field, int wire) = r.Tag();
            if (field == 1 && wire == 2) piece = Encoding.UTF8.GetString(r.Bytes());
            else if (field == 2 && wire == 5) score = r.Float();
            else if (field == 3 && wire == 0) type = (PieceType)(int)r.Varint();
            else r.Skip(wire);
        }

        Pieces.Add((piece, score, type));
    }

    private void ReadTrainerSpec(ReadOnlySpan<byte> bytes)
    {
        _hasTrainerSpec = true;
        var r = new Reader(bytes.ToArray());
        while (r.More)
        {
            (int field, int wire) = r.Tag();
            if (wire != 0)
            {
                r.Skip(wire);
                continue;
            }

            long v = r.Varint();
            switch (field)
            {
                case 3: ModelType = (int)v; break;
                case 35: ByteFallback = v != 0; break;
                case 40: UnkId = (int)v; break;
                case 41: BosId = (int)v; break;
                case 42: EosId = (int)v; break;
                case 43: PadId = (int)v; break;
                default: break;
            }
        }
    }

    private void ReadNormalizerSpec(ReadOnlySpan<byte> bytes)
    {
        _hasNormalizerSpec = true;
        var r = new Reader(bytes.ToArray());
        while (r.More)
        {
            (int field, int wire) = r.Tag();
            if (field == 1 && wire == 2) NormalizerName = Encoding.UTF8.GetString(r.Bytes());
            else if (field == 2 && wire == 2) PrecompiledCharsMap = r.Bytes().ToArray();
            else if (field == 3 && wire == 0) AddDummyPrefix = r.Varint() != 0;
            else r.Skip(wire);
        }
    }

    private sealed class Reader(byte[] data)
    {
        private int _pos;

        public bool More => _pos < data.Length;

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
                if (_pos >= data.Length) throw new InvalidDataException("truncated varint");
                byte b = data[_pos++];
                result |= (long)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return result;
            }

            throw new InvalidDataException("malformed varint");
        }

        public ReadOnlySpan<byte> Bytes()
        {
            long length = Varint();
            if (length < 0 || length > data.Length - _pos) throw new InvalidDataException($"a field of {length} bytes runs past the end of the data");
            var span = new ReadOnlySpan<byte>(data, _pos, (int)length);
            _pos += (int)length;
            return span;
        }

        public float Float()
        {
            if (data.Length - _pos < 4) throw new InvalidDataException("truncated float");
            float f = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(_pos));
            _pos += 4;
            return f;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: Advance(8); break;
                case 2: Bytes(); break;
                case 5: Advance(4); break;
                default: throw new InvalidDataException($"unsupported protobuf wire type {wire}");
            }
        }

        private void Advance(int n)
        {
            if (data.Length - _pos < n) throw new InvalidDataException("truncated field");
            _pos += n;
        }
    }
}
