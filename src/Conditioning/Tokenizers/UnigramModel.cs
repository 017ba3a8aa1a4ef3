namespace Conditioning.Tokenizers;

/// <summary>
/// A SentencePiece Unigram model decoded with Viterbi exactly as Hugging Face's <c>Unigram</c> does: candidate
/// pieces are tried shortest first and replace the best path only when strictly better; a character no piece
/// starts with becomes <c>&lt;unk&gt;</c> scored <c>min_score − 10</c>; consecutive unknowns fuse into one.
/// </summary>
/// <remarks>Immutable after construction; safe for concurrent use.</remarks>
internal sealed class UnigramModel
{
    private const double UnknownPenalty = 10.0;

    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly double[] _scores;
    private readonly double _unknownScore;
    private readonly int _maxPieceLength;

    public UnigramModel(IReadOnlyList<(string Piece, double Score)> pieces, int unkId, string source)
    {
        if (pieces.Count == 0) throw new TokenizerLoadException(source, "the Unigram vocabulary is empty");
        if ((uint)unkId >= (uint)pieces.Count) throw new TokenizerLoadException(source, $"the unknown-token id {unkId} is outside the vocabulary of {pieces.Count}");
        Pieces = new string[pieces.Count];
        _scores = new double[pieces.Count];
        _ids = new Dictionary<string, int>(pieces.Count, StringComparer.Ordinal);
        double min = double.PositiveInfinity;
        for (int id = 0; id < pieces.Count; id++)
        {
            (string piece, double score) = pieces[id];
            Pieces[id] = piece;
            _scores[id] = score;
            _ids.TryAdd(piece, id);
            min = Math.Min(min, score);
            _maxPieceLength = Math.Max(_maxPieceLength, piece.Length);
        }

        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _unknownScore = min - UnknownPenalty;
        UnkId = unkId;
    }

    public string[] Pieces { get; }

    public int UnkId { get; }

    public bool TryGetId(ReadOnlySpan<char> piece, out int id) => _lookup.TryGetValue(piece, out id);

    /// <summary>Segments one pre-tokenized word; returns ids and the UTF-16 length each covers.</summary>
    public EncodedWord Encode(ReadOnlySpan<char> word)
    {
        int n = word.Length;
        if (n == 0) return EncodedWord.Empty;
        var bestScore = new double[n + 1];
        var bestStart = new int[n + 1];
        var bestId = new int[n + 1];
        Array.Fill(bestStart, -1);
        bestStart[0] = 0;

        int start = 0;
        while (start < n)
        {
            int charWidth = char.IsHighSurrogate(word[start]) && start + 1 < n && char.IsLowSurrogate(word[start + 1]) ? 2 : 1;
            double here = bestScore[start];
            bool hasSingle = false;
            int limit = Math.Min(_maxPieceLength, n - start);
            for (int len = 1; len <= limit; len++)
            {
                // Pieces are whole code points: never end a candidate between a surrogate pair.
                if (char.IsHighSurrogate(word[start + len - 1]) && start + len < n && char.IsLowSurrogate(word[start + len])) continue;
                if (!_lookup.TryGetValue(word.Slice(start, len), out int id)) continue;
                int end = start + len;
                double candidate = here + _scores[id];
                if (bestStart[end] < 0 || candidate > bestScore[end])
                {
                    bestScore[end] = candidate;
                    bestStart[end] = start;
                    bestId[end] = id;
                }

                if (len == charWidth) hasSingle = true;
            }

            if (!hasSingle)
            {
                int end = start + charWidth;
                double candidate = here + _unknownScore;
                if (bestStart[end] < 0 || candidate > bestScore[end])
                {
                    bestScore[end] = candidate;
                    bestStart[end] = start;
                    bestId[end] = UnkId;
                }
            }

            start += charWidth;
        }

        var ids = new List<int>();
        var lengths = new List<int>();
        int pos = n;
        while (pos > 0)
        {
            int from = bestStart[pos];
            int id = bestId[pos];
            if (id == UnkId && ids.Count > 0 && ids[^1] == UnkId)
            {
                lengths[^1] += pos - from;
            }
            else
            {
                ids.Add(id);
                lengths.Add(pos - from);
            }

            pos = from;
        }

        ids.Reverse();
        lengths.Reverse();
        return new EncodedWord([.. ids], [.. lengths]);
    }
}
