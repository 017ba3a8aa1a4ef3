using Conditioning.Onnx;
using Conditioning.Prompts;
using Conditioning.Weighting;

namespace Conditioning.Conditioners;

/// <summary>
/// The request flow every family shares: parse the prompt (and negative) in its dialect, let the family encode each
/// AND part and schedule entry, pad every text to one length so CFG can batch them, and wrap the tensors as
/// <see cref="PromptEmbeddings"/>. Families supply only the encoding, the padding rule and the extra inputs.
/// </summary>
/// <remarks>Thread-safe when the family's encoders are (all of this library's are).</remarks>
public abstract class PromptConditionerBase : IPromptConditioner
{
    /// <inheritdoc/>
    public abstract ModelFamily Family { get; }

    /// <inheritdoc/>
    public async Task<DiffusionConditioning> EncodeAsync(ConditioningRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(request.Steps, 1);
        // The prompt and its negative are encoded in one batch per text encoder.
        bool wantsNegative = WantsNegative(request);
        bool zeroNegative = wantsNegative && ZeroesEmptyNegative && string.IsNullOrEmpty(request.NegativePrompt);
        List<ParsedPrompt> prompts = [Parse(request.Prompt, request, negative: false)];
        if (wantsNegative) prompts.Add(Parse(request.NegativePrompt ?? string.Empty, request, negative: true));

        // Compel's .blend() members and .and() parts are encoded as prompts of their own (all in the same batch) and
        // combined afterwards; every other prompt is one entry of the batch.
        bool compelDownweighting = request.EffectiveWeighting == WeightingMode.LerpFromEmpty;
        CompelPlan[] plans = [.. prompts.Select(p => CompelPlan.For(p, compelDownweighting))];
        IReadOnlyList<IReadOnlyList<EncodedPart>> leaves = await EncodeTextsAsync([.. plans.SelectMany(p => p.Leaves)], request, cancellationToken);
        var encoded = new List<IReadOnlyList<EncodedPart>>(plans.Length);
        int offset = 0;
        foreach (CompelPlan plan in plans)
        {
            IReadOnlyList<EncodedPart>[] mine = [.. leaves.Skip(offset).Take(plan.Leaves.Count)];
            offset += plan.Leaves.Count;
            encoded.Add(plan.IsPlain ? mine[0] : await CombineCompelAsync(plan, mine, request, cancellationToken));
        }

        IReadOnlyList<EncodedPart> positive = encoded[0];
        IReadOnlyList<EncodedPart>? negative = wantsNegative ? encoded[1] : null;

        int tokens = positive.Concat(negative ?? []).SelectMany(p => p.Entries).Max(e => e.Prompt.Tokens);
        async Task<ConditioningSchedule> BuildAsync(IReadOnlyList<EncodedPart> parts, bool zero)
        {
            var built = new List<ConditioningPart>(parts.Count);
            foreach (EncodedPart p in parts)
            {
                var entries = new List<(int, PromptEmbeddings)>(p.Entries.Count);
                foreach ((int end, EncodedPrompt prompt) in p.Entries)
                {
                    EncodedPrompt padded = await PadAsync(prompt, tokens, request, cancellationToken);
                    entries.Add((end, ToEmbeddings(zero ? padded.Zeroed() : padded, request)));
                }

                built.Add(new ConditioningPart(p.Weight, entries));
            }

            return new ConditioningSchedule(built);
        }

        return new DiffusionConditioning(Family, await BuildAsync(positive, false), negative is null ? null : await BuildAsync(negative, zeroNegative));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the encoders this conditioner owns.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Whether an empty negative prompt becomes zeros (SDXL's <c>force_zeros_for_empty_prompt</c>).</summary>
    protected virtual bool ZeroesEmptyNegative => false;

    /// <summary>Whether negative conditioning is produced for <paramref name="request"/>.</summary>
    protected virtual bool WantsNegative(ConditioningRequest request) => request.ClassifierFreeGuidance;

    /// <summary>Encodes every AND part and schedule entry of each prompt (the prompt, then its negative), batching them per encoder.</summary>
    protected abstract Task<IReadOnlyList<IReadOnlyList<EncodedPart>>> EncodeTextsAsync(IReadOnlyList<ParsedPrompt> prompts, ConditioningRequest request, CancellationToken cancellationToken);

    /// <summary>Pads a text to <paramref name="tokens"/> on the token axis the way the family's tools do (with empty-prompt chunks).</summary>
    protected abstract Task<EncodedPrompt> PadAsync(EncodedPrompt prompt, int tokens, ConditioningRequest request, CancellationToken cancellationToken);

    /// <summary>Wraps the tensors, adding the family's extra inputs (time ids, text ids).</summary>
    protected virtual PromptEmbeddings ToEmbeddings(EncodedPrompt prompt, ConditioningRequest request)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return new PromptEmbeddings(
            ModelTensor.Create<float>(prompt.Sequence, 1, prompt.Tokens, prompt.Width),
            prompt.Pooled is null ? null : ModelTensor.Create<float>(prompt.Pooled, 1, prompt.Pooled.Length));
    }

    /// <summary>
    /// Compel's combinations of separately encoded prompts (SEMANTICS.md §3.4): a <c>.blend()</c> is the weighted sum
    /// of its members' conditionings, padded to one length with empty-prompt chunks (weights divided by their sum
    /// unless <c>no_normalize</c>); an <c>.and()</c> concatenates its parts on the token axis, a part of weight w ≠ 1
    /// first lerped as <c>empty + (c − empty)·w</c>. A fragment of weight w &lt; 1 is down-weighted as Compel does
    /// (§3.3): the prompt is also encoded without it and blended in with lerp weight <c>tan((1 − w)·π/2)</c>. Compel's
    /// default builds that encoding by masking the fragment (<c>DownweightMode.MASK</c>), which needs an
    /// <c>attention_mask</c> input that CLIP text exports do not have, so the fragment is removed from the token
    /// sequence instead (Compel's <c>DownweightMode.REMOVE</c>). The pooled vector is the whole prompt's.
    /// </summary>
    private async Task<IReadOnlyList<EncodedPart>> CombineCompelAsync(CompelPlan plan, IReadOnlyList<EncodedPart>[] leaves, ConditioningRequest request, CancellationToken cancellationToken)
    {
        EncodedPrompt Single(int leaf) => leaves[leaf] is [{ Entries: [var only] }] ? only.Prompt
            : throw new InvalidOperationException($"Compel prompt '{plan.Original.Text}': a combined member was encoded as {leaves[leaf].Count} parts; expected one unscheduled part");

        async Task<EncodedPrompt[]> PadAllAsync(IReadOnlyList<EncodedPrompt> items)
        {
            int tokens = items.Max(x => x.Tokens);
            var padded = new EncodedPrompt[items.Count];
            for (int i = 0; i < items.Count; i++) padded[i] = await PadAsync(items[i], tokens, request, cancellationToken);
            return padded;
        }

        // A member with down-weighted fragments: (E_base + Σ lᵢ·Eᵢ) / (1 + Σ lᵢ), Eᵢ encoded without fragment i.
        async Task<EncodedPrompt> MemberAsync(CompelPlan.Member member)
        {
            if (member.Removals.Length == 0) return Single(member.Base);
            EncodedPrompt[] all = await PadAllAsync([Single(member.Base), .. member.Removals.Select(r => Single(r.Leaf))]);
            float[] blended = (float[])all[0].Sequence.Clone();
            PromptWeighting.BlendDownweighted(blended, [.. member.Removals.Select((r, i) => (all[i + 1].Sequence, r.Lerp))]);
            return all[0] with { Sequence = blended };
        }

        var parts = new List<EncodedPrompt>(plan.Parts.Count);
        foreach (CompelPlan.Part part in plan.Parts)
        {
            EncodedPrompt c;
            if (part.BlendWeights is { } weights)
            {
                var encodedMembers = new List<EncodedPrompt>(part.Members.Length);
                foreach (CompelPlan.Member m in part.Members) encodedMembers.Add(await MemberAsync(m));
                EncodedPrompt[] members = await PadAllAsync(encodedMembers);
                double total = part.Normalize ? weights.Sum() : 1.0;
                if (part.Normalize && total == 0)
                {
                    throw new PromptSyntaxException($"Compel prompt '{plan.Original.Text}': the .blend() weights ({string.Join(", ", weights)}) sum to 0, so they cannot be normalized; pass no_normalize or other weights");
                }

                float[] sum = new float[members[0].Sequence.Length];
                for (int m = 0; m < members.Length; m++)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(members[m].Sequence, (float)(weights[m] / total), sum, sum);
                }

                c = members[0] with { Sequence = sum };
            }
            else
            {
                c = await MemberAsync(part.Members[0]);
            }

            if (part.Weight != 1.0)
            {
                EncodedPrompt[] pair = await PadAllAsync([c, Single(plan.EmptyLeaf)]);
                float[] lerped = (float[])pair[0].Sequence.Clone();
                var perToken = new double[pair[0].Tokens];
                Array.Fill(perToken, part.Weight);
                PromptWeighting.LerpFromEmpty(lerped, new EmbeddingShape(1, pair[0].Tokens, pair[0].Width), perToken, pair[1].Sequence);
                c = pair[0] with { Sequence = lerped };
            }

            parts.Add(c);
        }

        EncodedPrompt result = parts[0];
        if (parts.Count > 1)
        {
            if (Family == ModelFamily.StableDiffusion3)
            {
                throw new NotSupportedException($"Compel prompt '{plan.Original.Text}': .and() concatenates on the token axis, which SD3's CLIP ‖ T5 sequence layout does not allow; use AND-free prompts or .blend() for SD3");
            }

            float[] sequence = [.. parts.SelectMany(x => x.Sequence)];
            result = parts[0] with { Sequence = sequence, Tokens = parts.Sum(x => x.Tokens) };
        }

        return [new EncodedPart(1.0, [(plan.EndAtStep, result)])];
    }

    private static ParsedPrompt Parse(string text, ConditioningRequest request, bool negative)
    {
        ParsedPrompt parsed = request.Dialect switch
        {
            PromptDialect.A1111 => new A1111PromptParser(new A1111PromptParserOptions { Steps = request.Steps, IsNegativePrompt = negative }).Parse(text),
            PromptDialect.ComfyUI => new ComfyPromptParser().Parse(text),
            _ => new CompelPromptParser().Parse(text),
        };

        // A prompt with no parts at all (Compel's "()") is conditioned as the empty prompt.
        return parsed.Parts.Count > 0 ? parsed
            : new ParsedPrompt(parsed.Dialect, text, [new PromptPart(text, 1.0, [new PromptScheduleEntry(int.MaxValue, text, [])])], parsed.Conjunction, parsed.Loras);
    }
}

/// <summary>One encoded text: the sequence [tokens, width] and the pooled vector, as a family assembles them.</summary>
/// <param name="Sequence">Row-major [Tokens, Width].</param>
/// <param name="Tokens">Sequence length.</param>
/// <param name="Width">Feature width.</param>
/// <param name="Pooled">The pooled vector, or null for families without one.</param>
public sealed record EncodedPrompt(float[] Sequence, int Tokens, int Width, float[]? Pooled)
{
    /// <summary>For SD3: how many leading tokens are CLIP's (padding chunks go after them, before T5's).</summary>
    public int ClipTokens { get; init; }

    /// <summary>The same shapes, all zeros (SDXL's zeroed negative).</summary>
    public EncodedPrompt Zeroed() => this with { Sequence = new float[Sequence.Length], Pooled = Pooled is null ? null : new float[Pooled.Length] };
}

/// <summary>One AND part: its weight and its encoded schedule entries.</summary>
/// <param name="Weight">Composable-diffusion weight.</param>
/// <param name="Entries">(last step, encoded text), ascending.</param>
public sealed record EncodedPart(double Weight, IReadOnlyList<(int EndAtStep, EncodedPrompt Prompt)> Entries);

/// <summary>How one parsed prompt is encoded: as itself, or (Compel blends and .and()) as separately encoded leaves.</summary>
internal sealed class CompelPlan
{
    private CompelPlan(ParsedPrompt original, List<ParsedPrompt> leaves, List<Part> parts, int emptyLeaf, int endAtStep, bool isPlain)
    {
        Original = original;
        Leaves = leaves;
        Parts = parts;
        EmptyLeaf = emptyLeaf;
        EndAtStep = endAtStep;
        IsPlain = isPlain;
    }

    public ParsedPrompt Original { get; }

    /// <summary>The prompts to encode (the original itself when <see cref="IsPlain"/>).</summary>
    public List<ParsedPrompt> Leaves { get; }

    public List<Part> Parts { get; }

    /// <summary>The leaf holding the empty prompt (for weighted .and() parts), or −1.</summary>
    public int EmptyLeaf { get; }

    public int EndAtStep { get; }

    public bool IsPlain { get; }

    /// <summary>The plan for <paramref name="prompt"/>.</summary>
    /// <param name="prompt">A parsed prompt; only Compel prompts with blends, <c>.and()</c> or down-weighted fragments are split.</param>
    /// <param name="downweighting">Whether fragments of weight &lt; 1 get Compel's blend with the prompt without them (Compel's
    /// own weighting; not when the caller asked for A1111's weighting of Compel syntax).</param>
    public static CompelPlan For(ParsedPrompt prompt, bool downweighting)
    {
        bool combined = prompt.Dialect == PromptDialect.Compel
            && (prompt.Parts.Count > 1 || prompt.Parts.Any(p => p.Blend is not null || p.Weight != 1.0 || (downweighting && p.Fragments.Any(f => f.Weight < 1.0))));
        if (!combined) return new CompelPlan(prompt, [prompt], [], -1, 0, isPlain: true);

        int end = prompt.Parts[0].Schedule[^1].EndAtStep;
        var leaves = new List<ParsedPrompt>();
        var parts = new List<Part>();
        int Leaf(string text, IReadOnlyList<PromptFragment> fragments)
        {
            var part = new PromptPart(text, 1.0, [new PromptScheduleEntry(end, text, fragments)]);
            leaves.Add(new ParsedPrompt(PromptDialect.Compel, text, [part], PromptConjunctionKind.Concatenated) { PooledFrom = prompt });
            return leaves.Count - 1;
        }

        Member Weighted(IReadOnlyList<PromptFragment> fragments)
        {
            int baseLeaf = Leaf(string.Concat(fragments.Select(x => x.Text)), fragments);
            var removals = new List<(int, double)>();
            for (int i = 0; i < fragments.Count && downweighting; i++)
            {
                if (fragments[i].Weight >= 1.0) continue;
                PromptFragment[] without = [.. fragments.Where((_, k) => k != i)];
                removals.Add((Leaf(string.Concat(without.Select(x => x.Text)), without), PromptWeighting.CompelDownweightLerpWeight(fragments[i].Weight)));
            }

            return new Member(baseLeaf, [.. removals]);
        }

        foreach (PromptPart part in prompt.Parts)
        {
            if (part.Blend is { } blend)
            {
                parts.Add(new Part([.. blend.Prompts.Select(Weighted)], [.. blend.Weights], blend.Normalize, part.Weight));
            }
            else
            {
                parts.Add(new Part([Weighted(part.Fragments)], null, true, part.Weight));
            }
        }

        int empty = parts.Any(p => p.Weight != 1.0) ? Leaf(string.Empty, []) : -1;
        return new CompelPlan(prompt, leaves, parts, empty, end, isPlain: false);
    }

    /// <summary>One conjunction part: its members (one, or a blend's), the blend weights, and the part weight.</summary>
    public sealed record Part(Member[] Members, double[]? BlendWeights, bool Normalize, double Weight);

    /// <summary>A text encoded as a leaf, and, per down-weighted fragment, the leaf without it and its lerp weight.</summary>
    public sealed record Member(int Base, (int Leaf, double Lerp)[] Removals);
}
