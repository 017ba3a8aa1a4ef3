namespace Conditioning.Onnx;

/// <summary>How much ONNX Runtime rewrites the graph when it creates the session (its <c>GraphOptimizationLevel</c>).</summary>
public enum OnnxGraphOptimization
{
    /// <summary>No rewriting; the graph runs as exported.</summary>
    Disabled = 0,

    /// <summary>Semantics-preserving rewrites such as constant folding and redundant-node removal.</summary>
    Basic = 1,

    /// <summary>Basic plus node fusions (e.g. attention, GELU, layer norm) for the CPU and CUDA providers.</summary>
    Extended = 2,

    /// <summary>Everything, including layout transformations; ONNX Runtime's default.</summary>
    All = 99,
}
