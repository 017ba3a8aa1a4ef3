namespace Conditioning.Tokenizers;

/// <summary>
/// GPT-2's <c>bytes_to_unicode</c>: a reversible map from the 256 byte values to printable characters, used by
/// byte-level BPE vocabularies such as CLIP's.
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The character that stands for each byte value.</summary>
    public static readonly char[] ByteToChar = Build();

    /// <summary>The byte value each alphabet character stands for, or -1.</summary>
    public static readonly int[] CharToByte = Invert(ByteToChar);

    private static char[] Build()
    {
        var map = new char[256];
        var direct = new bool[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            map[b] = direct[b] ? (char)b : (char)(256 + n++);
        }

        return map;
    }

    private static int[] Invert(char[] map)
    {
        var inverse = new int[512];
        Array.Fill(inverse, -1);
        for (int b = 0; b < map.Length; b++) inverse[map[b]] = b;
        return inverse;
    }
}
