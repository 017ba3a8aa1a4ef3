using Microsoft.Extensions.Logging;

namespace Conditioning.Scoring;

/// <summary>Options for <see cref="ClipImageIndex"/>; unset properties take the defaults described on each.</summary>
public sealed record ClipImageIndexOptions
{
    /// <summary>Images per vision-model run and per database transaction; default 32. A crash loses at most one batch.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Batches embedded at the same time; default the number of processors.</summary>
    public int? MaxParallelism { get; init; }

    /// <summary>Limits for reading image files.</summary>
    public ImageLoadOptions? LoadOptions { get; init; }

    /// <summary>Receives a warning for every unreadable file.</summary>
    public ILogger? Logger { get; init; }
}
