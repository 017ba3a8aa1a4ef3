namespace Conditioning.Prompts;

/// <summary>The weighted-prompt syntax a prompt is written in.</summary>
public enum PromptDialect
{
    /// <summary>AUTOMATIC1111 stable-diffusion-webui: <c>(x)</c>, <c>[x]</c>, <c>(x:w)</c>, <c>BREAK</c>, <c>AND</c>, <c>[a:b:when]</c>, <c>[a|b]</c>.</summary>
    A1111,

    /// <summary>ComfyUI: <c>(x)</c>, <c>(x:w)</c> (an inner explicit weight replaces the outer ones); no other syntax.</summary>
    ComfyUI,

    /// <summary>Compel / InvokeAI: <c>x+</c>, <c>(x)-</c>, <c>(x)1.3</c>, <c>.blend()</c>, <c>.and()</c>, <c>.swap()</c>.</summary>
    Compel,
}
