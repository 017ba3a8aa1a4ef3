namespace Conditioning.Tests.Scoring;

/// <summary>
/// A fact that needs the trained tiny CLIP (models/tiny-clip/text_model.onnx, exported on branch <c>models</c>); it is
/// reported as skipped, with the reason, until that export is merged. CONDITIONING_TINY_CLIP points at another export.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class TinyClipFactAttribute : FactAttribute
{
    public TinyClipFactAttribute()
    {
        if (!File.Exists(Path.Combine(TrainedTinyClip.Folder, "text_model.onnx")))
        {
            Skip = $"The trained tiny CLIP is not in '{TrainedTinyClip.Folder}' yet (models/training/export_clip.py on branch models writes it); merge it to run this test.";
        }
    }
}
