namespace Conditioning.Prompts;

/// <summary>AUTOMATIC1111 <c>get_multicond_prompt_list</c>: <c>\bAND\b</c> split and the trailing <c>:weight</c> rule.</summary>
internal static class A1111And
{
    /// <summary>Splits on <c>\bAND\b</c> (case-sensitive) and reads each part's optional trailing weight.</summary>
    public static List<(string Text, double Weight)> Split(string prompt)
    {
        var result = new List<(string, double)>();
        int partStart = 0;
        int search = 0;
        while (search <= prompt.Length - 3)
        {
            int k = prompt.IndexOf("AND", search, StringComparison.Ordinal);
            if (k < 0) break;
            if (PythonText.IsWordBoundary(prompt, k) && PythonText.IsWordBoundary(prompt, k + 3))
            {
                result.Add(ReadWeight(prompt[partStart..k]));
                partStart = k + 3;
                search = k + 3;
            }
            else
            {
                search = k + 1;
            }
        }

        result.Add(ReadWeight(prompt[partStart..]));
        return result;
    }

    /// <summary>
    /// <c>^((?:\s|.)*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$</c>: trailing whitespace is dropped; a trailing
    /// <c>:number</c> (no exponent) becomes the weight.
    /// </summary>
    private static (string Text, double Weight) ReadWeight(string sub)
    {
        int end = sub.Length;
        while (end > 0 && PythonText.IsSpace(PythonText.CodePointBefore(sub, end)))
        {
            end -= char.IsLowSurrogate(sub[end - 1]) && end >= 2 && char.IsHighSurrogate(sub[end - 2]) ? 2 : 1;
        }

        string trimmed = sub[..end];
        int colon = trimmed.LastIndexOf(':');
        if (colon >= 0)
        {
            int j = colon + 1;
            while (j < trimmed.Length)
            {
                int cp = PythonText.CodePointAt(trimmed, j, out int len);
                if (!PythonText.IsSpace(cp)) break;
                j += len;
            }

            int numberStart = j;
            if (j < trimmed.Length && trimmed[j] is '+' or '-') j++;
            int digits = 0, dots = 0;
            while (j < trimmed.Length)
            {
                if (trimmed[j] == '.')
                {
                    dots++;
                    j++;
                    continue;
                }

                int cp = PythonText.CodePointAt(trimmed, j, out int len);
                if (!PythonText.IsDecimal(cp)) break;
                digits++;
                j += len;
            }

            if (j == trimmed.Length && digits > 0 && dots <= 1 &&
                PythonText.TryParseFloat(trimmed.AsSpan(numberStart), out double weight))
            {
                int textEnd = colon;
                while (textEnd > 0 && PythonText.IsSpace(PythonText.CodePointBefore(trimmed, textEnd)))
                {
                    textEnd -= char.IsLowSurrogate(trimmed[textEnd - 1]) && textEnd >= 2 && char.IsHighSurrogate(trimmed[textEnd - 2]) ? 2 : 1;
                }

                return (trimmed[..textEnd], weight);
            }
        }

        return (trimmed, 1.0);
    }
}
