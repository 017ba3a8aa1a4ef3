using System.Text;

namespace Conditioning.Tokenizers;

/// <summary>
/// Byte-level BPE with an end-of-word suffix (CLIP's flavour): a word's UTF-8 bytes become alphabet symbols, the
/// last one carrying <c>&lt;/w&gt;</c>, then merges are applied lowest rank first, leftmost first on ties — the
/// order of the Hugging Face implementation. O(n log n) in the word length, so a pathological 1 MB word cannot hang.
/// </summary>
/// <remarks>Immutable after construction; safe for concurrent use.</remarks>
internal sealed class BpeModel
{
    private readonly Dictionary<long, (int Rank, int Id)> _merges;
    private readonly int[] _byteIds = new int[256];
    private readonly int[] _byteEndIds = new int[256];

    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, string endOfWordSuffix, int unkId, string mergesSource)
    {
        Vocab = vocab;
        UnkId = unkId;
        int maxId = -1;
        foreach (int id in vocab.Values) maxId = Math.Max(maxId, id);
        IdToToken = new string[maxId + 1];
        foreach ((string token, int id) in vocab) IdToToken[id] = token;

        for (int b = 0; b < 256; b++)
        {
            string symbol = ByteLevelAlphabet.ByteToChar[b].ToString();
            _byteIds[b] = vocab.TryGetValue(symbol, out int id) ? id : unkId;
            _byteEndIds[b] = vocab.TryGetValue(symbol + endOfWordSuffix, out int endId) ? endId : unkId;
        }

        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            (string left, string right) = merges[rank];
            if (!vocab.TryGetValue(left, out int l) || !vocab.TryGetValue(right, out int r) || !vocab.TryGetValue(left + right, out int merged))
            {
                throw new TokenizerLoadException(mergesSource, $"merge #{rank + 1} '{left} {right}' refers to a symbol missing from the vocabulary");
            }

            _merges.TryAdd(Key(l, r), (rank, merged));
        }
    }

    public Dictionary<string, int> Vocab { get; }

    public string?[] IdToToken { get; }

    public int UnkId { get; }

    /// <summary>Encodes one pre-tokenized word. Returns the ids and, per id, the UTF-8 byte length it covers.</summary>
    public EncodedWord Encode(ReadOnlySpan<char> word)
    {
        int byteCount = Encoding.UTF8.GetByteCount(word);
        if (byteCount == 0) return EncodedWord.Empty;
        byte[] bytes = new byte[byteCount];
        Encoding.UTF8.GetBytes(word, bytes);

        int n = bytes.Length;
        var ids = new int[n];
        var lens = new int[n];
        var prev = new int[n];
        var next = new int[n];
        for (int i = 0; i < n; i++)
        {
            ids[i] = i == n - 1 ? _byteEndIds[bytes[i]] : _byteIds[bytes[i]];
            lens[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }

        var queue = new PriorityQueue<(int Pos, int Right, int LeftId, int RightId, int NewId), (int Rank, int Pos)>(n);
        for (int i = 0; i + 1 < n; i++) TryQueue(queue, ids, i, i + 1);

        int alive = n;
        while (queue.TryDequeue(out var m, out _))
        {
            if (lens[m.Pos] == 0 || next[m.Pos] != m.Right || ids[m.Pos] != m.LeftId || ids[m.Right] != m.RightId)
            {
                continue;
            }

            ids[m.Pos] = m.NewId;
            lens[m.Pos] += lens[m.Right];
            lens[m.Right] = 0;
            int after = next[m.Right];
            next[m.Pos] = after;
            if (after >= 0) prev[after] = m.Pos;
            alive--;
            if (prev[m.Pos] >= 0) TryQueue(queue, ids, prev[m.Pos], m.Pos);
            if (after >= 0) TryQueue(queue, ids, m.Pos, after);
        }

        var outIds = new int[alive];
        var outLens = new int[alive];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i])
        {
            outIds[k] = ids[i];
            outLens[k] = lens[i];
            k++;
        }

        return new EncodedWord(outIds, outLens);
    }

    private void TryQueue(PriorityQueue<(int, int, int, int, int), (int, int)> queue, int[] ids, int left, int right)
    {
        if (_merges.TryGetValue(Key(ids[left], ids[right]), out var merge))
        {
            queue.Enqueue((left, right, ids[left], ids[right], merge.Id), (merge.Rank, left));
        }
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}

/// <summary>
/// An encoded word: token ids and the length each covers — UTF-8 bytes for byte-level BPE, UTF-16 code units for Unigram.
/// </summary>
internal sealed record EncodedWord(int[] Ids, int[] Lengths)
{
    public static readonly EncodedWord Empty = new([], []);
}
