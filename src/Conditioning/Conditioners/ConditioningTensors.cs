using System.Globalization;
using Conditioning.Onnx;

namespace Conditioning.Conditioners;

/// <summary>Names a <see cref="DiffusionConditioning"/>'s tensors as diffusers' pipelines call their arguments.</summary>
public static class ConditioningTensors
{
    /// <summary>
    /// Lists every tensor: <c>prompt_embeds</c>, <c>pooled_prompt_embeds</c>, <c>add_time_ids</c>, <c>txt_ids</c> and the
    /// <c>negative_</c> counterparts for the first part's first schedule entry; further AND parts and schedule entries
    /// get a <c>.part{k}.until_step{n}</c> suffix.
    /// </summary>
    public static IReadOnlyList<(string Name, ModelTensor<float> Tensor)> Flatten(DiffusionConditioning conditioning)
    {
        ArgumentNullException.ThrowIfNull(conditioning);
        var result = new List<(string, ModelTensor<float>)>();
        Add(conditioning.Positive, string.Empty, result);
        if (conditioning.Negative is { } negative) Add(negative, "negative_", result);
        return result;
    }

    private static void Add(ConditioningSchedule schedule, string prefix, List<(string, ModelTensor<float>)> result)
    {
        for (int p = 0; p < schedule.Parts.Count; p++)
        {
            ConditioningPart part = schedule.Parts[p];
            for (int s = 0; s < part.Schedule.Count; s++)
            {
                (int end, PromptEmbeddings e) = part.Schedule[s];
                string suffix = p == 0 && s == 0 ? string.Empty
                    : string.Create(CultureInfo.InvariantCulture, $".part{p}") + (end == int.MaxValue ? string.Empty : string.Create(CultureInfo.InvariantCulture, $".until_step{end}"));
                result.Add(($"{prefix}prompt_embeds{suffix}", e.Sequence));
                if (e.Pooled is { } pooled) result.Add(($"{prefix}pooled_prompt_embeds{suffix}", pooled));
                if (e.TimeIds is { } timeIds) result.Add(($"{prefix}add_time_ids{suffix}", timeIds));
                if (e.TextIds is { } textIds && prefix.Length == 0 && p == 0 && s == 0) result.Add(("txt_ids", textIds));
            }
        }
    }
}
