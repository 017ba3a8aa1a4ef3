using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Conditioning.Tokenizers;

/// <summary>
/// SentencePiece's precompiled normalization map (e.g. <c>nmt_nfkc</c>): a Darts-clone double-array trie over UTF-8
/// keys whose values point into a blob of NUL-terminated replacement strings. Applied the way Hugging Face's
/// <c>Precompiled</c> normalizer does: per extended grapheme cluster shorter than 6 bytes, the shortest matching
/// prefix replaces the whole cluster; otherwise each code point is looked up on its own.
/// </summary>
/// <remarks>Immutable after construction; safe for concurrent use.</remarks>
internal sealed class PrecompiledCharsMap
{
    private readonly uint[] _trie;
    private readonly byte[] _normalized;
    private readonly Dictionary<int, string> _replacements = [];
    private readonly string?[] _ascii = new string?[128];

    public PrecompiledCharsMap(ReadOnlySpan<byte> blob, string source)
    {
        if (blob.Length < 4) throw new TokenizerLoadException(source, "the precompiled charsmap is shorter than its 4-byte header");
        uint trieBytes = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieBytes % 4 != 0 || trieBytes > (uint)(blob.Length - 4))
        {
            throw new TokenizerLoadException(source, $"the precompiled charsmap declares a {trieBytes}-byte trie but holds {blob.Length - 4} bytes");
        }

        _trie = new uint[trieBytes / 4];
        for (int i = 0; i < _trie.Length; i++) _trie[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob[(4 + (i * 4))..]);
        _normalized = blob[(4 + (int)trieBytes)..].ToArray();
        int start = 0;
        for (int i = 0; i <= _normalized.Length; i++)
        {
            if (i == _normalized.Length || _normalized[i] == 0)
            {
                _replacements[start] = Encoding.UTF8.GetString(_normalized, start, i - start);
                start = i + 1;
            }
        }

        Span<byte> one = stackalloc byte[1];
        for (int c = 0; c < 128; c++)
        {
            one[0] = (byte)c;
            _ascii[c] = c == 0 ? null : Transform(one);
        }

        AsciiUnchanged = true;
        for (int c = 1; c < 128; c++) AsciiUnchanged &= _ascii[c] is null;
    }

    /// <summary>Whether no ASCII character other than NUL is mapped (never true for nmt_nfkc, which maps controls).</summary>
    public bool AsciiUnchanged { get; }

    /// <summary>Normalizes <paramref name="text"/> (originally at <paramref name="baseOffset"/>) into <paramref name="output"/>.</summary>
    public void Normalize(ReadOnlySpan<char> text, int baseOffset, NormalizedText output)
    {
        Span<byte> utf8 = stackalloc byte[8];
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c < 0x80 && (i + 1 == text.Length || text[i + 1] < 0x80) && c != '\r')
            {
                // A single ASCII character is its own grapheme cluster here (only CR LF joins two ASCII characters).
                string? mapped = c == 0 ? null : _ascii[c];
                if (mapped is null) output.Append(c, baseOffset + i, baseOffset + i + 1);
                else output.Append(mapped, baseOffset + i, baseOffset + i + 1);
                i++;
                continue;
            }

            int length = StringInfo.GetNextTextElementLength(text[i..]);
            ReadOnlySpan<char> grapheme = text.Slice(i, length);
            int byteCount = Encoding.UTF8.GetByteCount(grapheme);
            if (byteCount < 6)
            {
                Encoding.UTF8.GetBytes(grapheme, utf8);
                string? whole = Transform(utf8[..byteCount]);
                if (whole is not null)
                {
                    output.Append(whole, baseOffset + i, baseOffset + i + length);
                    i += length;
                    continue;
                }
            }

            int j = 0;
            while (j < length)
            {
                Rune.DecodeFromUtf16(grapheme[j..], out Rune rune, out int width);
                int n = rune.EncodeToUtf8(utf8);
                string? part = Transform(utf8[..n]);
                if (part is null) output.AppendAligned(grapheme.Slice(j, width), baseOffset + i + j);
                else output.Append(part, baseOffset + i + j, baseOffset + i + j + width);
                j += width;
            }

            i += length;
        }
    }

    /// <summary>The replacement for the shortest key that is a prefix of <paramref name="key"/>, or null.</summary>
    internal string? Transform(ReadOnlySpan<byte> key)
    {
        int nodePos = 0;
        uint unit = _trie[nodePos];
        nodePos ^= Offset(unit);
        foreach (byte b in key)
        {
            if (b == 0) break;
            nodePos ^= b;
            if ((uint)nodePos >= (uint)_trie.Length) return null;
            unit = _trie[nodePos];
            if (Label(unit) != b) return null;
            nodePos ^= Offset(unit);
            if (HasLeaf(unit))
            {
                if ((uint)nodePos >= (uint)_trie.Length) return null;
                int value = (int)(_trie[nodePos] & 0x7FFFFFFF);
                return _replacements.TryGetValue(value, out string? s) ? s : ReadAt(value);
            }
        }

        return null;
    }

    private string ReadAt(int index)
    {
        if (index >= _normalized.Length) return string.Empty;
        int end = Array.IndexOf(_normalized, (byte)0, index);
        return Encoding.UTF8.GetString(_normalized, index, (end < 0 ? _normalized.Length : end) - index);
    }

    private static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;

    private static uint Label(uint unit) => unit & ((1u << 31) | 0xFF);

    private static int Offset(uint unit) => (int)((unit >> 10) << (int)((unit & (1u << 9)) >> 6));
}
