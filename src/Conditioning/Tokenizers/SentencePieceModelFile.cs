using System.Text;
using Conditioning.Internal;

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
            using var stream = new MemoryStream(data, writable: false);
            var reader = new ProtobufReader(stream);
            while (reader.More)
            {
                (int field, int wire) = reader.Tag();
                switch (field)
                {
                    case 1 when wire == 2:
                        reader.EnterMessage();
                        model.ReadPiece(reader);
                        reader.LeaveMessage();
                        break;
                    case 2 when wire == 2:
                        reader.EnterMessage();
                        model.ReadTrainerSpec(reader);
                        reader.LeaveMessage();
                        break;
                    case 3 when wire == 2:
                        reader.EnterMessage();
                        model.ReadNormalizerSpec(reader);
                        reader.LeaveMessage();
                        break;
                    default:
                        reader.Skip(wire);
                        break;
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentOutOfRangeException or DecoderFallbackException)
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

    private void ReadPiece(ProtobufReader r)
    {
        string piece = string.Empty;
        float score = 0;
        var type = PieceType.Normal;
        while (r.More)
        {
            (int field, int wire) = r.Tag();
            if (field == 1 && wire == 2) piece = r.String();
            else if (field == 2 && wire == 5) score = r.Float();
            else if (field == 3 && wire == 0) type = (PieceType)(int)r.Varint();
            else r.Skip(wire);
        }

        Pieces.Add((piece, score, type));
    }

    private void ReadTrainerSpec(ProtobufReader r)
    {
        _hasTrainerSpec = true;
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

    private void ReadNormalizerSpec(ProtobufReader r)
    {
        _hasNormalizerSpec = true;
        while (r.More)
        {
            (int field, int wire) = r.Tag();
            if (field == 1 && wire == 2) NormalizerName = r.String();
            else if (field == 2 && wire == 2) PrecompiledCharsMap = r.Bytes();
            else if (field == 3 && wire == 0) AddDummyPrefix = r.Varint() != 0;
            else r.Skip(wire);
        }
    }
}
