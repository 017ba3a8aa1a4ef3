using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Conditioning.Prompts;

/// <summary>
/// Compel's pyparsing grammar (<c>src/compel/prompt_parser.py</c>, <c>build_parser_syntax</c>) as an ordered-choice
/// recursive-descent parser with pyparsing's whitespace rules, followed by Compel's <c>flatten</c> (weights multiply
/// down the tree; adjacent equal weights fuse with one space).
/// </summary>
/// <remarks>
/// pyparsing re-parses a parenthesised or quoted fragment once per alternative that starts with it, which is
/// exponential in nesting depth; those two rules are memoised by position here, so parsing is linear. Nesting depth
/// is bounded (<see cref="MaxDepth"/>): the reference itself fails with <c>RecursionError</c> long before that.
/// </remarks>
internal sealed class CompelGrammar
{
    /// <summary>The deepest nesting of parentheses/quotes accepted; beyond it parsing fails like Compel's RecursionError.</summary>
    public const int MaxDepth = 1000;

    private const string SyntacticChars = "()\",.+-=";
    private readonly string _s;
    private readonly double _plusBase;
    private readonly double _minusBase;
    private readonly Dictionary<int, (List<Node>? Items, int End)> _parenMemo = [];
    private readonly Dictionary<int, (List<Node>? Items, int End)> _quotedMemo = [];
    private int _depth;

    private CompelGrammar(string s, double plusBase, double minusBase)
    {
        _s = s;
        _plusBase = plusBase;
        _minusBase = minusBase;
    }

    /// <summary>Parses and flattens a prompt as <c>PromptParser.parse_conjunction</c> does.</summary>
    public static Conjunction ParseConjunction(string prompt, double plusBase, double minusBase)
    {
        if (IsAllPythonSpace(prompt))
        {
            return new Conjunction([new Part([new Fragment(string.Empty, 1.0)], null)], [1.0], []);
        }

        string text = InsertSpaceAfterCommas(prompt);
        var g = new CompelGrammar(text, plusBase, minusBase);
        RawConjunction root = g.ParseRoot();
        return Flatten(root);
    }

    private static bool IsAllPythonSpace(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (!PythonText.IsSpace(s[i])) return false;
        }

        return true;
    }

    /// <summary><c>re.sub(r',(\S)', r', \1', prompt)</c>.</summary>
    private static string InsertSpaceAfterCommas(string s)
    {
        var sb = new StringBuilder(s.Length + 8);
        int i = 0;
        while (i < s.Length)
        {
            if (s[i] == ',' && i + 1 < s.Length)
            {
                int cp = PythonText.CodePointAt(s, i + 1, out int len);
                if (!PythonText.IsSpace(cp))
                {
                    sb.Append(", ").Append(s, i + 1, len);
                    i += 1 + len;
                    continue;
                }
            }

            sb.Append(s[i]);
            i++;
        }

        return sb.ToString();
    }

    // ---------------------------------------------------------------- top level

    private RawConjunction ParseRoot()
    {
        if (TryExplicitConjunction(0, out RawConjunction? explicitConjunction, out _))
        {
            return explicitConjunction!;
        }

        // implicit_conjunction = Optional(Group(OneOrMore(lora))) + (blend | Group(prompt)) + Optional(...) + StringEnd()
        var parts = new List<RawPart>();
        int pos = 0;
        var leading = new List<Node>();
        while (TryLora(pos, leading, out int e)) pos = e;
        if (leading.Count > 0) parts.Add(new RawPart(leading, null));

        if (TryBlend(pos, out Blend? blend, out int blendEnd))
        {
            parts.Add(new RawPart(null, blend));
            pos = blendEnd;
        }
        else
        {
            var items = new List<Node>();
            pos = ParsePrompt(pos, items);
            parts.Add(new RawPart(items, null));
        }

        var trailing = new List<Node>();
        while (TryLora(pos, trailing, out int e)) pos = e;
        if (trailing.Count > 0) parts.Add(new RawPart(trailing, null));

        pos = SkipWs(pos);
        if (pos != _s.Length)
        {
            throw new PromptSyntaxException($"Compel expects the end of the prompt at position {pos} but found '{_s[pos]}'. A .blend() must be the whole prompt; remove the text after it.", pos);
        }

        return new RawConjunction(parts, null);
    }

    /// <summary><c>prompt = ZeroOrMore(swap | lora | attention | quoted | parenthesized | free_word | White)</c>.</summary>
    private int ParsePrompt(int pos, List<Node> items)
    {
        while (true)
        {
            if (TrySwap(pos, items, out int e) || TryLora(pos, items, out e) || TryAttention(pos, items, out e) ||
                TryQuoted(pos, items, out e, inQuotesPrompt: false) || TryParenthesized(pos, items, out e) || TryFreeWord(pos, items, out e))
            {
                pos = e;
                continue;
            }

            if (pos < _s.Length && IsPyParsingWhite(_s[pos]))
            {
                while (pos < _s.Length && IsPyParsingWhite(_s[pos])) pos++;
                continue;
            }

            return pos;
        }
    }

    /// <summary>The fragment rules; <paramref name="commas"/> adds the lone <c>,</c> / <c>.</c> alternative.</summary>
    private int ParseFragment(int pos, List<Node> items, bool commas)
    {
        while (true)
        {
            if (TryLora(pos, items, out int e) || TryAttention(pos, items, out e) || TrySwap(pos, items, out e) ||
                TryParenthesized(pos, items, out e) || TryQuoted(pos, items, out e, inQuotesPrompt: false) || TryNonSyntaxWord(pos, items, out e))
            {
                pos = e;
                continue;
            }

            if (commas)
            {
                int p = SkipWs(pos);
                if (p < _s.Length && _s[p] is ',' or '.')
                {
                    items.Add(new Fragment(_s[p].ToString(), 1.0));
                    pos = p + 1;
                    continue;
                }
            }

            return pos;
        }
    }

    // ---------------------------------------------------------------- conjunction / blend

    private bool TryExplicitConjunction(int pos, out RawConjunction? conjunction, out int end)
    {
        conjunction = null;
        if (!TryOperatorList(pos, [".and", ".add"], out List<List<Node>>? prompts, out List<List<object>>? options, out end))
        {
            return false;
        }

        var weights = new List<double>();
        foreach (List<object> o in options!)
        {
            weights.Add(ToFloat(o[0], pos));
        }

        if (weights.Count != 0 && weights.Count != prompts!.Count)
        {
            throw new PromptSyntaxException($"Compel .and() at position {pos} has {prompts.Count} parts but {weights.Count} weights; give one weight per part or none.", pos);
        }

        conjunction = new RawConjunction(prompts!.Select(p => new RawPart(p, null)).ToList(), weights.Count == 0 ? null : weights);
        return true;
    }

    private bool TryBlend(int pos, out Blend? blend, out int end)
    {
        blend = null;
        if (!TryOperatorList(pos, [".blend"], out List<List<Node>>? prompts, out List<List<object>>? options, out end))
        {
            return false;
        }

        bool normalize = true;
        if (options!.Count > 0 && options[^1][0] is string flag && flag == "no_normalize")
        {
            normalize = false;
            options.RemoveAt(options.Count - 1);
        }

        var weights = options.Select(o => ToFloat(o[0], pos)).ToList();
        if (weights.Count == 0) weights = Enumerable.Repeat(1.0, prompts!.Count).ToList();
        if (weights.Count != prompts!.Count)
        {
            throw new PromptSyntaxException($"Compel .blend() at position {pos} has {prompts.Count} prompts but {weights.Count} weights; give one weight per prompt.", pos);
        }

        foreach (List<Node> p in prompts)
        {
            if (p.Any(n => n is Swap))
            {
                throw new PromptSyntaxException($"Compel does not allow .swap() inside a .blend() (position {pos}); move the swap out of the blend.", pos);
            }
        }

        blend = new Blend(prompts.Select(p => (IReadOnlyList<Node>)p).ToList(), weights, normalize);
        return true;
    }

    /// <summary><c>"(" delimited_list(Group(target | quoted_prompt)) ")" op "(" Group(options) ")"</c>.</summary>
    private bool TryOperatorList(int pos, string[] operators, out List<List<Node>>? prompts, out List<List<object>>? options, out int end)
    {
        prompts = null;
        options = null;
        end = pos;
        int p = SkipWs(pos);
        if (p >= _s.Length || _s[p] != '(') return false;
        p++;
        var list = new List<List<Node>>();
        while (true)
        {
            var item = new List<Node>();
            if (!TryPotentialTarget(p, item, out int e) && !TryQuoted(p, item, out e, inQuotesPrompt: true))
            {
                if (list.Count == 0) return false;
                break;
            }

            list.Add(item);
            p = e;
            int c = SkipWs(p);
            if (c < _s.Length && _s[c] == ',')
            {
                // delimited_list: a trailing comma without an item is not consumed.
                var probe = new List<Node>();
                if (TryPotentialTarget(c + 1, probe, out _) || TryQuoted(c + 1, probe, out _, inQuotesPrompt: true))
                {
                    p = c + 1;
                    continue;
                }
            }

            break;
        }

        p = SkipWs(p);
        if (p >= _s.Length || _s[p] != ')') return false;
        p = SkipWs(p + 1);
        string? op = operators.FirstOrDefault(o => string.CompareOrdinal(_s, p, o, 0, o.Length) == 0);
        if (op is null) return false;
        p += op.Length;
        p = SkipWs(p);
        if (p >= _s.Length || _s[p] != '(') return false;
        p = ParseOptions(p + 1, out List<List<object>> opts);
        p = SkipWs(p);
        if (p >= _s.Length || _s[p] != ')') return false;
        prompts = list;
        options = opts;
        end = p + 1;
        return true;
    }

    /// <summary><c>Optional(delimited_list(option))</c>; each option is [keyword, value], [number-as-text] or [keyword].</summary>
    private int ParseOptions(int pos, out List<List<object>> options)
    {
        options = [];
        int p = pos;
        while (true)
        {
            if (!TryOption(p, out List<object>? option, out int e))
            {
                return options.Count == 0 ? pos : p;
            }

            options.Add(option!);
            p = e;
            int c = SkipWs(p);
            if (c < _s.Length && _s[c] == ',' && TryOption(c + 1, out _, out _))
            {
                p = c + 1;
                continue;
            }

            return p;
        }
    }

    private bool TryOption(int pos, out List<object>? option, out int end)
    {
        option = null;
        if (TryKeyword(pos, out string? key, out int e))
        {
            int q = SkipWs(e);
            if (q < _s.Length && _s[q] == '=')
            {
                if (TryNumber(q + 1, out double v, out int ve))
                {
                    option = [key!, v];
                    end = ve;
                    return true;
                }

                if (TryKeyword(q + 1, out string? kv, out ve))
                {
                    option = [key!, kv!];
                    end = ve;
                    return true;
                }
            }
        }

        if (TryNumber(pos, out double n, out end))
        {
            option = [n];
            return true;
        }

        if (TryKeyword(pos, out key, out end))
        {
            option = [key!];
            return true;
        }

        return false;
    }

    // ---------------------------------------------------------------- fragments

    private bool TrySwap(int pos, List<Node> items, out int end)
    {
        end = pos;
        var target = new List<Node>();
        if (!TryPotentialTarget(pos, target, out int p)) return false;
        p = SkipWs(p);
        if (string.CompareOrdinal(_s, p, ".swap", 0, 5) != 0) return false;
        p = SkipWs(p + 5);
        if (p >= _s.Length || _s[p] != '(') return false;
        var replacement = new List<Node>();
        p = Nested(() => ParseFragment(p + 1, replacement, commas: false));
        var options = new List<List<object>>();
        int c = SkipWs(p);
        if (c < _s.Length && _s[c] == ',')
        {
            p = ParseOptions(c + 1, out options);
        }

        p = SkipWs(p);
        if (p >= _s.Length || _s[p] != ')') return false;
        var dict = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (List<object> o in options)
        {
            if (o.Count == 2 && o[0] is string k && o[1] is double v) dict[k] = v;
        }

        double sEnd = 0.0;
        if (dict.Remove("shape_freedom", out double freedom))
        {
            sEnd = 1.0 - Math.Pow(freedom, 1.0 / 3.0);
        }

        var swapOptions = new PromptSwapOptions(
            dict.GetValueOrDefault("s_start", 0.0),
            dict.GetValueOrDefault("s_end", sEnd),
            dict.GetValueOrDefault("t_start", 0.2),
            dict.GetValueOrDefault("t_end", 1.0));
        items.Add(new Swap(target, replacement, swapOptions));
        end = p + 1;
        return true;
    }

    private bool TryLora(int pos, List<Node> items, out int end)
    {
        end = pos;
        int p = SkipWs(pos);
        int len = string.CompareOrdinal(_s, p, "useLora", 0, 7) == 0 ? 7 : string.CompareOrdinal(_s, p, "withLora", 0, 8) == 0 ? 8 : 0;
        if (len == 0) return false;
        p = SkipWs(p + len);
        if (p >= _s.Length || _s[p] != '(') return false;
        if (!TryKeyword(p + 1, out string? name, out p)) return false;
        double weight = 1.0;
        int c = SkipWs(p);
        if (c < _s.Length && _s[c] == ',' && TryNumber(c + 1, out double w, out int we))
        {
            weight = w;
            p = we;
        }

        p = SkipWs(p);
        if (p >= _s.Length || _s[p] != ')') return false;
        items.Add(new Lora(name!, weight));
        end = p + 1;
        return true;
    }

    private bool TryAttention(int pos, List<Node> items, out int end)
    {
        end = pos;
        var target = new List<Node>();

        // attention_explicit: Group(target) + ".attend" + "(" + Group(+run | -run | number) + ")"
        if (TryPotentialTarget(pos, target, out int p))
        {
            int q = SkipWs(p);
            if (string.CompareOrdinal(_s, q, ".attend", 0, 7) == 0)
            {
                q = SkipWs(q + 7);
                if (q < _s.Length && _s[q] == '(' && TryWeightOperator(q + 1, allowNumber: true, out double w, out int we))
                {
                    we = SkipWs(we);
                    if (we < _s.Length && _s[we] == ')')
                    {
                        items.Add(new Attention(w, target));
                        end = we + 1;
                        return true;
                    }
                }
            }
        }

        // attention_implicit: Group(quoted | parenthesized) !White op  |  Group(non_syntax_word) !White (+run | -run)
        target.Clear();
        if (TryQuoted(pos, target, out p, inQuotesPrompt: false) || TryParenthesized(pos, target, out p))
        {
            if (p < _s.Length && !IsPyParsingWhite(_s[p]) && TryWeightOperator(p, allowNumber: true, out double w, out int we))
            {
                items.Add(new Attention(w, target));
                end = we;
                return true;
            }

            return false;
        }

        target.Clear();
        if (TryNonSyntaxWord(pos, target, out p) && p < _s.Length && !IsPyParsingWhite(_s[p]) &&
            TryWeightOperator(p, allowNumber: false, out double w2, out int we2))
        {
            items.Add(new Attention(w2, target));
            end = we2;
            return true;
        }

        return false;
    }

    /// <summary><c>Word('+') | Word('-') | number</c>: a run of n pluses is pow(1.1, n), of minuses pow(0.9, n).</summary>
    private bool TryWeightOperator(int pos, bool allowNumber, out double weight, out int end)
    {
        weight = 1.0;
        int p = SkipWs(pos);
        if (p < _s.Length && _s[p] is '+' or '-')
        {
            char c = _s[p];
            int q = p;
            while (q < _s.Length && _s[q] == c) q++;
            weight = Math.Pow(c == '+' ? _plusBase : _minusBase, q - p);
            end = q;
            return true;
        }

        if (allowNumber && TryNumber(pos, out weight, out end))
        {
            return true;
        }

        end = pos;
        return false;
    }

    private bool TryPotentialTarget(int pos, List<Node> items, out int end) =>
        TryQuoted(pos, items, out end, inQuotesPrompt: false) || TryParenthesized(pos, items, out end) || TryNonSyntaxWord(pos, items, out end);

    private bool TryParenthesized(int pos, List<Node> items, out int end)
    {
        int p = SkipWs(pos);
        end = pos;
        if (p >= _s.Length || _s[p] != '(') return false;
        if (!_parenMemo.TryGetValue(p, out (List<Node>? Items, int End) r))
        {
            var inner = new List<Node>();
            int e = Nested(() => ParseFragment(p + 1, inner, commas: true));
            e = SkipWs(e);
            r = e < _s.Length && _s[e] == ')' ? (inner, e + 1) : (null, 0);
            _parenMemo[p] = r;
        }

        if (r.Items is null) return false;
        items.AddRange(r.Items);
        end = r.End;
        return true;
    }

    /// <summary>
    /// <c>QuotedString('"', esc_quote='\"')</c> whose content is re-parsed with the fragment grammar
    /// (<paramref name="inQuotesPrompt"/> false) or the prompt grammar (true, <c>quoted_prompt</c> in blends and conjunctions).
    /// </summary>
    private bool TryQuoted(int pos, List<Node> items, out int end, bool inQuotesPrompt)
    {
        int p = SkipWs(pos);
        end = pos;
        if (p >= _s.Length || _s[p] != '"') return false;
        int key = inQuotesPrompt ? -p - 1 : p;
        if (!_quotedMemo.TryGetValue(key, out (List<Node>? Items, int End) r))
        {
            r = (null, 0);
            int close = FindQuoteEnd(p + 1);
            if (close >= 0)
            {
                string content = Unquote(_s[(p + 1)..close]);
                List<Node>? inner = Nested(() => ParseFragmentString(content, inQuotesPrompt));
                if (inner is not null) r = (inner, close + 1);
            }

            _quotedMemo[key] = r;
        }

        if (r.Items is null) return false;
        items.AddRange(r.Items);
        end = r.End;
        return true;
    }

    /// <summary>The regex <c>"(?:\\"|[^"\n\r])*"</c> with backtracking: the index of the closing quote, or −1.</summary>
    private int FindQuoteEnd(int start)
    {
        int lastPair = -1;
        int i = start;
        while (i < _s.Length)
        {
            char c = _s[i];
            if (c == '\\' && i + 1 < _s.Length && _s[i + 1] == '"')
            {
                lastPair = i + 1;
                i += 2;
                continue;
            }

            if (c == '"') return i;
            if (c is '\n' or '\r') break;
            i++;
        }

        return lastPair;
    }

    /// <summary>pyparsing's unquoting: <c>\t \n \f \r</c> escapes become the characters, then <c>\"</c> becomes <c>"</c>.</summary>
    private static string Unquote(string content)
    {
        var sb = new StringBuilder(content.Length);
        for (int i = 0; i < content.Length; i++)
        {
            if (content[i] == '\\' && i + 1 < content.Length && content[i + 1] is 't' or 'n' or 'f' or 'r')
            {
                sb.Append(content[i + 1] switch { 't' => '\t', 'n' => '\n', 'f' => '\f', _ => '\r' });
                i++;
                continue;
            }

            sb.Append(content[i]);
        }

        return sb.Replace("\\\"", "\"").ToString();
    }

    /// <summary><c>parse_fragment_str(x, expression, in_quotes=True)</c>: null where the re-parse fails.</summary>
    private List<Node>? ParseFragmentString(string content, bool promptGrammar)
    {
        if (IsAllPythonSpace(content))
        {
            return [new Fragment(string.Empty, 1.0)];
        }

        string escaped = content.Replace("\"", "\\\"", StringComparison.Ordinal);
        var g = new CompelGrammar(escaped, _plusBase, _minusBase) { _depth = _depth };
        var items = new List<Node>();
        int e = promptGrammar ? g.ParsePrompt(0, items) : g.ParseFragment(0, items, commas: true);
        return g.SkipWs(e) == escaped.Length ? items : null;
    }

    /// <summary>
    /// <c>non_syntax_word</c>: a run of escaped syntax (<c>\( \) \" \, \. \+ \- \=</c>), <c>+</c>/<c>-</c> followed by an
    /// ordinary character, and characters that are neither whitespace nor <c>()",.+-=</c>.
    /// </summary>
    private bool TryNonSyntaxWord(int pos, List<Node> items, out int end)
    {
        int p = SkipWs(pos);
        int start = p;
        while (p < _s.Length)
        {
            char c = _s[p];
            if (c == '\\' && p + 1 < _s.Length && SyntacticChars.Contains(_s[p + 1], StringComparison.Ordinal))
            {
                p += 2;
            }
            else if (c is '+' or '-')
            {
                if (p + 1 >= _s.Length || IsPyParsingWhite(_s[p + 1]) || SyntacticChars.Contains(_s[p + 1], StringComparison.Ordinal)) break;
                p++;
            }
            else if (!IsPythonWhitespace(c) && !SyntacticChars.Contains(c, StringComparison.Ordinal))
            {
                p++;
            }
            else
            {
                break;
            }
        }

        end = p;
        if (p == start) return false;
        items.Add(new Fragment(UnescapeFragment(_s[start..p]), 1.0));
        return true;
    }

    private bool TryFreeWord(int pos, List<Node> items, out int end)
    {
        int p = SkipWs(pos);
        int start = p;
        while (p < _s.Length && !IsPythonWhitespace(_s[p])) p++;
        end = p;
        if (p == start) return false;
        items.Add(new Fragment(UnescapeFragment(_s[start..p]), 1.0));
        return true;
    }

    /// <summary><c>Word(alphanums + '_' + '-')</c>.</summary>
    private bool TryKeyword(int pos, out string? keyword, out int end)
    {
        int p = SkipWs(pos);
        int start = p;
        while (p < _s.Length && (char.IsAsciiLetterOrDigit(_s[p]) || _s[p] is '_' or '-')) p++;
        end = p;
        keyword = p > start ? _s[start..p] : null;
        return p > start;
    }

    /// <summary><c>pyparsing_common.real | Combine(Optional("-") + Word(nums))</c>, as a float.</summary>
    private bool TryNumber(int pos, out double value, out int end)
    {
        value = 0;
        int p = SkipWs(pos);
        end = pos;

        // real: [+-]?(?:\d+\.\d*|\.\d+) with Unicode \d
        int q = p;
        if (q < _s.Length && _s[q] is '+' or '-') q++;
        int d1 = q;
        while (q < _s.Length && PythonText.IsDecimal(_s[q])) q++;
        if (q > d1 && q < _s.Length && _s[q] == '.')
        {
            q++;
            while (q < _s.Length && PythonText.IsDecimal(_s[q])) q++;
            if (PythonText.TryParseFloat(_s.AsSpan(p, q - p), out value))
            {
                end = q;
                return true;
            }
        }
        else if (q == d1 && q + 1 < _s.Length && _s[q] == '.' && PythonText.IsDecimal(_s[q + 1]))
        {
            q++;
            while (q < _s.Length && PythonText.IsDecimal(_s[q])) q++;
            if (PythonText.TryParseFloat(_s.AsSpan(p, q - p), out value))
            {
                end = q;
                return true;
            }
        }

        q = p;
        if (q < _s.Length && _s[q] == '-') q++;
        int d2 = q;
        while (q < _s.Length && char.IsAsciiDigit(_s[q])) q++;
        if (q == d2) return false;
        value = double.Parse(_s.AsSpan(p, q - p), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (value == 0 && _s[p] == '-') value = -0.0;
        end = q;
        return true;
    }

    private static double ToFloat(object o, int pos) => o switch
    {
        double d => d,
        string s when PythonText.TryParseFloat(s, out double v) => v,
        _ => throw new PromptSyntaxException($"Compel cannot read '{o}' as a weight (position {pos}); weights must be numbers.", pos),
    };

    private static string UnescapeFragment(string text) =>
        text.Contains('\\', StringComparison.Ordinal)
            ? text.Replace("\\(", "(", StringComparison.Ordinal).Replace("\\)", ")", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal)
            : text;

    private T Nested<T>(Func<T> parse)
    {
        if (++_depth > MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            _depth--;
            throw new PromptSyntaxException($"The prompt nests parentheses or quotes more than {MaxDepth} levels deep; Compel fails on it (RecursionError). Remove some nesting.", 0);
        }

        try
        {
            return parse();
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>pyparsing's default whitespace: <c>" \n\t\r"</c>.</summary>
    private int SkipWs(int p)
    {
        while (p < _s.Length && IsPyParsingWhite(_s[p])) p++;
        return p;
    }

    private static bool IsPyParsingWhite(char c) => c is ' ' or '\t' or '\n' or '\r';

    /// <summary>Python's <c>string.whitespace</c>.</summary>
    private static bool IsPythonWhitespace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f';

    // ---------------------------------------------------------------- flatten

    private static Conjunction Flatten(RawConjunction root)
    {
        var parts = new List<Part>();
        var weights = new List<double>();
        var loras = new List<PromptLora>();
        for (int i = 0; i < root.Parts.Count; i++)
        {
            RawPart part = root.Parts[i];
            double weight = root.Weights?[i] ?? 1.0;
            if (part.Blend is Blend blend)
            {
                var prompts = new List<IReadOnlyList<FlatItem>>();
                foreach (IReadOnlyList<Node> p in blend.Prompts)
                {
                    var unfused = new List<FlatItem>();
                    FlattenInto(p, 1.0, unfused, loras);
                    List<FlatItem> fused = Fuse(unfused);
                    if (fused.Count > 0) prompts.Add(fused);
                }

                if (prompts.Count != blend.Weights.Count)
                {
                    throw new PromptSyntaxException("Compel .blend() has a prompt that is empty after parsing, so prompts and weights no longer pair up; remove the empty prompt.", 0);
                }

                parts.Add(new Part(null, new FlatBlend(prompts, blend.Weights, blend.Normalize)));
                weights.Add(weight);
            }
            else
            {
                var unfused = new List<FlatItem>();
                FlattenInto(part.Items!, 1.0, unfused, loras);
                List<FlatItem> fused = Fuse(unfused);
                if (fused.Count > 0)
                {
                    parts.Add(new Part(fused, null));
                    weights.Add(weight);
                }
            }
        }

        return new Conjunction(parts, weights, loras);
    }

    private static void FlattenInto(IReadOnlyList<Node> nodes, double scale, List<FlatItem> output, List<PromptLora> loras)
    {
        foreach (Node node in nodes)
        {
            switch (node)
            {
                case Fragment f:
                    output.Add(new Fragment(f.Text, f.Weight * scale));
                    break;
                case Attention a:
                    FlattenInto(a.Children, scale * a.Weight, output, loras);
                    break;
                case Lora l:
                    loras.Add(new PromptLora(l.Name, l.Weight));
                    break;
                case Swap s:
                    var original = new List<FlatItem>();
                    var edited = new List<FlatItem>();
                    FlattenInto(s.Original, scale, original, loras);
                    FlattenInto(s.Edited, scale, edited, loras);
                    output.Add(new FlatSwap(original, edited, s.Options));
                    break;
            }
        }
    }

    /// <summary><c>fuse_fragments</c>: adjacent fragments of equal weight are joined with one space.</summary>
    private static List<FlatItem> Fuse(IReadOnlyList<FlatItem> items)
    {
        var fused = new List<FlatItem>();
        foreach (FlatItem x in items)
        {
            if (x is FlatSwap s)
            {
                List<FlatItem> o = Fuse(s.Original);
                List<FlatItem> e = Fuse(s.Edited);
                fused.Add(new FlatSwap(o.Count > 0 ? o : [new Fragment(string.Empty, 1.0)], e.Count > 0 ? e : [new Fragment(string.Empty, 1.0)], s.Options));
                continue;
            }

            var f = (Fragment)x;
            if (fused.Count > 0 && fused[^1] is Fragment last && last.Weight == f.Weight)
            {
                fused[^1] = new Fragment(last.Text + " " + f.Text, last.Weight);
            }
            else
            {
                fused.Add(f);
            }
        }

        return fused;
    }

    // ---------------------------------------------------------------- model

    internal abstract record Node;

    internal abstract record FlatItem : Node;

    internal sealed record Fragment(string Text, double Weight) : FlatItem;

    internal sealed record FlatSwap(IReadOnlyList<FlatItem> Original, IReadOnlyList<FlatItem> Edited, PromptSwapOptions Options) : FlatItem;

    internal sealed record Attention(double Weight, IReadOnlyList<Node> Children) : Node;

    internal sealed record Swap(IReadOnlyList<Node> Original, IReadOnlyList<Node> Edited, PromptSwapOptions Options) : Node;

    internal sealed record Lora(string Name, double Weight) : Node;

    internal sealed record Blend(IReadOnlyList<IReadOnlyList<Node>> Prompts, IReadOnlyList<double> Weights, bool Normalize);

    internal sealed record FlatBlend(IReadOnlyList<IReadOnlyList<FlatItem>> Prompts, IReadOnlyList<double> Weights, bool Normalize);

    internal sealed record Part(IReadOnlyList<FlatItem>? Fragments, FlatBlend? Blend);

    internal sealed record Conjunction(IReadOnlyList<Part> Parts, IReadOnlyList<double> Weights, IReadOnlyList<PromptLora> Loras);

    private sealed record RawPart(IReadOnlyList<Node>? Items, Blend? Blend);

    private sealed record RawConjunction(IReadOnlyList<RawPart> Parts, IReadOnlyList<double>? Weights);
}
