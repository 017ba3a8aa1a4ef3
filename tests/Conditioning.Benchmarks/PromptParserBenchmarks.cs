using BenchmarkDotNet.Attributes;
using Conditioning.Prompts;

namespace Conditioning.Benchmarks;

/// <summary>Parsing cost per dialect on a realistic weighted prompt and on the pathological inputs the parsers must survive in linear time.</summary>
[MemoryDiagnoser]
public class PromptParserBenchmarks
{
    private const string Realistic = "masterpiece, best quality, (a large red circle:1.3) on the left, [blue square:0.5], ((white background)), [cat:dog:0.4], highly detailed, 8k";
    private string _megabyte = string.Empty;
    private string _nested = string.Empty;
    private string _backslashes = string.Empty;
    private readonly A1111PromptParser _a1111 = new(new A1111PromptParserOptions { Steps = 20 });
    private readonly ComfyPromptParser _comfy = new();
    private readonly CompelPromptParser _compel = new();

    [GlobalSetup]
    public void Setup()
    {
        _megabyte = string.Concat(Enumerable.Repeat("a (red:1.2) circle, [blue] square, ", (1 << 20) / 34));
        _nested = new string('(', 10_000) + "x" + new string(')', 10_000);
        _backslashes = new string('\\', 100_000) + "(x)";
    }

    [Benchmark(Baseline = true)]
    public ParsedPrompt A1111Realistic() => _a1111.Parse(Realistic);

    [Benchmark]
    public ParsedPrompt ComfyRealistic() => _comfy.Parse(Realistic);

    [Benchmark]
    public ParsedPrompt CompelRealistic() => _compel.Parse("a large red++ circle on the left, (blue square)0.5, white background");

    [Benchmark]
    public ParsedPrompt A1111OneMegabyte() => _a1111.Parse(_megabyte);

    [Benchmark]
    public ParsedPrompt A1111TenThousandNestedBrackets() => _a1111.Parse(_nested);

    [Benchmark]
    public ParsedPrompt ComfyBackslashRun() => _comfy.Parse(_backslashes);
}
