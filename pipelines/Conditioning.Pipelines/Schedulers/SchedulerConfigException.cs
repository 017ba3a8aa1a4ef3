namespace Conditioning.Pipelines.Schedulers;

/// <summary>Thrown when a scheduler configuration is missing, malformed, or asks for something not supported.</summary>
public sealed class SchedulerConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SchedulerConfigException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
