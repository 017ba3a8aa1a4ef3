namespace Conditioning.Onnx;

/// <summary>
/// How the host wants models run: the execution provider (CPU by default, or CUDA on a device) and the CPU
/// threading and graph-optimization settings. Unset (<see langword="null"/>) properties keep ONNX Runtime's
/// defaults.
/// </summary>
/// <remarks>
/// The library references only <c>Microsoft.ML.OnnxRuntime.Managed</c>; the application picks the native build
/// by referencing <c>Microsoft.ML.OnnxRuntime</c> (CPU) or <c>Microsoft.ML.OnnxRuntime.Gpu</c> 1.31.0 (CUDA and
/// CPU). Asking for <see cref="OnnxExecutionProvider.Cuda"/> without the latter, or without the CUDA 13 libraries,
/// makes <see cref="OnnxModel.Load"/> throw <see cref="ExecutionProviderUnavailableException"/>.
/// An options object is read when a model is loaded; changing it afterwards does not affect loaded models.
/// </remarks>
public sealed class OnnxModelOptions
{
    /// <summary>The execution provider; <see cref="OnnxExecutionProvider.Cpu"/> by default.</summary>
    public OnnxExecutionProvider ExecutionProvider { get; set; } = OnnxExecutionProvider.Cpu;

    /// <summary>The CUDA device ordinal (0 = first GPU) when <see cref="ExecutionProvider"/> is CUDA; ignored otherwise.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>
    /// Threads used inside one CPU operator (ONNX Runtime's <c>IntraOpNumThreads</c>); <see langword="null"/> or 0
    /// lets ONNX Runtime use one per physical core. Set it when several models share the machine.
    /// </summary>
    public int? IntraOpThreads { get; set; }

    /// <summary>
    /// Threads used to run independent CPU operators at the same time (<c>InterOpNumThreads</c>). A value above 1
    /// also switches the session to ONNX Runtime's parallel execution mode; <see langword="null"/> keeps sequential
    /// execution, which suits the chain-shaped graphs of text encoders and UNets.
    /// </summary>
    public int? InterOpThreads { get; set; }

    /// <summary>The graph optimization level; <see langword="null"/> keeps ONNX Runtime's default (<see cref="OnnxGraphOptimization.All"/>).</summary>
    public OnnxGraphOptimization? GraphOptimization { get; set; }

    /// <summary>Options for the CPU provider with ONNX Runtime's defaults.</summary>
    public static OnnxModelOptions Cpu() => new();

    /// <summary>Options for the CUDA provider on device <paramref name="deviceId"/>.</summary>
    /// <param name="deviceId">The CUDA device ordinal; 0 is the first GPU.</param>
    public static OnnxModelOptions Cuda(int deviceId = 0) =>
        new() { ExecutionProvider = OnnxExecutionProvider.Cuda, CudaDeviceId = deviceId };
}
