using System.Text.Json;
using Conditioning.Pipelines.Schedulers;

namespace Conditioning.Pipelines.Tests.Schedulers;

/// <summary>One case of <c>../shared/pipelines/scheduler_vectors.json</c>.</summary>
internal sealed record SchedulerCase(
    string Id,
    string Scheduler,
    SchedulerConfig Config,
    int Steps,
    double[] Timesteps,
    double[]? Sigmas,
    double InitNoiseSigma,
    double[] FinalLatent,
    double[] TraceSums,
    JsonElement Raw);

internal static class SchedulerVectors
{
    private static readonly Lazy<(SchedulerCase[] Cases, JsonDocument Doc)> Data = new(Load);

    public static SchedulerCase[] Cases => Data.Value.Cases;

    public static JsonElement Root => Data.Value.Doc.RootElement;

    public static IEnumerable<object[]> Ids => Cases.Select(c => new object[] { c.Id });

    public static SchedulerCase Get(string id) => Cases.Single(c => c.Id == id);

    private static (SchedulerCase[], JsonDocument) Load()
    {
        var doc = JsonDocument.Parse(File.ReadAllText(SharedData.PathOf("pipelines", "scheduler_vectors.json")));
        var cases = new List<SchedulerCase>();
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            cases.Add(new SchedulerCase(
                c.GetProperty("id").GetString()!,
                c.GetProperty("scheduler").GetString()!,
                SchedulerConfig.FromJson(c.GetProperty("config")),
                c.GetProperty("steps").GetInt32(),
                Doubles(c.GetProperty("timesteps")),
                c.GetProperty("sigmas").ValueKind == JsonValueKind.Array ? Doubles(c.GetProperty("sigmas")) : null,
                c.GetProperty("init_noise_sigma").GetDouble(),
                Doubles(c.GetProperty("final_latent")),
                [.. c.GetProperty("trace").EnumerateArray().Select(t => t.GetProperty("sum").GetDouble())],
                c));
        }

        return ([.. cases], doc);
    }

    private static double[] Doubles(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetDouble())];
}
