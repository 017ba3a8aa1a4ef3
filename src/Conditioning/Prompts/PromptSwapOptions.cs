namespace Conditioning.Prompts;

/// <summary>
/// The Compel swap options: the fractions of the diffusion at which the swap is active in self-attention
/// (<c>s_*</c>) and cross-attention (<c>t_*</c>).
/// </summary>
/// <param name="SStart">Self-attention start (default 0).</param>
/// <param name="SEnd">Self-attention end (default 0; <c>shape_freedom</c> f sets it to 1 − f^(1/3)).</param>
/// <param name="TStart">Cross-attention start (default 0.2).</param>
/// <param name="TEnd">Cross-attention end (default 1).</param>
public sealed record PromptSwapOptions(double SStart = 0.0, double SEnd = 0.0, double TStart = 0.2, double TEnd = 1.0);
