namespace Conditioning.Prompts;

/// <summary>
/// ComfyUI <c>escape_important</c> → <c>token_weights(text, 1.0)</c> → <c>unescape_important</c>
/// (<c>comfy/sd1_clip.py</c>), computed without recursion and in linear time.
/// </summary>
/// <remarks>
/// The reference re-scans each group's inner text with <c>parse_parentheses</c> at every nesting level. That scan's
/// item boundaries depend only on the bracket depth relative to the range start, so they are read here from one
/// global prefix-depth array: a <c>(</c> starts an item where the global depth equals the range's base depth, and
/// its item closes at its global match (if that lies inside the range). <c>rfind(':')</c> is a lookup in a
/// last-colon table, and the <c>float()</c> candidate after it is only parsed when it contains no bracket, so each
/// colon is parsed at most once.
/// </remarks>
internal static class ComfyWeights
{
    private const string CloseSentinel = "\0\u0001";
    private const string OpenSentinel = "\0\u0002";

    /// <summary>The weighted segments in order (all non-empty), not merged.</summary>
    public static List<PromptFragment> Parse(string prompt)
    {
        string e = prompt.Replace("\\)", CloseSentinel, StringComparison.Ordinal).Replace("\\(", OpenSentinel, StringComparison.Ordinal);
        int n = e.Length;
        var level = new int[n + 1];
        var match = new int[n];
        var lastColon = new int[n + 1];
        var nextParen = new int[n + 1];
        var opensByLevel = new Dictionary<int, List<int>>();
        var stack = new Stack<int>();
        lastColon[0] = -1;
        for (int i = 0; i < n; i++)
        {
            char c = e[i];
            match[i] = -1;
            level[i + 1] = level[i] + (c == '(' ? 1 : c == ')' ? -1 : 0);
            lastColon[i + 1] = c == ':' ? i : lastColon[i];
            if (c == '(')
            {
                stack.Push(i);
                if (!opensByLevel.TryGetValue(level[i], out List<int>? list)) opensByLevel[level[i]] = list = [];
                list.Add(i);
            }
            else if (c == ')' && stack.Count > 0)
            {
                match[stack.Pop()] = i;
            }
        }

        nextParen[n] = n;
        for (int i = n - 1; i >= 0; i--)
        {
            nextParen[i] = e[i] is '(' or ')' ? i : nextParen[i + 1];
        }

        // A global stack match is the first ')' returning to the opening depth, which is exactly where the
        // reference's relative nesting counter returns to zero.
        var result = new List<PromptFragment>();
        var frames = new Stack<Frame>();
        frames.Push(new Frame(0, n, 1.0, 0));
        while (frames.Count > 0)
        {
            Frame f = frames.Pop();
            if (f.Pos >= f.End) continue;
            int pos = f.Pos;
            int v = level[f.Start];
            if (e[pos] == '(' && level[pos] == v)
            {
                int q = match[pos];
                int itemEnd;
                int close;
                bool group;
                if (q >= 0 && q < f.End)
                {
                    itemEnd = q + 1;
                    close = q;
                    group = true;
                }
                else
                {
                    itemEnd = f.End;
                    close = f.End - 1;
                    group = f.End - pos >= 2 && e[f.End - 1] == ')';
                }

                frames.Push(f with { Pos = itemEnd });
                if (!group)
                {
                    Emit(result, e, pos, itemEnd, f.Weight);
                    continue;
                }

                int innerStart = pos + 1;
                int innerEnd = close;
                double weight = f.Weight * 1.1;
                int colon = lastColon[close];
                if (colon > innerStart && nextParen[colon + 1] >= close &&
                    PythonText.TryParseFloat(e.AsSpan(colon + 1, close - colon - 1), out double explicitWeight))
                {
                    weight = explicitWeight;
                    innerEnd = colon;
                }

                frames.Push(new Frame(innerStart, innerEnd, weight, innerStart));
            }
            else
            {
                int next = f.End;
                if (opensByLevel.TryGetValue(v, out List<int>? opens))
                {
                    int k = opens.BinarySearch(pos + 1);
                    if (k < 0) k = ~k;
                    if (k < opens.Count && opens[k] < f.End) next = opens[k];
                }

                frames.Push(f with { Pos = next });
                Emit(result, e, pos, next, f.Weight);
            }
        }

        return result;
    }

    private static void Emit(List<PromptFragment> result, string e, int start, int end, double weight)
    {
        string text = e[start..end].Replace(CloseSentinel, ")", StringComparison.Ordinal).Replace(OpenSentinel, "(", StringComparison.Ordinal);
        if (text.Length > 0)
        {
            result.Add(new PromptFragment(text, weight));
        }
    }

    private readonly record struct Frame(int Start, int End, double Weight, int Pos);
}
