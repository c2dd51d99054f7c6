using System;

namespace GenBias;

/// <summary>Which arithmetic a network's forward pass uses. Every path returns the same bits.</summary>
public enum ComputePath
{
    /// <summary>The widest SIMD the hardware accelerates: Vector512, else Vector256, else Vector128, else scalar.</summary>
    Auto = 0,

    /// <summary>Plain scalar code (the reference kernels).</summary>
    Scalar = 1,

    /// <summary><see cref="System.Runtime.Intrinsics.Vector256{T}"/> code; falls back to Vector128, then scalar, where not accelerated.</summary>
    Vector256 = 2,

    /// <summary>
    /// <see cref="System.Runtime.Intrinsics.Vector512{T}"/> for layers vectorised over their outputs, Vector256 for the
    /// others; falls back where not accelerated.
    /// </summary>
    Vector512 = 3,

    /// <summary>
    /// <see cref="System.Runtime.Intrinsics.Vector128{T}"/> code (ARM64 NEON, x64 without AVX2); falls back to scalar
    /// where not accelerated.
    /// </summary>
    Vector128 = 4,
}

/// <summary>
/// A network over ternary inputs: implemented by every generated network and by <see cref="ReferenceNetwork"/>.
/// </summary>
/// <remarks>
/// Inputs are spans of <see cref="sbyte"/> holding -1, 0 or +1 (anything else throws an
/// <see cref="ArgumentException"/> that names the index), or for up to 64 inputs the packed two-mask form
/// described at <see cref="TernaryInput"/>. Parameters are in the canonical layout of <see cref="ShapeRules"/>.
/// </remarks>
public interface ITernaryNetwork
{
    /// <summary>The network's layers and parameter layout.</summary>
    NetworkShape Shape { get; }

    /// <summary>The parameters in the canonical layout (read-only; change them with <see cref="SetParameters"/>).</summary>
    ReadOnlySpan<float> Parameters { get; }

    /// <summary>The arithmetic used by the forward pass; <see cref="ComputePath.Auto"/> unless changed.</summary>
    ComputePath ComputePath { get; set; }

    /// <summary>
    /// The arithmetic <see cref="ComputePath"/> resolves to on this machine: Vector512 only where it is requested (or
    /// Auto) and accelerated, Vector256 where requested (or wider) and accelerated, Vector128 where accelerated, else
    /// Scalar. A NativeAOT build for x64 without an instruction set (<c>IlcInstructionSet</c>) targets the baseline
    /// x64 and reports Vector128 or Scalar here: print it to see what a build runs.
    /// </summary>
    ComputePath ActivePath => ComputePath switch
    {
        ComputePath.Scalar => ComputePath.Scalar,
        _ when !System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated => ComputePath.Scalar,
        ComputePath.Vector128 => ComputePath.Vector128,
        _ when !System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated => ComputePath.Vector128,
        ComputePath.Vector256 => ComputePath.Vector256,
        _ when System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated => ComputePath.Vector512,
        _ => ComputePath.Vector256,
    };

    /// <summary>Replaces every parameter.</summary>
    /// <exception cref="ArgumentException">The span's length is not the shape's parameter count, a value is NaN or infinite, or a neuron's pre-activation could exceed <see cref="ParameterPacking.MaxPreActivationBound"/> (ParameterPacking.CheckComputable).</exception>
    void SetParameters(ReadOnlySpan<float> parameters);

    /// <summary>Computes the outputs for one input.</summary>
    void Forward(ReadOnlySpan<sbyte> input, Span<float> output);

    /// <summary>Computes the outputs for one input in the packed form (at most 64 inputs).</summary>
    void Forward(ulong positive, ulong negative, Span<float> output);

    /// <summary>Computes the outputs for a batch: <paramref name="inputs"/> holds rows of inputs, <paramref name="outputs"/> rows of outputs.</summary>
    void ForwardBatch(ReadOnlySpan<sbyte> inputs, Span<float> outputs);

    /// <summary>
    /// Computes the outputs for a batch of packed inputs, any width: <paramref name="packedInputs"/> holds rows of
    /// <see cref="TernaryInput.PackedWordsPerRow"/> ulongs (for each block of 64 inputs its positive mask, then its
    /// negative mask; up to 64 inputs the two masks). Generated networks whose first layer reads tables, adds weight
    /// columns or takes dot products on the fixed-point grid implement it natively; otherwise the rows are unpacked
    /// into the sbyte batch.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths do not match, or a row's masks are invalid (the message names the row and the input).</exception>
    void ForwardBatch(ReadOnlySpan<ulong> packedInputs, Span<float> outputs)
    {
        int inputCount = Shape.InputCount;
        int rows = TernaryInput.ValidatePackedBatch(packedInputs, inputCount, Shape.OutputCount, outputs.Length);
        sbyte[] inputs = new sbyte[rows * inputCount];
        TernaryInput.UnpackRows(packedInputs, rows, inputCount, inputs);
        ForwardBatch(inputs, outputs);
    }

    /// <summary>Computes every layer's activations for one input, concatenated in layer order (<see cref="LayerShape.ActivationOffset"/>).</summary>
    void ForwardActivations(ReadOnlySpan<sbyte> input, Span<float> activations);

    /// <summary>
    /// Adds to <paramref name="parameterGradient"/> the gradient, with respect to every parameter, of
    /// Σ_k outputGradient[k] · output[k] at <paramref name="input"/> (the forward pass is recomputed).
    /// </summary>
    void Backward(ReadOnlySpan<sbyte> input, ReadOnlySpan<float> outputGradient, Span<float> parameterGradient);

    /// <summary>
    /// Adds to <paramref name="parameterGradient"/> the gradient of Σ_j activationGradient[j] · a_j over every neuron j
    /// of every layer (concatenated as in <see cref="ForwardActivations"/>): what a preference on a hidden neuron needs.
    /// </summary>
    void BackwardActivations(ReadOnlySpan<sbyte> input, ReadOnlySpan<float> activationGradient, Span<float> parameterGradient);
}
