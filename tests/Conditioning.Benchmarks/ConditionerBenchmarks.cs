using BenchmarkDotNet.Attributes;
using Conditioning.Conditioners;

namespace Conditioning.Benchmarks;

/// <summary>
/// Conditioning a prompt and its negative on the embedded models (tiny CLIP for tiny-sd; tiny CLIP + tiny T5 for
/// tiny-flux), no embedding cache: both texts in one encoder batch (what the conditioners do) against the same two
/// texts conditioned one request at a time.
/// </summary>
[MemoryDiagnoser]
public class ConditionerBenchmarks
{
    private const string Prompt = "a large (red:1.3) circle on the left, [blue:green:0.5] square, white background";
    private const string Negative = "blurry, (black:1.2) background";
    private IPromptConditioner _sd = null!;
    private IPromptConditioner _flux = null!;

    [GlobalSetup]
    public void Setup()
    {
        string models = Path.Combine(RepoRoot(), "models");
        _sd = PromptConditioner.FromFolder(Path.Combine(models, "tiny-sd"));
        _flux = PromptConditioner.FromFolder(Path.Combine(models, "tiny-flux"));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sd.Dispose();
        _flux.Dispose();
    }

    [Benchmark(Baseline = true)]
    public Task<DiffusionConditioning> SdPromptAndNegativeInOneBatch() => _sd.EncodeAsync(new ConditioningRequest { Prompt = Prompt, NegativePrompt = Negative });

    [Benchmark]
    public async Task<DiffusionConditioning> SdPromptThenNegative()
    {
        await _sd.EncodeAsync(new ConditioningRequest { Prompt = Negative, ClassifierFreeGuidance = false });
        return await _sd.EncodeAsync(new ConditioningRequest { Prompt = Prompt, ClassifierFreeGuidance = false });
    }

    [Benchmark]
    public Task<DiffusionConditioning> FluxPromptAndNegativeInOneBatch() => _flux.EncodeAsync(new ConditioningRequest { Prompt = Prompt, NegativePrompt = Negative });

    [Benchmark]
    public async Task<DiffusionConditioning> FluxPromptThenNegative()
    {
        await _flux.EncodeAsync(new ConditioningRequest { Prompt = Negative, ClassifierFreeGuidance = false });
        return await _flux.EncodeAsync(new ConditioningRequest { Prompt = Prompt, ClassifierFreeGuidance = false });
    }

    private static string RepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Conditioning.sln"))) return dir;
        }

        throw new DirectoryNotFoundException($"Conditioning.sln not found above {AppContext.BaseDirectory}");
    }
}
