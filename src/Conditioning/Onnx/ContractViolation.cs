namespace Conditioning.Onnx;

/// <summary>One way a model fails a <see cref="ModelContract"/>: which input or output, what was expected and what was found.</summary>
/// <param name="IsInput"><see langword="true"/> for an input, <see langword="false"/> for an output.</param>
/// <param name="Name">The name (or pattern) concerned.</param>
/// <param name="Expected">What the contract asks for, e.g. <c>input_ids: int32|int64, rank 2</c>.</param>
/// <param name="Found">What the model declares, e.g. <c>float32[batch, sequence]</c>, or <c>missing</c>.</param>
public sealed record ContractViolation(bool IsInput, string Name, string Expected, string Found)
{
    /// <summary>The violation as one line: <c>input 'input_ids': expected …; found …</c>.</summary>
    public override string ToString() => $"{(IsInput ? "input" : "output")} '{Name}': expected {Expected}; found {Found}";
}
