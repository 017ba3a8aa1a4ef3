using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;

namespace Conditioning.Onnx;

/// <summary>
/// Turns <see cref="OnnxModelOptions"/> into ONNX Runtime <see cref="SessionOptions"/>, appending the execution
/// provider and translating "provider not present" failures into <see cref="ExecutionProviderUnavailableException"/>
/// with a message that names the missing package or library.
/// </summary>
internal static partial class SessionOptionsFactory
{
    internal const string CudaProviderName = "CUDAExecutionProvider";
    internal const string GpuPackage = "Microsoft.ML.OnnxRuntime.Gpu";
    internal const string OrtVersion = "1.31.0";

    private const string CudaLibraries =
        "the CUDA 13 runtime (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10, libcufft) and cuDNN, " +
        "where the dynamic loader finds them (e.g. on LD_LIBRARY_PATH), and the NVIDIA driver (libcuda.so.1)";

    /// <summary>Creates session options for <paramref name="options"/>; the caller disposes them.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A thread count or the device id is negative.</exception>
    /// <exception cref="ExecutionProviderUnavailableException">The provider is not in this build or cannot be loaded.</exception>
    public static SessionOptions Create(OnnxModelOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpThreads ?? 0, "options.IntraOpThreads");
        ArgumentOutOfRangeException.ThrowIfNegative(options.InterOpThreads ?? 0, "options.InterOpThreads");
        ArgumentOutOfRangeException.ThrowIfNegative(options.CudaDeviceId, "options.CudaDeviceId");

        SessionOptions sessionOptions = CreateNative(options.ExecutionProvider);
        try
        {
            if (options.IntraOpThreads is int intra)
            {
                sessionOptions.IntraOpNumThreads = intra;
            }

            if (options.InterOpThreads is int inter)
            {
                sessionOptions.InterOpNumThreads = inter;
                if (inter > 1)
                {
                    sessionOptions.ExecutionMode = ExecutionMode.ORT_PARALLEL;
                }
            }

            if (options.GraphOptimization is OnnxGraphOptimization level)
            {
                sessionOptions.GraphOptimizationLevel = level switch
                {
                    OnnxGraphOptimization.Disabled => GraphOptimizationLevel.ORT_DISABLE_ALL,
                    OnnxGraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                    OnnxGraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                    OnnxGraphOptimization.All => GraphOptimizationLevel.ORT_ENABLE_ALL,
                    _ => throw new ArgumentOutOfRangeException(nameof(options), level, "Unknown graph optimization level."),
                };
            }

            switch (options.ExecutionProvider)
            {
                case OnnxExecutionProvider.Cpu:
                    // The CPU provider is always registered last by ONNX Runtime; nothing to append.
                    break;
                case OnnxExecutionProvider.Cuda:
                    AppendCuda(sessionOptions, options.CudaDeviceId);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(options), options.ExecutionProvider, "Unknown execution provider.");
            }

            return sessionOptions;
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Finds the shared library the loader could not open from a loader message such as
    /// <c>libcublasLt.so.13: cannot open shared object file: No such file or directory</c>.
    /// </summary>
    internal static string? ParseMissingLibrary(string loaderMessage)
    {
        Match match = MissingSharedObject().Match(loaderMessage);
        return match.Success ? match.Groups["name"].Value : null;
    }

    /// <summary>The message for a CUDA request on an ONNX Runtime build that has no CUDA provider.</summary>
    internal static string NotInBuildMessage(IEnumerable<string> availableProviders) =>
        $"The CUDA execution provider is not in this ONNX Runtime build (it offers: {string.Join(", ", availableProviders)}). " +
        $"Reference {GpuPackage} {OrtVersion} in the application instead of Microsoft.ML.OnnxRuntime, or use OnnxExecutionProvider.Cpu.";

    private static SessionOptions CreateNative(OnnxExecutionProvider provider)
    {
        try
        {
            return new SessionOptions();
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            throw new ExecutionProviderUnavailableException(
                provider,
                "onnxruntime",
                "The ONNX Runtime native library could not be loaded. This library references only Microsoft.ML.OnnxRuntime.Managed; " +
                $"the application must also reference Microsoft.ML.OnnxRuntime (CPU) or {GpuPackage} (CUDA) {OrtVersion}. ({ex.Message})",
                ex);
        }
    }

    private static void AppendCuda(SessionOptions sessionOptions, int deviceId)
    {
        string[] available = OrtEnv.Instance().GetAvailableProviders();
        if (!available.Contains(CudaProviderName, StringComparer.Ordinal))
        {
            throw new ExecutionProviderUnavailableException(OnnxExecutionProvider.Cuda, GpuPackage, NotInBuildMessage(available), null);
        }

        try
        {
            sessionOptions.AppendExecutionProvider_CUDA(deviceId);
        }
        catch (EntryPointNotFoundException ex)
        {
            // A CPU-only native library lacks the CUDA entry point altogether.
            throw new ExecutionProviderUnavailableException(OnnxExecutionProvider.Cuda, GpuPackage, NotInBuildMessage(available), ex);
        }
        catch (OnnxRuntimeException ex)
        {
            // ONNX Runtime logs which dependency failed but throws only "Failed to load shared library";
            // loading the provider library ourselves recovers the loader's message.
            string? missing = FindMissingCudaLibrary();
            string what = missing is null
                ? "the CUDA provider library or one of its dependencies could not be loaded"
                : $"{missing} could not be loaded";
            throw new ExecutionProviderUnavailableException(
                OnnxExecutionProvider.Cuda,
                missing,
                $"The CUDA execution provider is in this ONNX Runtime build but cannot start: {what}. " +
                $"It needs {CudaLibraries}. Install them, or use OnnxExecutionProvider.Cpu. (ONNX Runtime: {ex.Message})",
                ex);
        }
    }

    private static string? FindMissingCudaLibrary()
    {
        string fileName = OperatingSystem.IsWindows() ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
        string baseDir = AppContext.BaseDirectory;
        string[] candidates =
        [
            Path.Combine(baseDir, fileName),
            Path.Combine(baseDir, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", fileName),
        ];
        string? path = candidates.FirstOrDefault(File.Exists);
        if (path is null)
        {
            return fileName;
        }

        try
        {
            NativeLibrary.Free(NativeLibrary.Load(path));
            return null;
        }
        catch (DllNotFoundException ex)
        {
            return ParseMissingLibrary(ex.Message);
        }
        catch (BadImageFormatException)
        {
            return fileName;
        }
    }

    [GeneratedRegex(@"(?<name>[^\s:'""/]+): cannot open shared object file", RegexOptions.CultureInvariant)]
    private static partial Regex MissingSharedObject();
}
