namespace Conditioning.Prompts;

/// <summary>How the parts of a <see cref="ParsedPrompt"/> are combined.</summary>
public enum PromptConjunctionKind
{
    /// <summary>
    /// AUTOMATIC1111 <c>AND</c> (composable diffusion): each part is encoded on its own and combined at guidance time,
    /// <c>uncond + Σ wᵢ·cfg·(condᵢ − uncond)</c>.
    /// </summary>
    Composable,

    /// <summary>Compel <c>.and()</c>: the parts' conditionings are concatenated along the token axis.</summary>
    Concatenated,
}
