using System.Text;

namespace Conditioning.Onnx;

/// <summary>
/// A model file does not fit the <see cref="ModelContract"/> of the component that loads it. The message names the
/// file and lists every expected-versus-found mismatch, followed by everything the model declares.
/// </summary>
public class ModelContractException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public ModelContractException()
        : base("The ONNX model does not fit the expected contract.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">The mismatch.</param>
    public ModelContractException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">The mismatch.</param>
    /// <param name="innerException">The cause.</param>
    public ModelContractException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception listing <paramref name="violations"/> of <paramref name="contract"/> by the model described by <paramref name="metadata"/>.</summary>
    /// <param name="metadata">What the model declares.</param>
    /// <param name="contract">The contract it failed.</param>
    /// <param name="violations">Every mismatch (at least one).</param>
    public ModelContractException(OnnxModelMetadata metadata, ModelContract contract, IReadOnlyList<ContractViolation> violations)
        : base(FormatMessage(metadata, contract, violations))
    {
        ModelPath = metadata.ModelPath;
        ComponentName = contract.ComponentName;
        Violations = violations;
    }

    /// <summary>The full path of the model file, when known.</summary>
    public string? ModelPath { get; }

    /// <summary>The component whose contract failed, when known.</summary>
    public string? ComponentName { get; }

    /// <summary>Every mismatch found.</summary>
    public IReadOnlyList<ContractViolation> Violations { get; } = [];

    private static string FormatMessage(OnnxModelMetadata metadata, ModelContract contract, IReadOnlyList<ContractViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentNullException.ThrowIfNull(violations);
        StringBuilder text = new();
        text.Append("The ONNX model '").Append(metadata.ModelPath).Append("' is not a ").Append(contract.ComponentName)
            .Append(" this library can use (").Append(violations.Count).Append(violations.Count == 1 ? " mismatch" : " mismatches").Append("):");
        foreach (ContractViolation violation in violations)
        {
            text.Append("\n  - ").Append(violation);
        }

        text.Append("\nThe model declares ").Append(metadata)
            .Append(".\nCheck that the file is the right component, or re-export it with the expected names and types.");
        return text.ToString();
    }
}
