namespace Conditioning.Onnx;

/// <summary>Where ONNX Runtime runs a model; chosen by the host through <see cref="OnnxModelOptions"/>.</summary>
public enum OnnxExecutionProvider
{
    /// <summary>
    /// The CPU provider, present in every ONNX Runtime build (the <c>Microsoft.ML.OnnxRuntime</c> and
    /// <c>Microsoft.ML.OnnxRuntime.Gpu</c> packages both have it).
    /// </summary>
    Cpu = 0,

    /// <summary>
    /// NVIDIA CUDA, with the CPU provider as fallback for nodes CUDA does not implement. Needs the application to
    /// reference <c>Microsoft.ML.OnnxRuntime.Gpu</c> 1.31.0 and the CUDA 13 runtime libraries to be loadable.
    /// </summary>
    Cuda = 1,
}
