using System.Buffers;

namespace Conditioning.Tokenizers;

/// <summary>
/// A normalized string under construction, with an optional alignment back to the original text: for each
/// normalized character, the original range <c>[start, end)</c> it came from. Alignment is what lets a tokenizer
/// report the character span of every token after NFC, lower-casing or whitespace folding changed the text.
/// </summary>
/// <remarks>Not thread-safe; one instance per encode call. Return it with <see cref="Dispose"/>.</remarks>
internal sealed class NormalizedText : IDisposable
{
    private char[] _chars;
    private int[]? _starts;
    private int[]? _ends;

    public NormalizedText(int capacity, bool trackAlignment)
    {
        _chars = ArrayPool<char>.Shared.Rent(Math.Max(capacity, 16));
        if (trackAlignment)
        {
            _starts = ArrayPool<int>.Shared.Rent(_chars.Length);
            _ends = ArrayPool<int>.Shared.Rent(_chars.Length);
        }
    }

    public int Length { get; private set; }

    public bool TracksAlignment => _starts is not null;

    public ReadOnlySpan<char> Span => _chars.AsSpan(0, Length);

    public char this[int index] => _chars[index];

    /// <summary>Original start of normalized character <paramref name="index"/> (only when alignment is tracked).</summary>
    public int OriginalStart(int index) => _starts![index];

    /// <summary>Original end of normalized character <paramref name="index"/> (only when alignment is tracked).</summary>
    public int OriginalEnd(int index) => _ends![index];

    /// <summary>Maps the normalized range <c>[start, end)</c> to the original text; an empty range maps to an empty span.</summary>
    public TokenSpan MapToOriginal(int start, int end)
    {
        if (_starts is null || end <= start)
        {
            int at = _starts is null || Length == 0 ? 0 : start < Length ? _starts[start] : _ends![Length - 1];
            return new TokenSpan(at, 0);
        }

        int s = _starts[start];
        int e = _ends![end - 1];
        for (int i = start + 1; i < end; i++)
        {
            s = Math.Min(s, _starts[i]);
            e = Math.Max(e, _ends[i]);
        }

        return new TokenSpan(s, e - s);
    }

    public void Append(char c, int originalStart, int originalEnd)
    {
        EnsureCapacity(Length + 1);
        _chars[Length] = c;
        if (_starts is not null)
        {
            _starts[Length] = originalStart;
            _ends![Length] = originalEnd;
        }

        Length++;
    }

    public void Append(ReadOnlySpan<char> text, int originalStart, int originalEnd)
    {
        EnsureCapacity(Length + text.Length);
        text.CopyTo(_chars.AsSpan(Length));
        if (_starts is not null)
        {
            _starts.AsSpan(Length, text.Length).Fill(originalStart);
            _ends.AsSpan(Length, text.Length).Fill(originalEnd);
        }

        Length += text.Length;
    }

    /// <summary>Appends text whose characters map one to one onto the original, starting at <paramref name="originalStart"/>.</summary>
    public void AppendAligned(ReadOnlySpan<char> text, int originalStart)
    {
        EnsureCapacity(Length + text.Length);
        text.CopyTo(_chars.AsSpan(Length));
        if (_starts is not null)
        {
            for (int i = 0; i < text.Length; i++)
            {
                _starts[Length + i] = originalStart + i;
                _ends![Length + i] = originalStart + i + 1;
            }
        }

        Length += text.Length;
    }

    /// <summary>Removes characters from the end.</summary>
    public void TruncateTo(int length) => Length = Math.Min(Length, length);

    public void Dispose()
    {
        ArrayPool<char>.Shared.Return(_chars);
        if (_starts is not null)
        {
            ArrayPool<int>.Shared.Return(_starts);
            ArrayPool<int>.Shared.Return(_ends!);
            _starts = null;
            _ends = null;
        }
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _chars.Length) return;
        int size = Math.Max(needed, _chars.Length * 2);
        Grow(ref _chars, size, Length);
        if (_starts is not null)
        {
            Grow(ref _starts, size, Length);
            Grow(ref _ends!, size, Length);
        }
    }

    private static void Grow<T>(ref T[] array, int size, int used)
    {
        T[] bigger = ArrayPool<T>.Shared.Rent(size);
        array.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<T>.Shared.Return(array);
        array = bigger;
    }
}
