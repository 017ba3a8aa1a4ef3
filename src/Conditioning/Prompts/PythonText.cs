using System.Globalization;
using System.Text;

namespace Conditioning.Prompts;

/// <summary>
/// Character classes and number parsing exactly as CPython 3.11 applies them in <c>re</c> (str patterns) and
/// <c>float()</c>, so that the dialect parsers split text where the reference tools do.
/// </summary>
internal static class PythonText
{
    /// <summary>Python <c>str.isspace()</c> / <c>re</c> <c>\s</c> for one code point.</summary>
    public static bool IsSpace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D => true,
        >= 0x1C and <= 0x20 => true,
        0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A => true,
        0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    /// <summary>Python <c>re</c> <c>\d</c> (Unicode category Nd).</summary>
    public static bool IsDecimal(int cp) =>
        cp < 0x80 ? cp is >= '0' and <= '9' : Rune.IsValid(cp) && Rune.GetUnicodeCategory(new Rune(cp)) == UnicodeCategory.DecimalDigitNumber;

    /// <summary>Python <c>re</c> <c>\w</c>: letters, numbers (Nd, Nl, No) and underscore.</summary>
    public static bool IsWord(int cp)
    {
        if (cp < 0x80)
        {
            return cp is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_';
        }

        if (!Rune.IsValid(cp))
        {
            return false;
        }

        return Rune.GetUnicodeCategory(new Rune(cp)) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => true,
            _ => false,
        };
    }

    /// <summary>The code point starting at <paramref name="index"/> (a lone surrogate is returned as itself).</summary>
    public static int CodePointAt(ReadOnlySpan<char> text, int index, out int length)
    {
        char c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            length = 2;
            return char.ConvertToUtf32(c, text[index + 1]);
        }

        length = 1;
        return c;
    }

    /// <summary>The code point that ends just before <paramref name="index"/>.</summary>
    public static int CodePointBefore(ReadOnlySpan<char> text, int index)
    {
        char c = text[index - 1];
        if (char.IsLowSurrogate(c) && index >= 2 && char.IsHighSurrogate(text[index - 2]))
        {
            return char.ConvertToUtf32(text[index - 2], c);
        }

        return c;
    }

    /// <summary>Whether a regex word boundary <c>\b</c> holds at <paramref name="index"/>.</summary>
    public static bool IsWordBoundary(ReadOnlySpan<char> text, int index)
    {
        bool before = index > 0 && IsWord(CodePointBefore(text, index));
        bool after = index < text.Length && IsWord(CodePointAt(text, index, out _));
        return before != after;
    }

    /// <summary>
    /// Python <c>float(s)</c>: surrounding Unicode whitespace, Unicode decimal digits, <c>_</c> between digits,
    /// exponents, <c>inf</c>/<c>infinity</c>/<c>nan</c> in any case. Returns false where Python raises <c>ValueError</c>.
    /// </summary>
    public static bool TryParseFloat(ReadOnlySpan<char> s, out double value)
    {
        value = 0;
        var ascii = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length;)
        {
            int cp = CodePointAt(s, i, out int len);
            i += len;
            if (IsSpace(cp))
            {
                ascii.Append(' ');
            }
            else if (cp < 0x80)
            {
                ascii.Append((char)cp);
            }
            else if (IsDecimal(cp))
            {
                ascii.Append((char)('0' + (int)Rune.GetNumericValue(new Rune(cp))));
            }
            else
            {
                return false;
            }
        }

        string t = ascii.ToString().Trim(' ');
        if (t.Length == 0)
        {
            return false;
        }

        if (t.Contains('_', StringComparison.Ordinal))
        {
            var sb = new StringBuilder(t.Length);
            char prev = '\0';
            foreach (char c in t)
            {
                if (c == '_')
                {
                    if (prev is < '0' or > '9') return false;
                }
                else
                {
                    if (prev == '_' && c is < '0' or > '9') return false;
                    sb.Append(c);
                }

                prev = c;
            }

            if (prev == '_') return false;
            t = sb.ToString();
        }

        return TryParseAsciiFloat(t, out value);
    }

    /// <summary>The C <c>strtod</c> grammar CPython accepts after normalisation (no whitespace inside).</summary>
    private static bool TryParseAsciiFloat(string t, out double value)
    {
        value = 0;
        int i = 0;
        bool negative = false;
        if (i < t.Length && t[i] is '+' or '-')
        {
            negative = t[i] == '-';
            i++;
        }

        ReadOnlySpan<char> rest = t.AsSpan(i);
        if (rest.Equals("inf", StringComparison.OrdinalIgnoreCase) || rest.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }

        if (rest.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NaN;
            return true;
        }

        int intStart = i;
        while (i < t.Length && char.IsAsciiDigit(t[i])) i++;
        int intEnd = i;
        int fracStart = i, fracEnd = i;
        if (i < t.Length && t[i] == '.')
        {
            i++;
            fracStart = i;
            while (i < t.Length && char.IsAsciiDigit(t[i])) i++;
            fracEnd = i;
        }

        if (intEnd == intStart && fracEnd == fracStart)
        {
            return false;
        }

        string exponent = "0";
        if (i < t.Length && t[i] is 'e' or 'E')
        {
            int e = i + 1;
            if (e < t.Length && t[e] is '+' or '-') e++;
            int digits = e;
            while (e < t.Length && char.IsAsciiDigit(t[e])) e++;
            if (e == digits) return false;
            exponent = t[(i + 1)..e];
            i = e;
        }

        if (i != t.Length)
        {
            return false;
        }

        string canonical = string.Concat(
            negative ? "-" : string.Empty,
            intEnd > intStart ? t[intStart..intEnd] : "0",
            ".",
            fracEnd > fracStart ? t[fracStart..fracEnd] : "0",
            "e",
            exponent);
        value = double.Parse(canonical, NumberStyles.Float, CultureInfo.InvariantCulture);
        return true;
    }
}
