using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Conditioning.Tokenizers;

namespace Conditioning.Benchmarks;

/// <summary>
/// Tokenizer throughput on realistic SD prompts (the generated sd/tags/weighted/long/sentence prompts of the shared
/// reference vectors). One operation = one pass over all prompts; prompts/s = Prompts / mean time.
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private string[] _prompts = [];
    private ClipTokenizer _clip = null!;
    private ClipTokenizer _clipNoCache = null!;
    private T5Tokenizer _t5 = null!;
    private readonly List<int> _ids = new(1024);

    /// <summary>Number of prompts per operation.</summary>
    public const int Prompts = 247;

    [GlobalSetup]
    public void Setup()
    {
        string shared = SharedFolder();
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(shared, "tokenizers", "clip_vectors.json")));
        _prompts = [.. doc.RootElement.GetProperty("vectors").EnumerateArray()
            .Where(v => v.GetProperty("kind").GetString() != "edge")
            .Select(v => v.GetProperty("prompt").GetString()!)];
        if (_prompts.Length != Prompts) throw new InvalidOperationException($"expected {Prompts} realistic prompts, found {_prompts.Length}");
        _clip = ClipTokenizer.FromFolder(Path.Combine(shared, "tokenizers", "clip-vit-large-patch14"));
        _clipNoCache = ClipTokenizer.FromFolder(Path.Combine(shared, "tokenizers", "clip-vit-large-patch14"), new ClipTokenizerOptions { CacheCapacity = 0 });
        _t5 = T5Tokenizer.FromFolder(Path.Combine(shared, "tokenizers", "t5-v1_1-xxl"));
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Prompts)]
    public int ClipIds() => Run(_clip);

    [Benchmark(OperationsPerInvoke = Prompts)]
    public int ClipIdsWithoutWordCache() => Run(_clipNoCache);

    [Benchmark(OperationsPerInvoke = Prompts)]
    public int ClipIdsTokensAndSpans()
    {
        int n = 0;
        foreach (string p in _prompts) n += _clip.Encode(p).Count;
        return n;
    }

    [Benchmark(OperationsPerInvoke = Prompts)]
    public int T5Ids() => Run(_t5);

    [Benchmark(OperationsPerInvoke = Prompts)]
    public int T5IdsTokensAndSpans()
    {
        int n = 0;
        foreach (string p in _prompts) n += _t5.Encode(p).Count;
        return n;
    }

    private int Run(ITextTokenizer tokenizer)
    {
        int n = 0;
        foreach (string p in _prompts)
        {
            _ids.Clear();
            n += tokenizer.EncodeToIds(p, _ids);
        }

        return n;
    }

    internal static string SharedFolder()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Conditioning.sln")))
            {
                string shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                if (Directory.Exists(shared)) return shared;
            }
        }

        throw new DirectoryNotFoundException("../shared (beside the repository) is needed for the benchmark prompts and tokenizer files");
    }
}
