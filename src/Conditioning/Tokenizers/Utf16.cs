namespace Conditioning.Tokenizers;

/// <summary>UTF-16 helpers shared by the tokenizers.</summary>
internal static class Utf16
{
    /// <summary>
    /// Returns <paramref name="text"/> with every unpaired surrogate replaced by U+FFFD (what any conversion to UTF-8,
    /// and so the Rust reference, sees), keeping the length so character spans still index the caller's text.
    /// </summary>
    public static ReadOnlySpan<char> ReplaceLoneSurrogates(ReadOnlySpan<char> text)
    {
        int bad = IndexOfLoneSurrogate(text);
        if (bad < 0) return text;
        char[] copy = text.ToArray();
        for (int i = bad; i < copy.Length; i++)
        {
            if (char.IsHighSurrogate(copy[i]) && i + 1 < copy.Length && char.IsLowSurrogate(copy[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(copy[i]))
            {
                copy[i] = '\uFFFD';
            }
        }

        return copy;
    }

    private static int IndexOfLoneSurrogate(ReadOnlySpan<char> text)
    {
        int i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (i >= 0 && i < text.Length)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int next = text[(i + 2)..].IndexOfAnyInRange('\uD800', '\uDFFF');
                i = next < 0 ? -1 : i + 2 + next;
                continue;
            }

            return i;
        }

        return -1;
    }
}
