namespace Conditioning.Onnx;

/// <summary>
/// What a component (a text encoder, a UNet wrapper, …) needs from a model file: the inputs it will feed and the
/// outputs it will read, each with accepted element types and ranks. Checked when a model is loaded, so a wrong
/// file fails at once with every mismatch listed, instead of deep inside a run.
/// </summary>
/// <remarks>Immutable; safe to share across threads and to reuse for every load.</remarks>
/// <example>
/// <code>
/// var clip = new ModelContract("CLIP text encoder",
///     inputs: [new TensorRequirement("input_ids", [OnnxElementType.Int32, OnnxElementType.Int64], [2])],
///     outputs: [new TensorRequirement("last_hidden_state", [OnnxElementType.Float32, OnnxElementType.Float16], [3]),
///               new TensorRequirement("hidden_states.*", ranks: [3], isOptional: true)]);
/// using OnnxModel model = OnnxModel.Load("text_encoder/model.onnx", contract: clip);
/// </code>
/// </example>
public sealed class ModelContract
{
    /// <summary>Creates a contract.</summary>
    /// <param name="componentName">What the contract is for, used in messages (e.g. <c>CLIP text encoder</c>).</param>
    /// <param name="inputs">The inputs the component feeds.</param>
    /// <param name="outputs">The outputs the component reads; models may have more.</param>
    /// <param name="allowOtherInputs">
    /// Whether the model may declare inputs that match no requirement. <see langword="false"/> (the default) reports
    /// them, because a run would fail for lack of them (e.g. an <c>attention_mask</c> the component never feeds).
    /// </param>
    public ModelContract(
        string componentName,
        IEnumerable<TensorRequirement> inputs,
        IEnumerable<TensorRequirement> outputs,
        bool allowOtherInputs = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(componentName);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ComponentName = componentName;
        Inputs = inputs.ToArray();
        Outputs = outputs.ToArray();
        AllowsOtherInputs = allowOtherInputs;
    }

    /// <summary>What the contract is for, as shown in messages.</summary>
    public string ComponentName { get; }

    /// <summary>The input requirements.</summary>
    public IReadOnlyList<TensorRequirement> Inputs { get; }

    /// <summary>The output requirements.</summary>
    public IReadOnlyList<TensorRequirement> Outputs { get; }

    /// <summary>Whether the model may declare inputs that match no requirement.</summary>
    public bool AllowsOtherInputs { get; }

    /// <summary>Lists every way <paramref name="metadata"/> fails this contract; empty when it fits.</summary>
    /// <param name="metadata">The model's declared inputs and outputs.</param>
    public IReadOnlyList<ContractViolation> FindViolations(OnnxModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        List<ContractViolation> violations = [];
        Check(isInput: true, Inputs, metadata.Inputs, violations);
        Check(isInput: false, Outputs, metadata.Outputs, violations);
        if (!AllowsOtherInputs)
        {
            string fed = Inputs.Count == 0 ? "nothing" : string.Join(", ", Inputs.Select(r => r.Name));
            foreach (OnnxTensorInfo input in metadata.Inputs.Where(i => !Inputs.Any(r => r.Matches(i.Name))))
            {
                violations.Add(new ContractViolation(
                    IsInput: true, input.Name, $"no such input ({ComponentName} feeds only {fed})", input.TypeAndShape));
            }
        }

        return violations;
    }

    /// <summary>Throws when <paramref name="metadata"/> fails this contract.</summary>
    /// <param name="metadata">The model's declared inputs and outputs.</param>
    /// <exception cref="ModelContractException">The model fails the contract; the exception lists every violation.</exception>
    public void Validate(OnnxModelMetadata metadata)
    {
        IReadOnlyList<ContractViolation> violations = FindViolations(metadata);
        if (violations.Count > 0)
        {
            throw new ModelContractException(metadata, this, violations);
        }
    }

    private static void Check(
        bool isInput,
        IReadOnlyList<TensorRequirement> requirements,
        IReadOnlyList<OnnxTensorInfo> declared,
        List<ContractViolation> violations)
    {
        foreach (TensorRequirement requirement in requirements)
        {
            OnnxTensorInfo[] matches = declared.Where(d => requirement.Matches(d.Name)).ToArray();
            if (matches.Length == 0 && !requirement.IsOptional)
            {
                violations.Add(new ContractViolation(isInput, requirement.Name, requirement.Describe(), requirement.IsPattern ? "no matching name" : "missing"));
            }

            foreach (OnnxTensorInfo match in matches.Where(m => !requirement.Accepts(m)))
            {
                violations.Add(new ContractViolation(isInput, match.Name, requirement.Describe(), match.TypeAndShape));
            }
        }
    }
}
