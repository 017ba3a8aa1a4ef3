using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Conditioning.Tokenizers;

/// <summary>
/// CLIP's byte-level BPE tokenizer, producing exactly the ids of Hugging Face's <c>CLIPTokenizerFast</c>
/// (and transformers v5's <c>CLIPTokenizer</c>): NFC, whitespace runs folded to one space, per-character full
/// lower-casing, CLIP's split pattern evaluated on code points, byte-level BPE with <c>&lt;/w&gt;</c>, and
/// <c>&lt;|startoftext|&gt;</c>/<c>&lt;|endoftext|&gt;</c> added around the result. A literal
/// <c>&lt;|endoftext|&gt;</c> in the text is the EOS token; <c>&lt;|startoftext|&gt;</c> is matched after
/// normalization (so any casing of it is BOS), as in the reference.
/// </summary>
/// <remarks>
/// Immutable after construction and safe to use from many threads at once; the per-word BPE cache is concurrent
/// and bounded (<see cref="ClipTokenizerOptions.CacheCapacity"/>).
/// </remarks>
public sealed class ClipTokenizer : TextTokenizerBase
{
    private const string StartOfText = "<|startoftext|>";
    private const string EndOfText = "<|endoftext|>";
    private const string EndOfWord = "</w>";

    private readonly BpeModel _bpe;
    private readonly ConcurrentDictionary<string, EncodedWord> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, EncodedWord>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private readonly int _cacheCapacity;

    private ClipTokenizer(BpeModel bpe, int padId, int modelMaxLength, int cacheCapacity, string source)
    {
        _bpe = bpe;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheCapacity = cacheCapacity;
        BosId = bpe.Vocab.TryGetValue(StartOfText, out int bos) ? bos : throw new TokenizerLoadException(source, $"the vocabulary has no '{StartOfText}' token");
        EosId = bpe.Vocab.TryGetValue(EndOfText, out int eos) ? eos : throw new TokenizerLoadException(source, $"the vocabulary has no '{EndOfText}' token");
        PadId = padId;
        ModelMaxLength = modelMaxLength;
    }

    /// <inheritdoc/>
    public override int? BosId { get; }

    /// <inheritdoc/>
    public override int EosId { get; }

    /// <inheritdoc/>
    public override int PadId { get; }

    /// <inheritdoc/>
    public override int ModelMaxLength { get; }

    /// <inheritdoc/>
    public override int VocabularySize => _bpe.IdToToken.Length;

    /// <summary>
    /// Loads a diffusers/transformers tokenizer folder: <c>vocab.json</c> + <c>merges.txt</c>, or else
    /// <c>tokenizer.json</c>; <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> supply the pad token
    /// and context length when present.
    /// </summary>
    /// <exception cref="TokenizerLoadException">The folder lacks the files, or one is malformed.</exception>
    public static ClipTokenizer FromFolder(string folder, ClipTokenizerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new TokenizerLoadException(folder, "the tokenizer folder does not exist");
        string vocab = Path.Combine(folder, "vocab.json");
        string merges = Path.Combine(folder, "merges.txt");
        string json = Path.Combine(folder, "tokenizer.json");
        options = TokenizerConfig.FillClipOptions(folder, options ?? new ClipTokenizerOptions());
        if (File.Exists(vocab) && File.Exists(merges)) return FromVocabAndMerges(vocab, merges, options);
        if (File.Exists(json)) return FromTokenizerJson(json, options);
        throw new TokenizerLoadException(folder, "expected vocab.json + merges.txt, or tokenizer.json, in the CLIP tokenizer folder; found neither");
    }

    /// <summary>Loads CLIP's <c>vocab.json</c> (token → id) and <c>merges.txt</c> (one merge per line, ranked by order).</summary>
    /// <exception cref="TokenizerLoadException">A file is missing or malformed.</exception>
    public static ClipTokenizer FromVocabAndMerges(string vocabPath, string mergesPath, ClipTokenizerOptions? options = null)
    {
        Dictionary<string, int> vocab = ReadVocab(vocabPath);
        List<(string, string)> merges = ReadMergesText(mergesPath);
        return Create(vocab, merges, options, mergesPath);
    }

    /// <summary>Loads a Hugging Face fast-tokenizer file (<c>tokenizer.json</c>) holding a BPE model.</summary>
    /// <exception cref="TokenizerLoadException">The file is missing, malformed, or not a BPE tokenizer.</exception>
    public static ClipTokenizer FromTokenizerJson(string tokenizerJsonPath, ClipTokenizerOptions? options = null)
    {
        using JsonDocument doc = TokenizerConfig.ReadJson(tokenizerJsonPath);
        try
        {
            JsonElement model = doc.RootElement.GetProperty("model");
            string type = model.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "" : "";
            if (type != "BPE") throw new TokenizerLoadException(tokenizerJsonPath, $"expected a BPE model, found '{type}'");
            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (JsonProperty p in model.GetProperty("vocab").EnumerateObject()) vocab[p.Name] = p.Value.GetInt32();
            var merges = new List<(string, string)>();
            foreach (JsonElement m in model.GetProperty("merges").EnumerateArray())
            {
                if (m.ValueKind == JsonValueKind.Array)
                {
                    merges.Add((m[0].GetString()!, m[1].GetString()!));
                }
                else
                {
                    merges.Add(SplitMerge(m.GetString()!, tokenizerJsonPath, merges.Count + 1));
                }
            }

            return Create(vocab, merges, options, tokenizerJsonPath);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new TokenizerLoadException(tokenizerJsonPath, "the tokenizer.json does not have the expected BPE model layout: " + e.Message, e);
        }
    }

    /// <inheritdoc/>
    public override string? IdToToken(int id) => (uint)id < (uint)_bpe.IdToToken.Length ? _bpe.IdToToken[id] : null;

    /// <summary>The id of a vocabulary string, or <see langword="null"/> when it is not in the vocabulary.</summary>
    public int? TokenToId(string token) => _bpe.Vocab.TryGetValue(token, out int id) ? id : null;

    /// <inheritdoc/>
    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            if (id == BosId || id == EosId)
            {
                if (!skipSpecialTokens)
                {
                    Flush(bytes, text);
                    text.Append(id == BosId ? StartOfText : EndOfText);
                }

                continue;
            }

            string? token = IdToToken(id);
            if (token is null) continue;
            bool endOfWord = token.EndsWith(EndOfWord, StringComparison.Ordinal);
            ReadOnlySpan<char> body = endOfWord ? token.AsSpan(0, token.Length - EndOfWord.Length) : token;
            foreach (char c in body)
            {
                int b = c < ByteLevelAlphabet.CharToByte.Length ? ByteLevelAlphabet.CharToByte[c] : -1;
                if (b >= 0) bytes.Add((byte)b);
            }

            if (endOfWord)
            {
                Flush(bytes, text);
                text.Append(' ');
            }
        }

        Flush(bytes, text);
        return CleanUpTokenizationSpaces(text.ToString().Trim());

        static void Flush(List<byte> bytes, StringBuilder text)
        {
            if (bytes.Count == 0) return;
            text.Append(Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
    }

    /// <summary>transformers' <c>clean_up_tokenization</c>, which CLIP's tokenizer config enables.</summary>
    private static string CleanUpTokenizationSpaces(string text) => text
        .Replace(" .", ".", StringComparison.Ordinal).Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal).Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal).Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal).Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal).Replace(" 're", "'re", StringComparison.Ordinal);

    private protected override void EncodeCore(ReadOnlySpan<char> text, bool addSpecialTokens, List<int> ids, List<TokenSpan>? spans)
    {
        if (addSpecialTokens)
        {
            ids.Add(BosId!.Value);
            spans?.Add(new TokenSpan(0, 0));
        }

        // The non-normalized added token <|endoftext|> is split out of the raw text first.
        int offset = 0;
        while (offset <= text.Length)
        {
            int hit = text[offset..].IndexOf(EndOfText, StringComparison.Ordinal);
            int segmentEnd = hit < 0 ? text.Length : offset + hit;
            EncodeSegment(text[offset..segmentEnd], offset, ids, spans);
            if (hit < 0) break;
            ids.Add(EosId);
            spans?.Add(new TokenSpan(segmentEnd, EndOfText.Length));
            offset = segmentEnd + EndOfText.Length;
        }

        if (addSpecialTokens)
        {
            ids.Add(EosId);
            spans?.Add(new TokenSpan(text.Length, 0));
        }
    }

    private void EncodeSegment(ReadOnlySpan<char> segment, int baseOffset, List<int> ids, List<TokenSpan>? spans)
    {
        if (segment.IsEmpty) return;
        using var normalized = new NormalizedText(segment.Length + 16, spans is not null);
        Normalize(segment, baseOffset, normalized);
        ReadOnlySpan<char> norm = normalized.Span;

        // The normalized added token <|startoftext|> is split out after normalization.
        int pos = 0;
        while (pos < norm.Length)
        {
            int hit = norm[pos..].IndexOf(StartOfText, StringComparison.Ordinal);
            int end = hit < 0 ? norm.Length : pos + hit;
            SplitAndEncode(normalized, pos, end, ids, spans);
            if (hit < 0) break;
            ids.Add(BosId!.Value);
            spans?.Add(normalized.MapToOriginal(end, end + StartOfText.Length));
            pos = end + StartOfText.Length;
        }
    }

    /// <summary>NFC, then every whitespace run to one space, then per-code-point full lower-casing.</summary>
    private static void Normalize(ReadOnlySpan<char> raw, int baseOffset, NormalizedText output)
    {
        if (System.Text.Ascii.IsValid(raw))
        {
            FoldAndLower(raw, null, baseOffset, output);
            return;
        }

        // NFC per run that starts at an ASCII character: ASCII never composes with what precedes it, so the NFC
        // of the whole is the concatenation of the runs' NFC, and unchanged runs keep a one-to-one alignment.
        using var composed = new NormalizedText(raw.Length + 16, output.TracksAlignment);
        int start = 0;
        while (start < raw.Length)
        {
            int end = start + 1;
            while (end < raw.Length && !char.IsAscii(raw[end])) end++;
            ReadOnlySpan<char> run = raw[start..end];
            if (run.Length == 1 || run.IsNormalized(NormalizationForm.FormC))
            {
                composed.AppendAligned(run, baseOffset + start);
            }
            else
            {
                composed.Append(run.ToString().Normalize(NormalizationForm.FormC), baseOffset + start, baseOffset + end);
            }

            start = end;
        }

        FoldAndLower(composed.Span, composed, 0, output);
    }

    private static void FoldAndLower(ReadOnlySpan<char> text, NormalizedText? alignment, int baseOffset, NormalizedText output)
    {
        bool track = output.TracksAlignment;
        Span<char> buffer = stackalloc char[2];
        int i = 0;
        while (i < text.Length)
        {
            Rune.DecodeFromUtf16(text[i..], out Rune rune, out int width);
            int j = i + width;
            if (Rune.IsWhiteSpace(rune))
            {
                while (j < text.Length)
                {
                    Rune.DecodeFromUtf16(text[j..], out Rune next, out int w);
                    if (!Rune.IsWhiteSpace(next)) break;
                    j += w;
                }
            }

            int origStart = !track ? 0 : alignment is null ? baseOffset + i : alignment.OriginalStart(i);
            int origEnd = !track ? 0 : alignment is null ? baseOffset + j : alignment.OriginalEnd(j - 1);
            if (Rune.IsWhiteSpace(rune))
            {
                output.Append(' ', origStart, origEnd);
            }
            else if (rune.Value < 0x80)
            {
                char c = (char)rune.Value;
                output.Append(c is >= 'A' and <= 'Z' ? (char)(c + 32) : c, origStart, origEnd);
            }
            else if (rune.Value == 0x130)
            {
                // Full lower-case mapping (SpecialCasing.txt): 'İ' → 'i' + U+0307, as Rust's char::to_lowercase does.
                output.Append("i\u0307", origStart, origEnd);
            }
            else
            {
                int written = Rune.ToLowerInvariant(rune).EncodeToUtf16(buffer);
                output.Append(buffer[..written], origStart, origEnd);
            }

            i = j;
        }
    }

    /// <summary>CLIP's split pattern on code points, then byte-level BPE of each piece.</summary>
    private void SplitAndEncode(NormalizedText normalized, int start, int end, List<int> ids, List<TokenSpan>? spans)
    {
        ReadOnlySpan<char> s = normalized.Span;
        int i = start;
        while (i < end)
        {
            ReadOnlySpan<char> rest = s[i..end];
            if (rest.StartsWith(StartOfText, StringComparison.Ordinal) || rest.StartsWith(EndOfText, StringComparison.Ordinal))
            {
                // The pattern keeps the tag whole, but the byte-level pre-tokenizer then splits it like GPT-2 would.
                int len = rest.StartsWith(StartOfText, StringComparison.Ordinal) ? StartOfText.Length : EndOfText.Length;
                EncodePiece(normalized, i, i + 2, ids, spans);
                EncodePiece(normalized, i + 2, i + len - 2, ids, spans);
                EncodePiece(normalized, i + len - 2, i + len, ids, spans);
                i += len;
                continue;
            }

            if (rest[0] == '\'' && rest.Length > 1)
            {
                int contraction = ContractionLength(rest);
                if (contraction > 0)
                {
                    EncodePiece(normalized, i, i + contraction, ids, spans);
                    i += contraction;
                    continue;
                }
            }

            Rune.DecodeFromUtf16(rest, out Rune rune, out int width);
            if (Rune.IsWhiteSpace(rune))
            {
                i += width;
                continue;
            }

            int j = i + width;
            if (Rune.IsLetter(rune))
            {
                while (j < end)
                {
                    Rune.DecodeFromUtf16(s[j..end], out Rune next, out int w);
                    if (!Rune.IsLetter(next)) break;
                    j += w;
                }
            }
            else if (!Rune.IsNumber(rune))
            {
                while (j < end)
                {
                    Rune.DecodeFromUtf16(s[j..end], out Rune next, out int w);
                    if (Rune.IsWhiteSpace(next) || Rune.IsLetter(next) || Rune.IsNumber(next)) break;
                    j += w;
                }
            }

            EncodePiece(normalized, i, j, ids, spans);
            i = j;
        }
    }

    private static int ContractionLength(ReadOnlySpan<char> rest)
    {
        char a = rest[1];
        if (a is 's' or 't' or 'm' or 'd') return 2;
        if (rest.Length > 2)
        {
            char b = rest[2];
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
        }

        return 0;
    }

    private void EncodePiece(NormalizedText normalized, int start, int end, List<int> ids, List<TokenSpan>? spans)
    {
        ReadOnlySpan<char> piece = normalized.Span[start..end];
        if (!_cacheLookup.TryGetValue(piece, out EncodedWord? word))
        {
            word = _bpe.Encode(piece);
            if (_cache.Count >= _cacheCapacity) _cache.Clear();
            _cacheLookup.TryAdd(piece, word);
        }

        ids.AddRange(word.Ids);
        if (spans is null) return;

        // Walk the piece's characters to turn each token's UTF-8 byte length into a character range.
        int charPos = start;
        int bytesLeftInChar = 0;
        for (int t = 0; t < word.Ids.Length; t++)
        {
            int tokenStart = bytesLeftInChar > 0 ? charPos - CharWidthBefore(normalized, charPos) : charPos;
            int need = word.Lengths[t];
            while (need > 0)
            {
                if (bytesLeftInChar == 0)
                {
                    Rune.DecodeFromUtf16(normalized.Span[charPos..end], out Rune r, out int w);
                    bytesLeftInChar = r.Utf8SequenceLength;
                    charPos += w;
                }

                int take = Math.Min(need, bytesLeftInChar);
                need -= take;
                bytesLeftInChar -= take;
            }

            spans.Add(normalized.MapToOriginal(tokenStart, charPos));
        }
    }

    private static int CharWidthBefore(NormalizedText normalized, int pos) =>
        pos >= 2 && char.IsLowSurrogate(normalized[pos - 1]) && char.IsHighSurrogate(normalized[pos - 2]) ? 2 : 1;

    private static ClipTokenizer Create(Dictionary<string, int> vocab, List<(string, string)> merges, ClipTokenizerOptions? options, string source)
    {
        options ??= new ClipTokenizerOptions();
        int unk = vocab.TryGetValue(EndOfText, out int eos) ? eos : throw new TokenizerLoadException(source, $"the vocabulary has no '{EndOfText}' token");
        var bpe = new BpeModel(vocab, merges, EndOfWord, unk, source);
        int padId = options.PadId
            ?? (options.PadToken is null ? eos
                : vocab.TryGetValue(options.PadToken, out int p) ? p
                : throw new TokenizerLoadException(source, $"the pad token '{options.PadToken}' is not in the vocabulary"));
        return new ClipTokenizer(bpe, padId, options.ModelMaxLength ?? 77, options.CacheCapacity ?? 65_536, source);
    }

    private static Dictionary<string, int> ReadVocab(string path)
    {
        using JsonDocument doc = TokenizerConfig.ReadJson(path);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerLoadException(path, "vocab.json must be a JSON object mapping tokens to ids");
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty p in doc.RootElement.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
            {
                throw new TokenizerLoadException(path, $"the id of token '{p.Name}' is not a non-negative integer");
            }

            vocab[p.Name] = id;
        }

        if (vocab.Count == 0) throw new TokenizerLoadException(path, "the vocabulary is empty");
        return vocab;
    }

    private static List<(string, string)> ReadMergesText(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerLoadException(path, "the merges file could not be read: " + e.Message, e);
        }

        var merges = new List<(string, string)>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0 || (i == 0 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            merges.Add(SplitMerge(line, path, i + 1));
        }

        return merges;
    }

    private static (string, string) SplitMerge(string line, string path, int lineNumber)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
        {
            throw new TokenizerLoadException(path, string.Create(CultureInfo.InvariantCulture, $"merge {lineNumber} ('{line}') is not two symbols separated by one space"));
        }

        return (line[..space], line[(space + 1)..]);
    }
}
