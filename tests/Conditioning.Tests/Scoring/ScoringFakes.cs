using Conditioning.Onnx;
using Microsoft.Extensions.Logging;

namespace Conditioning.Tests.Scoring;

/// <summary>Records log entries.</summary>
internal sealed class ListLogger : ILogger
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries) Entries.Add((logLevel, formatter(state, exception)));
    }
}

/// <summary>
/// A hand-written stand-in for a CLIP tower: declares one input and one output, and returns for each batch row the
/// embedding <see cref="Embed"/> computes from that row's input values. Counts runs and rows.
/// </summary>
internal sealed class FakeTower(string input, OnnxElementType inputType, int inputRank, string output, Func<float[], float[]> embed) : IOnnxModel
{
    private int _runs;
    private int _rows;

    public int Runs => _runs;

    public int Rows => _rows;

    public Func<float[], float[]> Embed { get; } = embed;

    public OnnxModelMetadata Metadata { get; } = new(
        $"fake-{output}.onnx",
        [new OnnxTensorInfo(input, inputType, [.. Enumerable.Repeat<int?>(null, inputRank)])],
        [new OnnxTensorInfo(output, OnnxElementType.Float32, [null, null])]);

    public static FakeTower Text(Func<float[], float[]> embed) => new("input_ids", OnnxElementType.Int64, 2, "text_embeds", embed);

    public static FakeTower Vision(Func<float[], float[]> embed) => new("pixel_values", OnnxElementType.Float32, 4, "image_embeds", embed);

    public ModelOutputs Run(IReadOnlyDictionary<string, ModelTensor> inputs, IReadOnlyCollection<string>? outputNames = null)
    {
        ModelTensor tensor = inputs[Metadata.Inputs[0].Name];
        float[] values = tensor switch
        {
            ModelTensor<float> f => f.Span.ToArray(),
            ModelTensor<long> l => [.. l.Span.ToArray().Select(v => (float)v)],
            _ => throw new NotSupportedException(tensor.ToString()),
        };
        int batch = tensor.Shape[0];
        int per = values.Length / batch;
        List<float> result = [];
        int dimension = 0;
        for (int b = 0; b < batch; b++)
        {
            float[] e = Embed(values[(b * per)..((b + 1) * per)]);
            dimension = e.Length;
            result.AddRange(e);
        }

        Interlocked.Increment(ref _runs);
        Interlocked.Add(ref _rows, batch);
        return new ModelOutputs([KeyValuePair.Create(Metadata.Outputs[0].Name, new ModelTensor<float>(result.ToArray(), batch, dimension))]);
    }

    public Task<ModelOutputs> RunAsync(IReadOnlyDictionary<string, ModelTensor> inputs, IReadOnlyCollection<string>? outputNames = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Run(inputs, outputNames));
    }

    public void Dispose()
    {
    }
}
