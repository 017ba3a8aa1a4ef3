namespace Conditioning.Prompts;

/// <summary>
/// Thrown by a prompt parser in strict mode when the reference tool would fail on the input (for example
/// AUTOMATIC1111 raising <c>ValueError</c> on <c>(a:1.2.3)</c>), and by Compel-dialect parsing where Compel raises.
/// </summary>
/// <remarks>The position is a UTF-16 index into the text that was parsed.</remarks>
public sealed class PromptSyntaxException : FormatException
{
    /// <summary>Creates an exception with a message and no position.</summary>
    public PromptSyntaxException()
        : this("The prompt is not valid in this dialect.", 0)
    {
    }

    /// <summary>Creates an exception with a message and no position.</summary>
    /// <param name="message">What is wrong and what to do about it.</param>
    public PromptSyntaxException(string message)
        : this(message, 0)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">What is wrong and what to do about it.</param>
    /// <param name="innerException">The cause.</param>
    public PromptSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception that points at <paramref name="position"/> in the prompt.</summary>
    /// <param name="message">What is wrong and what to do about it.</param>
    /// <param name="position">The UTF-16 index in the parsed text where the problem starts.</param>
    public PromptSyntaxException(string message, int position)
        : base(message)
    {
        Position = position;
    }

    /// <summary>The UTF-16 index in the parsed text where the problem starts.</summary>
    public int Position { get; }
}
