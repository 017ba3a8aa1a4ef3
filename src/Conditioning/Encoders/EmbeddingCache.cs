using Conditioning.Onnx;

namespace Conditioning.Encoders;

/// <summary>
/// A bounded least-recently-used cache of encoder outputs, keyed by (model, token ids, options), so re-encoding the
/// same prompt or negative prompt — every generation, every CFG batch — costs nothing. Shared by any number of
/// encoders; keys include the model path so they never collide.
/// </summary>
/// <remarks>Thread-safe. Capacity is in stored floats (4 bytes each); least recently used entries are evicted.</remarks>
public sealed class EmbeddingCache
{
    private readonly object _gate = new();
    private readonly Dictionary<EmbeddingCacheKey, LinkedListNode<(EmbeddingCacheKey Key, ModelTensor<float>[] Value, long Size)>> _map = [];
    private readonly LinkedList<(EmbeddingCacheKey Key, ModelTensor<float>[] Value, long Size)> _lru = new();
    private long _size;
    private long _hits;
    private long _misses;

    /// <summary>Creates a cache holding at most <paramref name="capacityFloats"/> floats (default 64 Mi floats = 256 MiB).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The capacity is not positive.</exception>
    public EmbeddingCache(long capacityFloats = 64L << 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityFloats, 1);
        CapacityFloats = capacityFloats;
    }

    /// <summary>The most floats the cache keeps.</summary>
    public long CapacityFloats { get; }

    /// <summary>Lookups that found an entry.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that did not.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Entries currently held.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _map.Count;
        }
    }

    /// <summary>Looks up an entry; counts a hit or a miss.</summary>
    public bool TryGet(EmbeddingCacheKey key, out ModelTensor<float>[] value)
    {
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                _hits++;
                value = node.Value.Value;
                return true;
            }

            _misses++;
            value = [];
            return false;
        }
    }

    /// <summary>Stores an entry (replacing any with the same key), evicting least recently used ones to stay within capacity.</summary>
    public void Set(EmbeddingCacheKey key, ModelTensor<float>[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        long size = value.Sum(v => (long)v.Data.Length);
        if (size > CapacityFloats) return;
        lock (_gate)
        {
            if (_map.Remove(key, out var old))
            {
                _lru.Remove(old);
                _size -= old.Value.Size;
            }

            _map[key] = _lru.AddFirst((key, value, size));
            _size += size;
            while (_size > CapacityFloats && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.Key);
                _size -= last.Value.Size;
            }
        }
    }

    /// <summary>Removes every entry (counters are kept).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _map.Clear();
            _lru.Clear();
            _size = 0;
        }
    }
}
