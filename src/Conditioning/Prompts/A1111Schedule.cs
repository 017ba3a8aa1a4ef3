using System.Globalization;
using System.Text;

namespace Conditioning.Prompts;

/// <summary>
/// AUTOMATIC1111 <c>get_learned_conditioning_prompt_schedules</c> for one prompt: prompt editing
/// <c>[from:to:when]</c>, <c>[to:when]</c>, <c>[from::when]</c> and alternation <c>[a|b]</c>.
/// </summary>
/// <remarks>
/// The reference uses a Lark Earley grammar. Inside brackets that grammar is unambiguous, so this is a
/// deterministic, iterative parser (no recursion, memoised per bracket position, linear time). At the top level
/// the grammar also admits stray <c>[ ] ( ) :</c>; where that makes a prompt ambiguous, Lark's choice depends on
/// its internal ordering. The rule used here reproduces every recorded case: constructs that come before the last
/// stray character are kept verbatim, constructs after it are evaluated.
/// </remarks>
internal static class A1111Schedule
{
    /// <summary>Returns <c>[[end_at_step, text], …]</c> for <paramref name="prompt"/>.</summary>
    public static List<(int EndAtStep, string Text)> Get(string prompt, int baseSteps, int? hiresSteps, bool useOldScheduling, bool strict)
    {
        int steps;
        int intOffset;
        double floatOffset;
        if (hiresSteps is null || useOldScheduling)
        {
            intOffset = 0;
            floatOffset = 0;
            steps = baseSteps;
        }
        else
        {
            intOffset = baseSteps;
            floatOffset = 1.0;
            steps = hiresSteps.Value;
        }

        List<Node>? tree = Parse(prompt);
        if (tree is null)
        {
            return [(steps, prompt)];
        }

        // collect_steps: every scheduled node anywhere in the tree, every alternation adds all steps.
        var boundaries = new SortedSet<int> { steps };
        bool alternate = false;
        var stack = new Stack<List<Node>>();
        stack.Push(tree);
        while (stack.Count > 0)
        {
            foreach (Node node in stack.Pop())
            {
                switch (node)
                {
                    case ScheduledNode s:
                        s.When = ComputeWhen(prompt, s, steps, intOffset, floatOffset, useOldScheduling, strict);
                        if (s.When >= 1) boundaries.Add(s.When);
                        if (s.From is not null) stack.Push(s.From);
                        stack.Push(s.To);
                        break;
                    case AlternateNode a:
                        alternate = true;
                        foreach (List<Node> o in a.Options) stack.Push(o);
                        break;
                }
            }
        }

        if (alternate)
        {
            for (int t = 1; t <= steps; t++) boundaries.Add(t);
        }

        var result = new List<(int, string)>(boundaries.Count);
        var sb = new StringBuilder(prompt.Length);
        foreach (int t in boundaries)
        {
            sb.Clear();
            Render(prompt, tree, t, sb);
            result.Add((t, sb.ToString()));
        }

        return result;
    }

    private static int ComputeWhen(string prompt, ScheduledNode s, int steps, int intOffset, double floatOffset, bool old, bool strict)
    {
        string number = prompt[s.NumberStart..s.NumberEnd];
        double v = double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (old)
        {
            v = v < 1 ? v * steps : v;
        }
        else if (number.Contains('.', StringComparison.Ordinal))
        {
            v = (v - floatOffset) * steps;
        }
        else
        {
            v -= intOffset;
        }

        if (double.IsInfinity(v) || double.IsNaN(v))
        {
            if (strict)
            {
                throw new PromptSyntaxException(
                    $"AUTOMATIC1111 cannot convert the step '{number}' at position {s.NumberStart} to an integer (Python int() overflows and webui stops). Use a smaller number.",
                    s.NumberStart);
            }

            return double.IsPositiveInfinity(v) ? steps : 0;
        }

        double truncated = Math.Truncate(v);
        if (truncated >= steps) return steps;
        return truncated < 0 ? 0 : (int)truncated;
    }

    private static void Render(string prompt, List<Node> tree, int step, StringBuilder sb)
    {
        var stack = new Stack<(List<Node> Nodes, int Index)>();
        stack.Push((tree, 0));
        while (stack.Count > 0)
        {
            (List<Node> nodes, int index) = stack.Pop();
            if (index >= nodes.Count) continue;
            stack.Push((nodes, index + 1));
            switch (nodes[index])
            {
                case TextNode t:
                    sb.Append(prompt, t.Start, t.End - t.Start);
                    break;
                case ScheduledNode s:
                    List<Node>? chosen = step <= s.When ? s.From : s.To;
                    if (chosen is not null) stack.Push((chosen, 0));
                    break;
                case AlternateNode a:
                    List<Node>? option = a.Options[(step - 1) % a.Options.Count];
                    stack.Push((option, 0));
                    break;
            }
        }
    }

    /// <summary>Parses the prompt into a node sequence, or null where Lark fails to parse it.</summary>
    private static List<Node>? Parse(string text)
    {
        var memo = new Dictionary<int, Construct?>();
        var frames = new List<Frame>();
        var top = new List<Node>();
        int lastStray = -1;
        int i = 0;

        List<Node> Current() => frames.Count == 0 ? top : frames[^1].Current;

        void AddText(List<Node> seq, int start, int end)
        {
            if (seq.Count > 0 && seq[^1] is TextNode last && last.End == start)
            {
                seq[^1] = new TextNode(last.Start, end);
            }
            else
            {
                seq.Add(new TextNode(start, end));
            }
        }

        void AddConstruct(Construct c)
        {
            List<Node> seq = Current();
            foreach (Node n in c.Nodes)
            {
                if (n is TextNode t) AddText(seq, t.Start, t.End);
                else seq.Add(n);
            }
        }

        while (true)
        {
            if (i >= text.Length)
            {
                if (frames.Count == 0) break;
                i = FailAll();
                continue;
            }

            char c = text[i];
            if (c == '\\')
            {
                // plain: \\. where '.' is any character but a newline; anything else cannot be lexed at all.
                if (i + 1 >= text.Length || text[i + 1] == '\n') return null;
                int len = char.IsHighSurrogate(text[i + 1]) && i + 2 < text.Length && char.IsLowSurrogate(text[i + 2]) ? 3 : 2;
                AddText(Current(), i, i + len);
                i += len;
                continue;
            }

            if (c is '(' or '[')
            {
                if (memo.TryGetValue(i, out Construct? known))
                {
                    if (known is not null)
                    {
                        AddConstruct(known);
                        i = known.End;
                    }
                    else if (frames.Count == 0)
                    {
                        lastStray = top.Count;
                        AddText(top, i, i + 1);
                        i++;
                    }
                    else
                    {
                        i = FailAll();
                    }

                    continue;
                }

                frames.Add(new Frame(i, c));
                i++;
                continue;
            }

            if (c is ')' or ']' or ':' or '|')
            {
                if (frames.Count == 0)
                {
                    if (c == '|') return null;
                    lastStray = top.Count;
                    AddText(top, i, i + 1);
                    i++;
                    continue;
                }

                Frame f = frames[^1];
                Construct? done = null;
                bool fail = false;
                if (f.Open == '(')
                {
                    if (c == ')')
                    {
                        done = f.Emphasis(text, i + 1);
                    }
                    else if (c == ':' && f.Parts.Count == 1)
                    {
                        f.Separators.Add(i);
                        f.Parts.Add([]);
                    }
                    else
                    {
                        fail = true;
                    }
                }
                else if (c == ']')
                {
                    if (f.Mode == SquareMode.Start) done = f.Emphasis(text, i + 1);
                    else if (f.Mode == SquareMode.Alternate) done = f.Alternate(i + 1);
                    else fail = true;
                }
                else if (c == '|')
                {
                    if (f.Mode is SquareMode.Start or SquareMode.Alternate)
                    {
                        f.Mode = SquareMode.Alternate;
                        f.Parts.Add([]);
                    }
                    else
                    {
                        fail = true;
                    }
                }
                else if (c == ':')
                {
                    if (f.Mode == SquareMode.Start && MatchWhen(text, i + 1, out int ns, out int ne, out int end))
                    {
                        done = new Construct([new ScheduledNode(null, f.Parts[0], ns, ne, f.Start, end)], end);
                    }
                    else if (f.Mode == SquareMode.Start)
                    {
                        f.Mode = SquareMode.Schedule;
                        f.Parts.Add([]);
                    }
                    else if (f.Mode == SquareMode.Schedule && MatchWhen(text, i + 1, out ns, out ne, out end))
                    {
                        done = new Construct([new ScheduledNode(f.Parts[0], f.Parts[1], ns, ne, f.Start, end)], end);
                    }
                    else
                    {
                        fail = true;
                    }
                }
                else
                {
                    fail = true;
                }

                if (fail)
                {
                    i = FailAll();
                }
                else if (done is not null)
                {
                    memo[f.Start] = done;
                    frames.RemoveAt(frames.Count - 1);
                    AddConstruct(done);
                    i = done.End;
                }
                else
                {
                    i++;
                }

                continue;
            }

            int j = i + 1;
            while (j < text.Length && text[j] is not ('\\' or '(' or ')' or '[' or ']' or ':' or '|')) j++;
            AddText(Current(), i, j);
            i = j;
        }

        if (lastStray > 0)
        {
            // Constructs before the last stray character stay verbatim (see remarks).
            for (int k = 0; k < lastStray; k++)
            {
                if (top[k] is ScheduledNode or AlternateNode)
                {
                    top[k] = new TextNode(top[k].Start, top[k].End);
                }
            }
        }

        return top;

        // Inside brackets nothing can recover from a failure, so every open frame fails; the outermost opening
        // bracket becomes a stray character at the top level and scanning resumes right after it.
        int FailAll()
        {
            foreach (Frame f in frames) memo[f.Start] = null;
            int start = frames[0].Start;
            frames.Clear();
            lastStray = top.Count;
            AddText(top, start, start + 1);
            return start + 1;
        }
    }

    /// <summary>Matches <c>[WHITESPACE] NUMBER [WHITESPACE] "]"</c> with Lark's SIGNED_NUMBER (ASCII digits).</summary>
    private static bool MatchWhen(string text, int i, out int numberStart, out int numberEnd, out int end)
    {
        numberStart = numberEnd = end = 0;
        int j = SkipSpace(text, i);
        numberStart = j;
        if (j < text.Length && text[j] is '+' or '-') j++;
        int n = MatchUnsignedNumber(text, j);
        if (n == 0) return false;
        j += n;
        numberEnd = j;
        j = SkipSpace(text, j);
        if (j >= text.Length || text[j] != ']') return false;
        end = j + 1;
        return true;
    }

    /// <summary>FLOAT (INT _EXP | DECIMAL _EXP?) or INT, tried in that order as Python's regex alternation does.</summary>
    private static int MatchUnsignedNumber(string text, int p)
    {
        int Digits(int q)
        {
            int s = q;
            while (q < text.Length && char.IsAsciiDigit(text[q])) q++;
            return q - s;
        }

        int Exponent(int q)
        {
            if (q >= text.Length || text[q] is not ('e' or 'E')) return 0;
            int r = q + 1;
            if (r < text.Length && text[r] is '+' or '-') r++;
            int d = Digits(r);
            return d == 0 ? 0 : r + d - q;
        }

        int intLen = Digits(p);
        if (intLen > 0)
        {
            int e = Exponent(p + intLen);
            if (e > 0) return intLen + e;
        }

        int decLen = 0;
        if (intLen > 0 && p + intLen < text.Length && text[p + intLen] == '.')
        {
            decLen = intLen + 1 + Digits(p + intLen + 1);
        }
        else if (intLen == 0 && p < text.Length && text[p] == '.' && Digits(p + 1) > 0)
        {
            decLen = 1 + Digits(p + 1);
        }

        if (decLen > 0) return decLen + Exponent(p + decLen);
        return intLen;
    }

    private static int SkipSpace(string text, int j)
    {
        while (j < text.Length)
        {
            int cp = PythonText.CodePointAt(text, j, out int len);
            if (!PythonText.IsSpace(cp)) break;
            j += len;
        }

        return j;
    }

    private enum SquareMode
    {
        Start,
        Alternate,
        Schedule,
    }

    private abstract class Node(int start, int end)
    {
        public int Start { get; } = start;

        public int End { get; } = end;
    }

    private sealed class TextNode(int start, int end) : Node(start, end);

    private sealed class ScheduledNode(List<Node>? from, List<Node> to, int numberStart, int numberEnd, int start, int end) : Node(start, end)
    {
        public List<Node>? From { get; } = from;

        public List<Node> To { get; } = to;

        public int NumberStart { get; } = numberStart;

        public int NumberEnd { get; } = numberEnd;

        public int When { get; set; }
    }

    private sealed class AlternateNode(List<List<Node>> options, int start, int end) : Node(start, end)
    {
        public List<List<Node>> Options { get; } = options;
    }

    private sealed record Construct(List<Node> Nodes, int End);

    private sealed class Frame(int start, char open)
    {
        public int Start { get; } = start;

        public char Open { get; } = open;

        public SquareMode Mode { get; set; }

        public List<List<Node>> Parts { get; } = [[]];

        public List<int> Separators { get; } = [];

        public List<Node> Current => Parts[^1];

        /// <summary>Emphasis is kept verbatim with its brackets; only nested constructs inside it are live.</summary>
        public Construct Emphasis(string text, int end)
        {
            var nodes = new List<Node> { new TextNode(Start, Start + 1) };
            nodes.AddRange(Parts[0]);
            if (Parts.Count > 1)
            {
                nodes.Add(new TextNode(Separators[0], Separators[0] + 1));
                nodes.AddRange(Parts[1]);
            }

            nodes.Add(new TextNode(end - 1, end));
            return new Construct(nodes, end);
        }

        public Construct Alternate(int end) => new([new AlternateNode(Parts, Start, end)], end);
    }
}
