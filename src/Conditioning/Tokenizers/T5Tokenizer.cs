using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Conditioning.Tokenizers;

/// <summary>
/// T5's SentencePiece Unigram tokenizer, producing exactly the ids of Hugging Face's <c>T5TokenizerFast</c>
/// (legacy = false, as FLUX.1's <c>tokenizer_2</c>): special tokens typed in the text are matched first; the rest
/// is normalized with the model's precompiled <c>nmt_nfkc</c> map, stripped on the right, runs of spaces folded,
/// split into <c>▁</c>-prefixed words (Metaspace), segmented by Viterbi with consecutive unknown characters fused
/// into one <c>&lt;unk&gt;</c>; <c>&lt;/s&gt;</c> is appended. Loads <c>tokenizer.json</c> or <c>spiece.model</c>
/// (including models whose <c>bos_id</c> is −1, which Microsoft.ML.Tokenizers cannot load).
/// </summary>
/// <remarks>Immutable after construction and safe to use from many threads at once.</remarks>
public sealed class T5Tokenizer : TextTokenizerBase
{
    private const char Metaspace = '\u2581';

    private readonly UnigramModel _model;
    private readonly PrecompiledCharsMap? _charsMap;
    private readonly (string Text, int Id)[] _addedTokens;
    private readonly HashSet<int> _specialIds;
    private readonly System.Buffers.SearchValues<char> _addedTokenStarts;
    private readonly bool _prependAlways;
    private readonly ConcurrentDictionary<string, EncodedWord> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, EncodedWord>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private readonly int _cacheCapacity;

    private T5Tokenizer(UnigramModel model, PrecompiledCharsMap? charsMap, IEnumerable<(string, int)> addedTokens, int eosId, int padId, bool prependAlways, T5TokenizerOptions options)
    {
        _model = model;
        _charsMap = charsMap;
        _addedTokens = [.. addedTokens.Where(t => t.Item1.Length > 0).OrderByDescending(t => t.Item1.Length)];
        _specialIds = [.. _addedTokens.Select(t => t.Id)];
        _addedTokenStarts = System.Buffers.SearchValues.Create([.. _addedTokens.Select(t => t.Text[0]).Distinct()]);
        _prependAlways = prependAlways;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheCapacity = options.CacheCapacity ?? 65_536;
        EosId = eosId;
        PadId = padId;
        ModelMaxLength = options.ModelMaxLength ?? 512;
    }

    /// <summary>Always <see langword="null"/>: T5 adds no beginning-of-sequence token.</summary>
    public override int? BosId => null;

    /// <inheritdoc/>
    public override int EosId { get; }

    /// <inheritdoc/>
    public override int PadId { get; }

    /// <summary>The id of <c>&lt;unk&gt;</c>.</summary>
    public int UnkId => _model.UnkId;

    /// <inheritdoc/>
    public override int ModelMaxLength { get; }

    /// <inheritdoc/>
    public override int VocabularySize => _model.Pieces.Length;

    /// <summary>Loads a tokenizer folder: <c>tokenizer.json</c> when present, else <c>spiece.model</c> (+ <c>tokenizer_config.json</c>).</summary>
    /// <exception cref="TokenizerLoadException">The folder lacks both files, or one is malformed.</exception>
    public static T5Tokenizer FromFolder(string folder, T5TokenizerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new TokenizerLoadException(folder, "the tokenizer folder does not exist");
        options ??= new T5TokenizerOptions();
        string config = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(config))
        {
            using JsonDocument doc = TokenizerConfig.ReadJson(config);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                options = options with
                {
                    ModelMaxLength = options.ModelMaxLength ?? TokenizerConfig.ModelMaxLength(doc.RootElement),
                    ExtraIds = options.ExtraIds ?? (doc.RootElement.TryGetProperty("extra_ids", out JsonElement e) && e.TryGetInt32(out int n) ? n : null),
                };
            }
        }

        string json = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(json)) return FromTokenizerJson(json, options);
        string spiece = Path.Combine(folder, "spiece.model");
        if (File.Exists(spiece)) return FromSentencePieceModel(spiece, options);
        throw new TokenizerLoadException(folder, "expected tokenizer.json or spiece.model in the T5 tokenizer folder; found neither");
    }

    /// <summary>Loads a SentencePiece Unigram model file (<c>spiece.model</c>), adding T5's <c>&lt;extra_id_N&gt;</c> sentinels.</summary>
    /// <exception cref="TokenizerLoadException">The file is missing, not a SentencePiece model, or not Unigram.</exception>
    public static T5Tokenizer FromSentencePieceModel(string path, T5TokenizerOptions? options = null)
    {
        options ??= new T5TokenizerOptions();
        SentencePieceModelFile spm = SentencePieceModelFile.Read(path);
        if (spm.ModelType != 1) throw new TokenizerLoadException(path, $"expected a Unigram SentencePiece model (type 1), found type {spm.ModelType}");
        var pieces = spm.Pieces.Select(p => (p.Piece, (double)p.Score)).ToList();
        var added = new List<(string, int)>();
        for (int id = 0; id < spm.Pieces.Count; id++)
        {
            if (spm.Pieces[id].Type is SentencePieceModelFile.PieceType.Control or SentencePieceModelFile.PieceType.Unknown or SentencePieceModelFile.PieceType.UserDefined)
            {
                added.Add((spm.Pieces[id].Piece, id));
            }
        }

        int extra = options.ExtraIds ?? 100;
        int baseSize = pieces.Count;
        for (int i = extra - 1; i >= 0; i--)
        {
            string sentinel = string.Create(CultureInfo.InvariantCulture, $"<extra_id_{i}>");
            added.Add((sentinel, pieces.Count));
            pieces.Add((sentinel, 0.0));
        }

        int unk = spm.Pieces.FindIndex(p => p.Type == SentencePieceModelFile.PieceType.Unknown);
        var model = new UnigramModel(pieces, unk >= 0 ? unk : spm.UnkId, path);
        PrecompiledCharsMap? map = spm.PrecompiledCharsMap is { Length: > 0 } blob ? new PrecompiledCharsMap(blob, path) : null;
        int eos = spm.EosId >= 0 && spm.EosId < baseSize ? spm.EosId : throw new TokenizerLoadException(path, "the model has no end-of-sequence piece (eos_id)");
        int pad = spm.PadId >= 0 && spm.PadId < baseSize ? spm.PadId : 0;
        return new T5Tokenizer(model, map, added, eos, pad, prependAlways: false, options);
    }

    /// <summary>Loads a Hugging Face fast-tokenizer file (<c>tokenizer.json</c>) holding a Unigram model.</summary>
    /// <exception cref="TokenizerLoadException">The file is missing, malformed, or not a Unigram tokenizer.</exception>
    public static T5Tokenizer FromTokenizerJson(string path, T5TokenizerOptions? options = null)
    {
        options ??= new T5TokenizerOptions();
        using JsonDocument doc = TokenizerConfig.ReadJson(path);
        try
        {
            JsonElement root = doc.RootElement;
            JsonElement modelJson = root.GetProperty("model");
            string type = modelJson.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "" : "";
            if (type != "Unigram") throw new TokenizerLoadException(path, $"expected a Unigram model, found '{type}'");
            var pieces = new List<(string, double)>();
            foreach (JsonElement p in modelJson.GetProperty("vocab").EnumerateArray()) pieces.Add((p[0].GetString()!, p[1].GetDouble()));
            int unk = modelJson.TryGetProperty("unk_id", out JsonElement u) && u.ValueKind == JsonValueKind.Number ? u.GetInt32() : 2;
            var model = new UnigramModel(pieces, unk, path);

            var added = new List<(string, int)>();
            foreach (JsonElement a in root.GetProperty("added_tokens").EnumerateArray()) added.Add((a.GetProperty("content").GetString()!, a.GetProperty("id").GetInt32()));

            string? charsMap = FindPrecompiledCharsMap(root.GetProperty("normalizer"));
            PrecompiledCharsMap? map = charsMap is null ? null : new PrecompiledCharsMap(Convert.FromBase64String(charsMap), path);
            bool always = root.TryGetProperty("pre_tokenizer", out JsonElement pre) && pre.ValueKind == JsonValueKind.Object
                && pre.TryGetProperty("prepend_scheme", out JsonElement scheme) && scheme.GetString() == "always";
            int eos = model.TryGetId("</s>", out int e) ? e : throw new TokenizerLoadException(path, "the vocabulary has no '</s>' token");
            int pad = model.TryGetId("<pad>", out int padId) ? padId : 0;
            return new T5Tokenizer(model, map, added, eos, pad, always, options);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            throw new TokenizerLoadException(path, "the tokenizer.json does not have the expected Unigram layout: " + e.Message, e);
        }
    }

    /// <inheritdoc/>
    public override string? IdToToken(int id) => (uint)id < (uint)_model.Pieces.Length ? _model.Pieces[id] : null;

    /// <summary>The id of a piece, or <see langword="null"/> when it is not in the vocabulary.</summary>
    public int? TokenToId(string token) => _model.TryGetId(token, out int id) ? id : null;

    /// <inheritdoc/>
    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var sb = new StringBuilder();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && _specialIds.Contains(id)) continue;
            string? piece = IdToToken(id);
            if (piece is not null) sb.Append(piece);
        }

        sb.Replace(Metaspace, ' ');
        return sb.ToString().TrimStart(' ');
    }

    private protected override void EncodeCore(ReadOnlySpan<char> text, bool addSpecialTokens, List<int> ids, List<TokenSpan>? spans)
    {
        int segmentStart = 0;
        int i = 0;
        while (i < text.Length)
        {
            int next = text[i..].IndexOfAny(_addedTokenStarts);
            if (next < 0) break;
            i += next;
            (int length, int id) = MatchAddedToken(text[i..]);
            if (length == 0)
            {
                i++;
                continue;
            }

            EncodeSegment(text[segmentStart..i], segmentStart, ids, spans);
            ids.Add(id);
            spans?.Add(new TokenSpan(i, length));
            i += length;
            segmentStart = i;
        }

        EncodeSegment(text[segmentStart..], segmentStart, ids, spans);
        if (addSpecialTokens)
        {
            ids.Add(EosId);
            spans?.Add(new TokenSpan(text.Length, 0));
        }
    }

    private (int Length, int Id) MatchAddedToken(ReadOnlySpan<char> rest)
    {
        foreach ((string token, int id) in _addedTokens)
        {
            if (rest.StartsWith(token, StringComparison.Ordinal)) return (token.Length, id);
        }

        return (0, 0);
    }

    private void EncodeSegment(ReadOnlySpan<char> segment, int offset, List<int> ids, List<TokenSpan>? spans)
    {
        if (segment.IsEmpty) return;
        using var normalized = new NormalizedText(segment.Length + 16, spans is not null);
        if (_charsMap is null) normalized.AppendAligned(segment, offset);
        else _charsMap.Normalize(segment, offset, normalized);

        // Strip on the right.
        int end = normalized.Length;
        while (end > 0)
        {
            int width = end >= 2 && char.IsLowSurrogate(normalized[end - 1]) && char.IsHighSurrogate(normalized[end - 2]) ? 2 : 1;
            Rune.DecodeFromUtf16(normalized.Span[(end - width)..end], out Rune r, out _);
            if (!Rune.IsWhiteSpace(r)) break;
            end -= width;
        }

        normalized.TruncateTo(end);
        if (end == 0) return;

        // Runs of two or more spaces become one '▁'; single spaces become '▁' (Metaspace); '▁' is prepended to the
        // segment that starts the text (or to every segment with the "always" scheme).
        using var words = new NormalizedText(end + 1, spans is not null);
        ReadOnlySpan<char> s = normalized.Span;
        bool track = spans is not null;
        bool startsWithSpace = s[0] == ' ' || s[0] == Metaspace;
        if (!startsWithSpace && (_prependAlways || offset == 0))
        {
            int at = track ? normalized.OriginalStart(0) : 0;
            words.Append(Metaspace, at, at);
        }

        for (int i = 0; i < end;)
        {
            if (s[i] != ' ')
            {
                words.Append(s[i], track ? normalized.OriginalStart(i) : 0, track ? normalized.OriginalEnd(i) : 0);
                i++;
                continue;
            }

            int j = i + 1;
            while (j < end && s[j] == ' ') j++;
            words.Append(Metaspace, track ? normalized.OriginalStart(i) : 0, track ? normalized.OriginalEnd(j - 1) : 0);
            i = j;
        }

        // Split before every '▁' (merged with what follows) and segment each word.
        ReadOnlySpan<char> w = words.Span;
        int wordStart = 0;
        for (int i = 1; i <= w.Length; i++)
        {
            if (i < w.Length && w[i] != Metaspace) continue;
            EncodeWord(words, wordStart, i, ids, spans);
            wordStart = i;
        }
    }

    private void EncodeWord(NormalizedText words, int start, int end, List<int> ids, List<TokenSpan>? spans)
    {
        ReadOnlySpan<char> word = words.Span[start..end];
        if (!_cacheLookup.TryGetValue(word, out EncodedWord? encoded))
        {
            encoded = _model.Encode(word);
            if (_cache.Count >= _cacheCapacity) _cache.Clear();
            _cacheLookup.TryAdd(word, encoded);
        }

        ids.AddRange(encoded.Ids);
        if (spans is null) return;
        int pos = start;
        foreach (int length in encoded.Lengths)
        {
            spans.Add(words.MapToOriginal(pos, pos + length));
            pos += length;
        }
    }

    private static string? FindPrecompiledCharsMap(JsonElement normalizer)
    {
        if (normalizer.ValueKind != JsonValueKind.Object) return null;
        string? type = normalizer.TryGetProperty("type", out JsonElement t) ? t.GetString() : null;
        if (type == "Precompiled") return normalizer.GetProperty("precompiled_charsmap").GetString();
        if (type == "Sequence")
        {
            foreach (JsonElement n in normalizer.GetProperty("normalizers").EnumerateArray())
            {
                string? found = FindPrecompiledCharsMap(n);
                if (found is not null) return found;
            }
        }

        return null;
    }
}
