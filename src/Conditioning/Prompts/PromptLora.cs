namespace Conditioning.Prompts;

/// <summary>A LoRA reference written in the prompt (Compel <c>withLora(name, weight)</c>); removed from the text.</summary>
/// <param name="Name">The LoRA name as written.</param>
/// <param name="Weight">The LoRA strength (default 1).</param>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed record PromptLora(string Name, double Weight);
