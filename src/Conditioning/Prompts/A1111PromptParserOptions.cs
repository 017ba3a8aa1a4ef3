namespace Conditioning.Prompts;

/// <summary>Options for <see cref="A1111PromptParser"/>; the defaults are webui's.</summary>
/// <remarks>Immutable once constructed (init-only); safe to share.</remarks>
public sealed record A1111PromptParserOptions
{
    /// <summary>The number of sampling steps prompt editing refers to (default 20). Must be ≥ 1.</summary>
    public int Steps { get; init; } = 20;

    /// <summary>
    /// The number of hires-fix steps when this is the hires pass; then <c>[a:b:1.5]</c> switches halfway through it and
    /// integer steps count from the end of the base pass. Null for the base pass.
    /// </summary>
    public int? HiresSteps { get; init; }

    /// <summary>webui's <c>use_old_scheduling</c>: values below 1 are fractions, others absolute steps; no hires offsets.</summary>
    public bool UseOldScheduling { get; init; }

    /// <summary>
    /// Whether this is a negative prompt. webui does not split negative prompts on <c>AND</c>, nor read a trailing
    /// <c>:weight</c> from them.
    /// </summary>
    public bool IsNegativePrompt { get; init; }

    /// <summary>
    /// Whether to throw <see cref="PromptSyntaxException"/> where webui fails (default true): a weight such as
    /// <c>(a:1.2.3)</c> that Python's <c>float()</c> rejects, or a step that overflows. When false, such a weight is
    /// read as text (like ComfyUI) and an overflowing step as "never" / "always".
    /// </summary>
    public bool Strict { get; init; } = true;
}
