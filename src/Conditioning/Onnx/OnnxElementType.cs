namespace Conditioning.Onnx;

/// <summary>
/// The element type of an ONNX tensor, numbered as ONNX's <c>TensorProto.DataType</c> (and ONNX Runtime's
/// <c>TensorElementType</c>), so the values can be compared with what Netron or <c>onnx.helper</c> print.
/// </summary>
public enum OnnxElementType
{
    /// <summary>Not a tensor, or a type this layer does not know.</summary>
    Unknown = 0,

    /// <summary>32-bit IEEE float (<c>tensor(float)</c>).</summary>
    Float32 = 1,

    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,

    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,

    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,

    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,

    /// <summary>Signed 32-bit integer (token ids of diffusers' legacy and Olive CLIP exports).</summary>
    Int32 = 6,

    /// <summary>Signed 64-bit integer (token ids of optimum exports; some UNet timesteps).</summary>
    Int64 = 7,

    /// <summary>UTF-8 string.</summary>
    String = 8,

    /// <summary>Boolean.</summary>
    Bool = 9,

    /// <summary>16-bit IEEE half float (fp16 exports).</summary>
    Float16 = 10,

    /// <summary>64-bit IEEE float.</summary>
    Float64 = 11,

    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,

    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,

    /// <summary>Brain float 16 (the upper half of a float32; bf16 Flux exports).</summary>
    BFloat16 = 16,
}
