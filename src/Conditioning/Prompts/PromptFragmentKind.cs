namespace Conditioning.Prompts;

/// <summary>What a <see cref="PromptFragment"/> stands for.</summary>
public enum PromptFragmentKind
{
    /// <summary>Text to tokenize; every token of it gets the fragment's weight.</summary>
    Text,

    /// <summary>
    /// An AUTOMATIC1111 <c>BREAK</c>: the current 75-token chunk is padded and closed. Its text is <c>"BREAK"</c> and
    /// its weight is exactly −1, as in the reference parser.
    /// </summary>
    Break,

    /// <summary>A Compel <c>.swap()</c> (prompt-to-prompt); see <see cref="PromptFragment.Swap"/>.</summary>
    Swap,
}
