using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Conditioning.Onnx;

/// <summary>
/// The outputs of one run, by output name, converted to float32 (float16, bfloat16, float64 and integer outputs
/// are widened or converted; integers above 2^24 lose precision). The data is managed memory owned by this
/// object: nothing needs disposing and it stays valid after the model is disposed.
/// </summary>
/// <remarks>Immutable; safe to share across threads. Create instances directly to return results from a fake model in tests.</remarks>
public sealed class ModelOutputs : IReadOnlyDictionary<string, ModelTensor<float>>
{
    private readonly Dictionary<string, ModelTensor<float>> _byName;
    private readonly string[] _order;

    /// <summary>Creates a result from named tensors, kept in the given order.</summary>
    /// <param name="outputs">The outputs in the order they were requested.</param>
    /// <exception cref="ArgumentException">Two outputs share a name.</exception>
    public ModelOutputs(IEnumerable<KeyValuePair<string, ModelTensor<float>>> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        _byName = new(StringComparer.Ordinal);
        List<string> order = [];
        foreach ((string name, ModelTensor<float> tensor) in outputs)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(outputs));
            if (!_byName.TryAdd(name, tensor))
            {
                throw new ArgumentException($"The output name '{name}' appears twice.", nameof(outputs));
            }

            order.Add(name);
        }

        _order = [.. order];
    }

    /// <summary>The output called <paramref name="name"/>.</summary>
    /// <param name="name">An output name that was requested.</param>
    /// <exception cref="KeyNotFoundException">The output was not requested or does not exist; the message lists those present.</exception>
    public ModelTensor<float> this[string name] =>
        _byName.TryGetValue(name, out ModelTensor<float>? tensor)
            ? tensor
            : throw new KeyNotFoundException(
                $"There is no output '{name}' in this result; it holds: {(_order.Length == 0 ? "(nothing)" : string.Join(", ", _order))}.");

    /// <summary>The output names in the order they were requested.</summary>
    public IEnumerable<string> Keys => _order;

    /// <summary>The tensors in the order they were requested.</summary>
    public IEnumerable<ModelTensor<float>> Values => _order.Select(n => _byName[n]);

    /// <summary>The number of outputs.</summary>
    public int Count => _order.Length;

    /// <summary>Whether an output called <paramref name="key"/> is present.</summary>
    /// <param name="key">The output name.</param>
    public bool ContainsKey(string key) => _byName.ContainsKey(key);

    /// <summary>Gets the output called <paramref name="key"/> when present.</summary>
    /// <param name="key">The output name.</param>
    /// <param name="value">The tensor, or <see langword="null"/>.</param>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out ModelTensor<float> value) => _byName.TryGetValue(key, out value);

    /// <summary>Enumerates the outputs in the order they were requested.</summary>
    public IEnumerator<KeyValuePair<string, ModelTensor<float>>> GetEnumerator() =>
        _order.Select(n => KeyValuePair.Create(n, _byName[n])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
