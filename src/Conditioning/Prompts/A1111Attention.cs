using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Conditioning.Prompts;

/// <summary>
/// AUTOMATIC1111 <c>parse_prompt_attention</c>, reproduced token for token, with the bracket multiplications done in
/// linear time for realistic prompts.
/// </summary>
/// <remarks>
/// The reference multiplies every entry from a bracket's start to the end of the list, once per closing bracket.
/// Floating-point multiplication is not associative, so to stay bit-identical each entry must see the same
/// multipliers in the same order. Entries are kept as runs of bit-identical weights; a closing bracket multiplies
/// each run of its range once, and runs that become bit-identical are fused. Entries with equal history therefore
/// cost one multiplication, and the work is linear unless a prompt nests brackets thousands deep with differently
/// weighted text at every level.
/// </remarks>
internal static class A1111Attention
{
    private const double RoundMultiplier = 1.1;
    private const double SquareMultiplier = 1 / 1.1;

    /// <summary>Parses <paramref name="text"/> as webui does; <paramref name="strict"/> throws where webui raises.</summary>
    public static List<PromptFragment> Parse(ReadOnlySpan<char> text, bool strict)
    {
        var texts = new List<string>();
        var markers = new List<bool>();
        var runs = new WeightRuns();
        var round = new List<int>();
        var square = new List<int>();

        void Append(string s, bool marker)
        {
            texts.Add(s);
            markers.Add(marker);
            runs.Append(texts.Count - 1, marker ? -1.0 : 1.0);
        }

        void AppendText(ReadOnlySpan<char> token)
        {
            // re.split(r"\s*\bBREAK\b\s*", token): a BREAK marker between the parts, every part kept (even empty).
            int partStart = 0;
            int search = 0;
            while (true)
            {
                int k = FindBreak(token, search);
                if (k < 0)
                {
                    break;
                }

                int matchStart = k;
                while (matchStart > search && PythonText.IsSpace(PythonText.CodePointBefore(token, matchStart)))
                {
                    matchStart -= char.IsLowSurrogate(token[matchStart - 1]) && matchStart >= 2 ? 2 : 1;
                }

                if (matchStart < partStart)
                {
                    matchStart = partStart;
                }

                int matchEnd = k + 5;
                while (matchEnd < token.Length)
                {
                    int cp = PythonText.CodePointAt(token, matchEnd, out int len);
                    if (!PythonText.IsSpace(cp)) break;
                    matchEnd += len;
                }

                Append(token[partStart..matchStart].ToString(), false);
                Append("BREAK", true);
                partStart = matchEnd;
                search = matchEnd;
            }

            Append(token[partStart..].ToString(), false);
        }

        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            switch (c)
            {
                case '\\':
                    if (i + 1 < text.Length && text[i + 1] is '(' or ')' or '[' or ']' or '\\')
                    {
                        Append(text[(i + 1)].ToString(), false);
                        i += 2;
                    }
                    else
                    {
                        // A lone backslash is its own token whose text minus the backslash is empty.
                        Append(string.Empty, false);
                        i++;
                    }

                    break;
                case '(':
                    round.Add(texts.Count);
                    i++;
                    break;
                case '[':
                    square.Add(texts.Count);
                    i++;
                    break;
                case ':':
                    if (TryMatchWeightCloser(text, i, out int end, out int numberStart, out int numberEnd))
                    {
                        if (round.Count > 0)
                        {
                            if (!PythonText.TryParseFloat(text[numberStart..numberEnd], out double w))
                            {
                                if (strict)
                                {
                                    throw new PromptSyntaxException(
                                        $"AUTOMATIC1111 cannot read the weight '{text[numberStart..numberEnd]}' at position {numberStart} (Python float() fails and webui stops). Write a number such as 1.2.",
                                        numberStart);
                                }

                                // Lenient: read the colon as text, as ComfyUI does; the ')' then closes with ×1.1.
                                AppendText(":");
                                i++;
                                break;
                            }

                            int start = round[^1];
                            round.RemoveAt(round.Count - 1);
                            runs.Multiply(start, texts.Count, w);
                        }
                        else
                        {
                            AppendText(text[i..end]);
                        }

                        i = end;
                    }
                    else
                    {
                        AppendText(":");
                        i++;
                    }

                    break;
                case ')':
                    if (round.Count > 0)
                    {
                        int start = round[^1];
                        round.RemoveAt(round.Count - 1);
                        runs.Multiply(start, texts.Count, RoundMultiplier);
                    }
                    else
                    {
                        AppendText(")");
                    }

                    i++;
                    break;
                case ']':
                    if (square.Count > 0)
                    {
                        int start = square[^1];
                        square.RemoveAt(square.Count - 1);
                        runs.Multiply(start, texts.Count, SquareMultiplier);
                    }
                    else
                    {
                        AppendText("]");
                    }

                    i++;
                    break;
                default:
                    int j = i + 1;
                    while (j < text.Length && text[j] is not ('\\' or '(' or ')' or '[' or ']' or ':'))
                    {
                        j++;
                    }

                    AppendText(text[i..j]);
                    i = j;
                    break;
            }
        }

        foreach (int start in round)
        {
            runs.Multiply(start, texts.Count, RoundMultiplier);
        }

        foreach (int start in square)
        {
            runs.Multiply(start, texts.Count, SquareMultiplier);
        }

        if (texts.Count == 0)
        {
            return [new PromptFragment(string.Empty, 1.0)];
        }

        double[] weights = runs.Resolve(texts.Count);

        // Merge runs of equal weight (== on doubles, as Python compares them); the first entry's weight is kept.
        var result = new List<PromptFragment>();
        var sb = new StringBuilder();
        int k = 0;
        while (k < texts.Count)
        {
            double w = weights[k];
            int m = k + 1;
            while (m < texts.Count && weights[m] == w)
            {
                m++;
            }

            string merged;
            if (m == k + 1)
            {
                merged = texts[k];
            }
            else
            {
                sb.Clear();
                for (int q = k; q < m; q++) sb.Append(texts[q]);
                merged = sb.ToString();
            }

            // tokenize_line treats an entry as a chunk break when text == "BREAK" and weight == -1.
            result.Add(merged == "BREAK" && w == -1.0 ? PromptFragment.Break : new PromptFragment(merged, w));
            k = m;
        }

        return result;
    }

    /// <summary>The index of the next <c>BREAK</c> at or after <paramref name="from"/> with word boundaries on both sides.</summary>
    private static int FindBreak(ReadOnlySpan<char> token, int from)
    {
        while (from <= token.Length - 5)
        {
            int k = token[from..].IndexOf("BREAK", StringComparison.Ordinal);
            if (k < 0)
            {
                return -1;
            }

            k += from;
            if (PythonText.IsWordBoundary(token, k) && PythonText.IsWordBoundary(token, k + 5))
            {
                return k;
            }

            from = k + 1;
        }

        return -1;
    }

    /// <summary>Matches <c>:\s*([+-]?[.\d]+)\s*\)</c> at <paramref name="i"/>.</summary>
    private static bool TryMatchWeightCloser(ReadOnlySpan<char> text, int i, out int end, out int numberStart, out int numberEnd)
    {
        end = numberStart = numberEnd = 0;
        int j = SkipSpace(text, i + 1);
        numberStart = j;
        if (j < text.Length && text[j] is '+' or '-')
        {
            j++;
        }

        int digitsStart = j;
        while (j < text.Length)
        {
            if (text[j] == '.')
            {
                j++;
                continue;
            }

            int cp = PythonText.CodePointAt(text, j, out int len);
            if (!PythonText.IsDecimal(cp)) break;
            j += len;
        }

        if (j == digitsStart)
        {
            return false;
        }

        numberEnd = j;
        j = SkipSpace(text, j);
        if (j >= text.Length || text[j] != ')')
        {
            return false;
        }

        end = j + 1;
        return true;
    }

    private static int SkipSpace(ReadOnlySpan<char> text, int j)
    {
        while (j < text.Length)
        {
            int cp = PythonText.CodePointAt(text, j, out int len);
            if (!PythonText.IsSpace(cp)) break;
            j += len;
        }

        return j;
    }

    /// <summary>Entry weights stored as runs of bit-identical values over entry indices.</summary>
    private sealed class WeightRuns
    {
        private readonly List<int> _starts = [];
        private readonly List<double> _values = [];

        public void Append(int index, double value)
        {
            if (_values.Count > 0 && BitConverter.DoubleToInt64Bits(_values[^1]) == BitConverter.DoubleToInt64Bits(value))
            {
                return;
            }

            _starts.Add(index);
            _values.Add(value);
        }

        /// <summary>Multiplies entries <c>[start, count)</c> by <paramref name="m"/>; the range is always a suffix.</summary>
        /// <remarks>
        /// Optimised at first call: a parse runs this once per closing bracket, so it must not wait for tiered
        /// compilation (tier-0 code made a 10,000-level prompt take seconds instead of milliseconds).
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Multiply(int start, int count, double m)
        {
            if (start >= count)
            {
                return;
            }

            int r = _starts.BinarySearch(start);
            if (r < 0)
            {
                r = ~r - 1;
                _starts.Insert(r + 1, start);
                _values.Insert(r + 1, _values[r]);
                r++;
            }

            // One IEEE multiplication per run, exactly as the reference does per entry.
            Span<double> values = CollectionsMarshal.AsSpan(_values);
            for (int q = r; q < values.Length; q++)
            {
                values[q] *= m;
            }

            // Fusing runs that became bit-identical is only an optimisation (it keeps saturated weights such as
            // overflowed infinities in one run). Checking the range boundary and the tail keeps it O(1) per bracket.
            if (values.Length >= 2 && BitConverter.DoubleToInt64Bits(values[^1]) == BitConverter.DoubleToInt64Bits(values[^2]))
            {
                _starts.RemoveAt(_starts.Count - 1);
                _values.RemoveAt(_values.Count - 1);
            }

            if (r >= 1 && r < _values.Count && BitConverter.DoubleToInt64Bits(_values[r]) == BitConverter.DoubleToInt64Bits(_values[r - 1]))
            {
                _starts.RemoveAt(r);
                _values.RemoveAt(r);
            }
        }

        public double[] Resolve(int count)
        {
            var weights = new double[count];
            for (int r = 0; r < _starts.Count; r++)
            {
                int end = r + 1 < _starts.Count ? _starts[r + 1] : count;
                weights.AsSpan(_starts[r], end - _starts[r]).Fill(_values[r]);
            }

            return weights;
        }
    }
}
