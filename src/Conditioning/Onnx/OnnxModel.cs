using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace Conditioning.Onnx;

/// <summary>
/// One ONNX model file loaded into an ONNX Runtime session: its declared inputs and outputs, and runs with named
/// <see cref="ModelTensor"/> inputs that are cast to whatever the model declares (int32 or int64 ids, float16,
/// bfloat16 or float32 values), returning float32 outputs.
/// </summary>
/// <remarks>
/// <para>
/// Load by path so ONNX Runtime finds external weights (<c>model.onnx_data</c>, <c>weights.pb</c>) beside the file.
/// </para>
/// <para>
/// Thread-safety: <see cref="Run"/> and <see cref="RunAsync"/> may be called from many threads at once (ONNX Runtime's
/// <c>InferenceSession.Run</c> is thread-safe and each call gets its own <c>RunOptions</c>); every
/// <see cref="OrtValue"/> a run creates is disposed before it returns. <see cref="Dispose"/> waits for runs in flight
/// to finish, so cancel them first; runs started after disposal throw <see cref="ObjectDisposedException"/>.
/// </para>
/// <para>
/// Shapes are checked before the runtime sees them: every declared input must be given, with the declared rank
/// (a 0-d scalar and a <c>[B]</c> timestep are different, and the message says which the model wants), fixed axes
/// must match, and inputs that share a symbolic axis (<c>batch</c>) must agree on its size.
/// </para>
/// </remarks>
public sealed class OnnxModel : IOnnxModel
{
    private readonly InferenceSession _session;
    private readonly ReaderWriterLockSlim _lifetime = new(LockRecursionPolicy.NoRecursion);
    private readonly string[] _defaultOutputs;
    private bool _disposed;

    private OnnxModel(InferenceSession session, OnnxModelMetadata metadata, OnnxModelOptions options)
    {
        _session = session;
        Metadata = metadata;
        ExecutionProvider = options.ExecutionProvider;
        _defaultOutputs = metadata.Outputs.Where(o => o.IsTensor).Select(o => o.Name).ToArray();
    }

    /// <summary>The model file and its declared inputs and outputs (symbolic axes as <see langword="null"/> sizes with their names).</summary>
    public OnnxModelMetadata Metadata { get; }

    /// <summary>The full path of the model file.</summary>
    public string ModelPath => Metadata.ModelPath;

    /// <summary>The execution provider the session was created with.</summary>
    public OnnxExecutionProvider ExecutionProvider { get; }

    /// <summary>Called on the running thread just before the session executes; lets tests cancel a run that has started.</summary>
    internal Action? RunStarting { get; set; }

    /// <summary>Loads the model at <paramref name="path"/> and optionally checks it against a contract.</summary>
    /// <param name="path">The <c>.onnx</c> file; external-data files are looked up beside it.</param>
    /// <param name="options">Execution provider and threading; <see langword="null"/> for CPU with ONNX Runtime's defaults.</param>
    /// <param name="contract">What the caller needs from the model; <see langword="null"/> to skip the check.</param>
    /// <returns>The loaded model; dispose it to release the session.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>; the message names the path.</exception>
    /// <exception cref="ModelLoadException">The file is a folder, not ONNX, truncated, a Git LFS pointer, missing its external weights, or rejected by ONNX Runtime.</exception>
    /// <exception cref="ModelContractException">The model does not fit <paramref name="contract"/>.</exception>
    /// <exception cref="ExecutionProviderUnavailableException">The requested execution provider is not in the referenced ONNX Runtime build or cannot start.</exception>
    public static OnnxModel Load(string path, OnnxModelOptions? options = null, ModelContract? contract = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new ModelLoadException(
                fullPath, $"'{fullPath}' is a folder, not an ONNX model; pass the .onnx file inside it (e.g. {Path.Combine(fullPath, "model.onnx")}).", null);
        }

        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException(
                $"The ONNX model file '{fullPath}' does not exist. Check the path, or export/download the model first.", fullPath);
        }

        options ??= new OnnxModelOptions();
        InferenceSession session;
        using (SessionOptions sessionOptions = SessionOptionsFactory.Create(options))
        {
            try
            {
                session = new InferenceSession(fullPath, sessionOptions);
            }
            catch (OnnxRuntimeException ex)
            {
                throw TranslateLoadFailure(ex, fullPath, options);
            }
        }

        try
        {
            OnnxModelMetadata metadata = new(
                fullPath,
                session.InputMetadata.Select(kv => Describe(kv.Key, kv.Value)),
                session.OutputMetadata.Select(kv => Describe(kv.Key, kv.Value)));
            contract?.Validate(metadata);
            return new OnnxModel(session, metadata, options);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Loads the model on the thread pool (session creation can take seconds for a UNet).</summary>
    /// <param name="path">The <c>.onnx</c> file; external-data files are looked up beside it.</param>
    /// <param name="options">Execution provider and threading; <see langword="null"/> for CPU defaults.</param>
    /// <param name="contract">What the caller needs from the model; <see langword="null"/> to skip the check.</param>
    /// <param name="cancellationToken">Cancels before loading starts; ONNX Runtime cannot stop a session creation once begun.</param>
    /// <returns>The loaded model.</returns>
    /// <exception cref="OperationCanceledException">Cancelled before the load began.</exception>
    /// <remarks>Faults with the same exceptions as <see cref="Load"/>.</remarks>
    public static Task<OnnxModel> LoadAsync(
        string path, OnnxModelOptions? options = null, ModelContract? contract = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Load(path, options, contract), cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// float32, float64, int32 and int64 inputs whose type matches the declared element type are used in place
    /// (pinned, not copied); others are converted into a new buffer: float to float16/bfloat16/float64, integers to
    /// float, long to int32 (range-checked), and whole-valued floats to int32/int64. Lossy conversions throw
    /// <see cref="ModelInputException"/> naming the tensor and the element.
    /// </remarks>
    public ModelOutputs Run(IReadOnlyDictionary<string, ModelTensor> inputs, IReadOnlyCollection<string>? outputNames = null) =>
        RunCore(inputs, outputNames, CancellationToken.None);

    /// <inheritdoc />
    /// <remarks>
    /// The run executes on the thread pool. Cancelling <paramref name="cancellationToken"/> sets ONNX Runtime's
    /// <c>RunOptions.Terminate</c>, which stops the graph between nodes (and between loop iterations); the task
    /// then ends cancelled with an <see cref="OperationCanceledException"/> whose inner exception is ONNX Runtime's
    /// report. A token cancelled before the run starts cancels it without running.
    /// </remarks>
    public Task<ModelOutputs> RunAsync(
        IReadOnlyDictionary<string, ModelTensor> inputs,
        IReadOnlyCollection<string>? outputNames = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return cancellationToken.IsCancellationRequested
            ? Task.FromCanceled<ModelOutputs>(cancellationToken)
            : Task.Run(() => RunCore(inputs, outputNames, cancellationToken), cancellationToken);
    }

    /// <summary>Releases the ONNX Runtime session, after waiting for runs in flight to finish.</summary>
    public void Dispose()
    {
        _lifetime.EnterWriteLock();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _session.Dispose();
        }
        finally
        {
            _lifetime.ExitWriteLock();
        }
    }

    /// <summary>The model path and its declared inputs and outputs.</summary>
    public override string ToString() => $"{ModelPath} ({Metadata})";

    private ModelOutputs RunCore(
        IReadOnlyDictionary<string, ModelTensor> inputs, IReadOnlyCollection<string>? outputNames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        OnnxTensorInfo[] declared = CheckInputs(inputs);
        string[] outputs = ResolveOutputs(outputNames);

        _lifetime.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            OrtValue?[] values = new OrtValue?[declared.Length];
            try
            {
                for (int i = 0; i < declared.Length; i++)
                {
                    values[i] = OrtTensorConversion.ToOrtValue(inputs[declared[i].Name], declared[i], ModelPath);
                }

                return Execute(declared.Select(d => d.Name).ToArray(), values!, outputs, cancellationToken);
            }
            finally
            {
                foreach (OrtValue? value in values)
                {
                    value?.Dispose();
                }
            }
        }
        finally
        {
            _lifetime.ExitReadLock();
        }
    }

    private ModelOutputs Execute(string[] inputNames, OrtValue[] inputValues, string[] outputNames, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // One RunOptions per call: Terminate stops every run that shares the object. Run failures reach the caller
        // as exceptions carrying ONNX Runtime's message, so its own error log line (printed on every cancellation)
        // is noise.
        using RunOptions runOptions = new() { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
        using CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions)
            : default;

        RunStarting?.Invoke();
        IDisposableReadOnlyCollection<OrtValue> results;
        try
        {
            results = _session.Run(runOptions, inputNames, inputValues, outputNames);
        }
        catch (OnnxRuntimeException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(
                $"The run of '{ModelPath}' was cancelled; ONNX Runtime stopped it: {ex.Message}", ex, cancellationToken);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelRunException($"ONNX Runtime failed while running '{ModelPath}': {ex.Message}", ex);
        }

        using (results)
        {
            KeyValuePair<string, ModelTensor<float>>[] converted = new KeyValuePair<string, ModelTensor<float>>[outputNames.Length];
            int index = 0;
            foreach (OrtValue result in results)
            {
                string name = outputNames[index];
                converted[index++] = KeyValuePair.Create(name, OrtTensorConversion.ToModelTensor(result, name, ModelPath));
            }

            return new ModelOutputs(converted);
        }
    }

    private OnnxTensorInfo[] CheckInputs(IReadOnlyDictionary<string, ModelTensor> inputs)
    {
        foreach ((string name, ModelTensor tensor) in inputs)
        {
            if (!Metadata.InputsByName.ContainsKey(name))
            {
                throw new ModelInputException(name, $"'{ModelPath}' has no input '{name}'. Its inputs are: {List(Metadata.Inputs)}.");
            }

            if (tensor is null)
            {
                throw new ModelInputException(name, $"Input '{name}' of '{ModelPath}' is null.");
            }
        }

        Dictionary<string, (int Size, string Input)> symbolic = new(StringComparer.Ordinal);
        OnnxTensorInfo[] declared = new OnnxTensorInfo[Metadata.Inputs.Count];
        for (int i = 0; i < declared.Length; i++)
        {
            OnnxTensorInfo info = Metadata.Inputs[i];
            if (!inputs.TryGetValue(info.Name, out ModelTensor? tensor))
            {
                throw new ModelInputException(
                    info.Name,
                    $"Input '{info}' of '{ModelPath}' was not given. The model needs: {List(Metadata.Inputs)}.");
            }

            if (!info.IsTensor)
            {
                throw new ModelInputException(
                    info.Name, $"Input '{info.Name}' of '{ModelPath}' is not a tensor; this library feeds only tensors.");
            }

            CheckShape(info, tensor, symbolic);
            declared[i] = info;
        }

        return declared;
    }

    private void CheckShape(OnnxTensorInfo info, ModelTensor tensor, Dictionary<string, (int Size, string Input)> symbolic)
    {
        TensorShape shape = tensor.Shape;
        if (shape.Rank != info.Rank)
        {
            string hint = (info.Rank, shape.Rank) switch
            {
                (0, _) when shape.ElementCount == 1 => " Pass a 0-d scalar (ModelTensor.Scalar) instead.",
                (1, 0) => " Pass a one-dimensional [batch] tensor instead of a 0-d scalar.",
                _ => string.Empty,
            };
            throw new ModelInputException(
                info.Name,
                $"Input '{info.Name}' of '{ModelPath}' has shape {shape} (rank {shape.Rank}), but the model declares " +
                $"{info.TypeAndShape} (rank {info.Rank}).{hint}");
        }

        for (int axis = 0; axis < shape.Rank; axis++)
        {
            if (info.Dimensions[axis] is int fixedSize)
            {
                if (fixedSize != shape[axis])
                {
                    throw new ModelInputException(
                        info.Name,
                        $"Input '{info.Name}' of '{ModelPath}' has shape {shape}, but the model declares {info.TypeAndShape}: " +
                        $"axis {axis} must be {fixedSize}, not {shape[axis]}.");
                }
            }
            else if (info.DimensionNames[axis] is string axisName)
            {
                if (symbolic.TryGetValue(axisName, out (int Size, string Input) seen) && seen.Size != shape[axis])
                {
                    throw new ModelInputException(
                        info.Name,
                        $"Inputs '{seen.Input}' and '{info.Name}' of '{ModelPath}' disagree on the size of axis '{axisName}': " +
                        $"{seen.Size} vs {shape[axis]} (shape {shape}, declared {info.TypeAndShape}).");
                }

                symbolic[axisName] = (shape[axis], info.Name);
            }
        }
    }

    private string[] ResolveOutputs(IReadOnlyCollection<string>? outputNames)
    {
        if (outputNames is null)
        {
            return _defaultOutputs;
        }

        string[] names = outputNames.Distinct(StringComparer.Ordinal).ToArray();
        if (names.Length == 0)
        {
            throw new ModelInputException("outputNames", $"No outputs were requested from '{ModelPath}'; pass null for all of them.");
        }

        foreach (string name in names)
        {
            if (!Metadata.OutputsByName.TryGetValue(name, out OnnxTensorInfo? info))
            {
                throw new ModelInputException(name, $"'{ModelPath}' has no output '{name}'. Its outputs are: {List(Metadata.Outputs)}.");
            }

            if (!info.IsTensor)
            {
                throw new ModelInputException(name, $"Output '{name}' of '{ModelPath}' is not a tensor; this library reads only tensors.");
            }
        }

        return names;
    }

    private static string List(IReadOnlyList<OnnxTensorInfo> items) =>
        items.Count == 0 ? "(none)" : new StringBuilder().AppendJoin(", ", items).ToString();

    private static OnnxTensorInfo Describe(string name, NodeMetadata node)
    {
        if (!node.IsTensor)
        {
            return new OnnxTensorInfo(name, OnnxElementType.Unknown, [], isTensor: false);
        }

        int?[] dimensions = node.Dimensions.Select(d => d >= 0 ? d : (int?)null).ToArray();
        string?[] names = node.SymbolicDimensions.Select(s => string.IsNullOrEmpty(s) ? null : s).ToArray();
        if (names.Length != dimensions.Length)
        {
            names = new string?[dimensions.Length];
        }

        int code = (int)node.ElementDataType;
        OnnxElementType type = Enum.IsDefined((OnnxElementType)code) ? (OnnxElementType)code : OnnxElementType.Unknown;
        return new OnnxTensorInfo(name, type, dimensions, names);
    }

    private static Exception TranslateLoadFailure(OnnxRuntimeException ex, string path, OnnxModelOptions options)
    {
        string message = ex.Message;
        if (message.Contains("NoSuchFile", StringComparison.Ordinal))
        {
            return new FileNotFoundException($"The ONNX model file '{path}' does not exist (it vanished while loading).", path, ex);
        }

        if (message.Contains("External data path does not exist", StringComparison.Ordinal)
            || message.Contains("external data", StringComparison.OrdinalIgnoreCase))
        {
            string? missing = ExternalDataPath(message);
            return new ModelLoadException(
                path,
                $"The ONNX model '{path}' keeps its weights in an external file{(missing is null ? string.Empty : $" ('{missing}')")} that could " +
                "not be read. Keep the weights file (e.g. model.onnx_data or weights.pb) beside the .onnx file under the name it was exported with, " +
                $"and load the model from its own folder. (ONNX Runtime: {message})",
                ex);
        }

        if (message.Contains("InvalidProtobuf", StringComparison.Ordinal) || message.Contains("Protobuf parsing failed", StringComparison.Ordinal))
        {
            string what = LooksLikeLfsPointer(path)
                ? "is a Git LFS pointer, not the model itself: run 'git lfs pull' (or download the real file)"
                : "is not a valid ONNX model: it is truncated, corrupt or not an ONNX file. Download or export it again";
            return new ModelLoadException(path, $"The file '{path}' {what}. (ONNX Runtime: {message})", ex);
        }

        if (options.ExecutionProvider == OnnxExecutionProvider.Cuda && message.Contains("CUDA", StringComparison.OrdinalIgnoreCase))
        {
            return new ExecutionProviderUnavailableException(
                OnnxExecutionProvider.Cuda,
                null,
                $"The CUDA execution provider could not start on device {options.CudaDeviceId} while loading '{path}': {message} " +
                "Check that an NVIDIA GPU with that ordinal is visible (nvidia-smi, CUDA_VISIBLE_DEVICES) and that its driver supports CUDA 13, " +
                "or use OnnxExecutionProvider.Cpu.",
                ex);
        }

        return new ModelLoadException(path, $"ONNX Runtime could not load '{path}': {message}", ex);
    }

    private static string? ExternalDataPath(string message)
    {
        const string Marker = "does not exist: \"";
        int start = message.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += Marker.Length;
        int end = message.IndexOf('"', start);
        return end > start ? message[start..end] : null;
    }

    private static bool LooksLikeLfsPointer(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            Span<byte> head = stackalloc byte[24];
            int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return Encoding.ASCII.GetString(head[..read]).StartsWith("version https://git-lfs", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
