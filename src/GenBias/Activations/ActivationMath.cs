using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// The activation functions and their derivatives, for one float, a <see cref="Vector256{T}"/> and a
/// <see cref="Vector512{T}"/>. All three forms perform the same IEEE operations in the same order, so they
/// return the same bits: generated code, the reference implementation and the certifier call these and agree.
/// </summary>
/// <remarks>
/// Tanh is a [13/6] rational approximation on [-7.905, 7.905] (the one Eigen uses for float; maximum error a few
/// ulp), evaluated with fused multiply-adds in Estrin's scheme; <see cref="MathF.Tanh"/> is not used because its bits depend on the
/// C library. Sigmoid is 0.5 + 0.5·tanh(x/2).
/// <para>Tanh is odd exactly (tanh(-x) has the bits of -tanh(x)) but, like any rational approximation rounded to
/// float, not monotone at the last bit: scanning every float in [0, 7.906] found 7.36 million of 1.09 billion
/// steps going down, by at most 3.6e-7; the largest error against tanh is 3.2e-7 over every float, 2.9e-7 on the first layer's grid (<see cref="TanhMonotonicityTolerance"/>; the first checked on every float by a test, the second measured at run time by the counting leaf). Exact counting therefore decides
/// inputs whose activation lies that close to a threshold by evaluating them, never by inverting the function.</para>
/// </remarks>
public static class ActivationMath
{
    /// <summary>The dead zone of <see cref="Activation.TernaryStep"/>: |x| ≤ this gives 0.</summary>
    public const float TernaryStepDeadZone = 0.5f;

    /// <summary>The largest drop of <see cref="Tanh(float)"/> between increasing inputs (see remarks), with margin.</summary>
    public const float TanhMonotonicityTolerance = 5e-7f;

    private const float TanhClamp = 7.90531110763549805f;
    private const float A1 = 4.89352455891786e-03f;
    private const float A3 = 6.37261928875436e-04f;
    private const float A5 = 1.48572235717979e-05f;
    private const float A7 = 5.12229709037114e-08f;
    private const float A9 = -8.60467152213735e-11f;
    private const float A11 = 2.00018790482477e-13f;
    private const float A13 = -2.76076847742355e-16f;
    private const float B0 = 4.89352518554385e-03f;
    private const float B2 = 2.26843463243900e-03f;
    private const float B4 = 1.18534705686654e-04f;
    private const float B6 = 1.19825839466702e-06f;

    /// <summary>
    /// The float ranges (inclusive, in increasing order) on which <paramref name="activation"/>, as computed here, is
    /// exactly non-decreasing: every float, for the piecewise activations; for tanh the two saturated tails beyond the
    /// clamp (constant) and the linear core |x| ≤ <see cref="TanhLinearLimit"/>, where the polynomials round to their
    /// constant terms so that Tanh(x) = fl(fl(A1·x)/B0) — a composition of monotone roundings (sigmoid: the same at 2x).
    /// Between those ranges only monotonicity up to a rounding wiggle holds (see remarks), and exact counting evaluates.
    /// </summary>
    /// <remarks>The linear core is a proof with an assumption on the coefficients, checked when first asked
    /// (<see cref="TanhCoreIsLinear"/>): if it failed, only the tails would be reported.</remarks>
    internal static IReadOnlyList<(float Low, float High)> MonotoneRanges(Activation activation) => activation switch
    {
        Activation.Tanh => TanhMonotoneRanges.Value,
        Activation.Sigmoid => SigmoidMonotoneRanges.Value,
        _ => [(float.NegativeInfinity, float.PositiveInfinity)],
    };

    /// <summary>The half-width of tanh's linear core (see <see cref="MonotoneRanges"/>): 2^-12.</summary>
    internal const float TanhLinearLimit = 1f / 4096;

    private static readonly Lazy<IReadOnlyList<(float Low, float High)>> TanhMonotoneRanges = new(() => TanhCoreIsLinear()
        ? [(float.NegativeInfinity, -TanhClamp), (-TanhLinearLimit, TanhLinearLimit), (TanhClamp, float.PositiveInfinity)]
        : [(float.NegativeInfinity, -TanhClamp), (TanhClamp, float.PositiveInfinity)]);

    // Sigmoid(x) = fl(fl(Tanh(fl(x·0.5))·0.5) + 0.5): monotone wherever Tanh is at x·0.5 (halving is exact or, among
    // subnormals, a monotone rounding).
    private static readonly Lazy<IReadOnlyList<(float Low, float High)>> SigmoidMonotoneRanges = new(() =>
        [.. TanhMonotoneRanges.Value.Select(r => (r.Low * 2, r.High * 2))]);

    /// <summary>
    /// Whether, for every |x| ≤ <see cref="TanhLinearLimit"/>, each fused multiply-add of <see cref="Tanh(float)"/>'s two
    /// polynomials rounds to its constant term (A1 and B0): with y = fl(x²) ≤ Y = fl(limit²), each added term is at most
    /// the bound computed below in double (coefficients' magnitudes, the nested values' rounding covered by a factor),
    /// and a term under half an ulp of a constant that is not a power of two leaves the constant unchanged.
    /// </summary>
    internal static bool TanhCoreIsLinear()
    {
        double y = TanhLinearLimit * TanhLinearLimit, y2 = y * y, y4 = y2 * y2;
        double halfUlpA1 = HalfUlp(A1), halfUlpB0 = HalfUlp(B0);
        const double Rounding = 1 + 1e-6;
        double numerator = Math.Max(y * Math.Abs(A3), Math.Max(y2 * (Math.Abs(A5) + (y * Math.Abs(A7))),
            y4 * (Math.Abs(A9) + (y * Math.Abs(A11)) + (y2 * Math.Abs(A13))))) * Rounding;
        double denominator = Math.Max(y * Math.Abs(B2), y2 * (Math.Abs(B4) + (y * Math.Abs(B6)))) * Rounding;
        return A1 > 0 && B0 > 0 && (float)y == TanhLinearLimit * TanhLinearLimit && numerator < halfUlpA1 && denominator < halfUlpB0 &&
               !IsPowerOfTwo(A1) && !IsPowerOfTwo(B0);

        static double HalfUlp(float c) => (MathF.BitIncrement(c) - (double)c) / 2;
        static bool IsPowerOfTwo(float c) => (BitConverter.SingleToInt32Bits(c) & 0x7FFFFF) == 0;
    }

    /// <summary>The smallest and largest value the activation can produce.</summary>
    public static (float Min, float Max) Range(Activation activation) => activation switch
    {
        Activation.Tanh or Activation.HardTanh or Activation.TernaryStep => (-1f, 1f),
        Activation.Sigmoid => (0f, 1f),
        Activation.ReLU => (0f, float.PositiveInfinity),
        _ => (float.NegativeInfinity, float.PositiveInfinity),
    };

    // ---------------------------------------------------------------- scalar

    /// <summary>tanh(x), bit-identical to the vector forms.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x)
    {
        x = x > TanhClamp ? TanhClamp : x < -TanhClamp ? -TanhClamp : x;
        // Estrin's scheme: the same polynomial as Horner's with a third of the dependent latency.
        float y = x * x, y2 = y * y, y4 = y2 * y2;
        float p = MathF.FusedMultiplyAdd(y, A3, A1);
        p = MathF.FusedMultiplyAdd(y2, MathF.FusedMultiplyAdd(y, A7, A5), p);
        p = MathF.FusedMultiplyAdd(y4, MathF.FusedMultiplyAdd(y2, A13, MathF.FusedMultiplyAdd(y, A11, A9)), p);
        p *= x;
        float q = MathF.FusedMultiplyAdd(y2, MathF.FusedMultiplyAdd(y, B6, B4), MathF.FusedMultiplyAdd(y, B2, B0));
        return p / q;
    }

    /// <summary>Applies <paramref name="activation"/> to one pre-activation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(Activation activation, float x) => activation switch
    {
        Activation.Tanh => Tanh(x),
        Activation.HardTanh => x > 1f ? 1f : x < -1f ? -1f : x,
        Activation.Sigmoid => (Tanh(x * 0.5f) * 0.5f) + 0.5f,
        Activation.ReLU => x > 0f ? x : 0f,
        Activation.Linear => x,
        Activation.TernaryStep => x > TernaryStepDeadZone ? 1f : x < -TernaryStepDeadZone ? -1f : 0f,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Undefined activation."),
    };

    /// <summary>
    /// The derivative of <paramref name="activation"/> given its pre-activation <paramref name="x"/> and output
    /// <paramref name="y"/>. TernaryStep uses the straight-through estimate (1 on [-1, 1], else 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(Activation activation, float x, float y) => activation switch
    {
        Activation.Tanh => 1f - (y * y),
        Activation.HardTanh => x > -1f && x < 1f ? 1f : 0f,
        Activation.Sigmoid => y * (1f - y),
        Activation.ReLU => x > 0f ? 1f : 0f,
        Activation.Linear => 1f,
        Activation.TernaryStep => x >= -1f && x <= 1f ? 1f : 0f,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Undefined activation."),
    };

    // ---------------------------------------------------------------- Vector256

    /// <summary>tanh of each lane, bit-identical to <see cref="Tanh(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        // MinNative/MaxNative: the IEEE 754-2019 Min/Max compile to several instructions on .NET 10; inputs are
        // never NaN here, where the two agree.
        x = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(-TanhClamp)), Vector256.Create(TanhClamp));
        Vector256<float> y = x * x, y2 = y * y, y4 = y2 * y2;
        Vector256<float> p = Vector256.FusedMultiplyAdd(y, Vector256.Create(A3), Vector256.Create(A1));
        p = Vector256.FusedMultiplyAdd(y2, Vector256.FusedMultiplyAdd(y, Vector256.Create(A7), Vector256.Create(A5)), p);
        p = Vector256.FusedMultiplyAdd(y4, Vector256.FusedMultiplyAdd(y2, Vector256.Create(A13), Vector256.FusedMultiplyAdd(y, Vector256.Create(A11), Vector256.Create(A9))), p);
        p *= x;
        Vector256<float> q = Vector256.FusedMultiplyAdd(y2, Vector256.FusedMultiplyAdd(y, Vector256.Create(B6), Vector256.Create(B4)), Vector256.FusedMultiplyAdd(y, Vector256.Create(B2), Vector256.Create(B0)));
        return p / q;
    }

    /// <summary>Applies <paramref name="activation"/> to each lane (bit-identical to the scalar form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Activation activation, Vector256<float> x) => activation switch
    {
        Activation.Tanh => Tanh(x),
        Activation.HardTanh => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.One), Vector256<float>.One,
            Vector256.ConditionalSelect(Vector256.LessThan(x, -Vector256<float>.One), -Vector256<float>.One, x)),
        Activation.Sigmoid => (Tanh(x * 0.5f) * 0.5f) + Vector256.Create(0.5f),
        Activation.ReLU => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, Vector256<float>.Zero),
        Activation.Linear => x,
        Activation.TernaryStep => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(TernaryStepDeadZone)), Vector256<float>.One,
            Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(-TernaryStepDeadZone)), -Vector256<float>.One, Vector256<float>.Zero)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Undefined activation."),
    };

    /// <summary>The derivative of each lane (see <see cref="Derivative(Activation, float, float)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Activation activation, Vector256<float> x, Vector256<float> y) => activation switch
    {
        Activation.Tanh => Vector256<float>.One - (y * y),
        Activation.HardTanh => Vector256<float>.One & Vector256.GreaterThan(x, -Vector256<float>.One) & Vector256.LessThan(x, Vector256<float>.One),
        Activation.Sigmoid => y * (Vector256<float>.One - y),
        Activation.ReLU => Vector256<float>.One & Vector256.GreaterThan(x, Vector256<float>.Zero),
        Activation.Linear => Vector256<float>.One,
        Activation.TernaryStep => Vector256<float>.One & Vector256.GreaterThanOrEqual(x, -Vector256<float>.One) & Vector256.LessThanOrEqual(x, Vector256<float>.One),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Undefined activation."),
    };

    // ---------------------------------------------------------------- Vector512

    /// <summary>tanh of each lane, bit-identical to <see cref="Tanh(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        x = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(-TanhClamp)), Vector512.Create(TanhClamp));
        Vector512<float> y = x * x, y2 = y * y, y4 = y2 * y2;
        Vector512<float> p = Vector512.FusedMultiplyAdd(y, Vector512.Create(A3), Vector512.Create(A1));
        p = Vector512.FusedMultiplyAdd(y2, Vector512.FusedMultiplyAdd(y, Vector512.Create(A7), Vector512.Create(A5)), p);
        p = Vector512.FusedMultiplyAdd(y4, Vector512.FusedMultiplyAdd(y2, Vector512.Create(A13), Vector512.FusedMultiplyAdd(y, Vector512.Create(A11), Vector512.Create(A9))), p);
        p *= x;
        Vector512<float> q = Vector512.FusedMultiplyAdd(y2, Vector512.FusedMultiplyAdd(y, Vector512.Create(B6), Vector512.Create(B4)), Vector512.FusedMultiplyAdd(y, Vector512.Create(B2), Vector512.Create(B0)));
        return p / q;
    }

    /// <summary>Applies <paramref name="activation"/> to each lane (bit-identical to the scalar form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Activation activation, Vector512<float> x) => activation switch
    {
        Activation.Tanh => Tanh(x),
        Activation.HardTanh => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.One), Vector512<float>.One,
            Vector512.ConditionalSelect(Vector512.LessThan(x, -Vector512<float>.One), -Vector512<float>.One, x)),
        Activation.Sigmoid => (Tanh(x * 0.5f) * 0.5f) + Vector512.Create(0.5f),
        Activation.ReLU => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, Vector512<float>.Zero),
        Activation.Linear => x,
        Activation.TernaryStep => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(TernaryStepDeadZone)), Vector512<float>.One,
            Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(-TernaryStepDeadZone)), -Vector512<float>.One, Vector512<float>.Zero)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Undefined activation."),
    };

    // ---------------------------------------------------------------- Vector128

    /// <summary>tanh of each lane, bit-identical to <see cref="Tanh(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Tanh(Vector128<float> x)
    {
        x = Vector128.MinNative(Vector128.MaxNative(x, Vector128.Create(-TanhClamp)), Vector128.Create(TanhClamp));
        Vector128<float> y = x * x, y2 = y * y, y4 = y2 * y2;
        Vector128<float> p = Vector128.FusedMultiplyAdd(y, Vector128.Create(A3), Vector128.Create(A1));
        p = Vector128.FusedMultiplyAdd(y2, Vector128.FusedMultiplyAdd(y, Vector128.Create(A7), Vector128.Create(A5)), p);
        p = Vector128.FusedMultiplyAdd(y4, Vector128.FusedMultiplyAdd(y2, Vector128.Create(A13), Vector128.FusedMultiplyAdd(y, Vector128.Create(A11), Vector128.Create(A9))), p);
        p *= x;
        Vector128<float> q = Vector128.FusedMultiplyAdd(y2, Vector128.FusedMultiplyAdd(y, Vector128.Create(B6), Vector128.Create(B4)), Vector128.FusedMultiplyAdd(y, Vector128.Create(B2), Vector128.Create(B0)));
        return p / q;
    }

    /// <summary>Applies <paramref name="activation"/> to each lane (bit-identical to the scalar form).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Apply(Activation activation, Vector128<float> x) => activation switch
    {
        Activation.Tanh => Tanh(x),
        Activation.HardTanh => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.One), Vector128<float>.One,
            Vector128.ConditionalSelect(Vector128.LessThan(x, -Vector128<float>.One), -Vector128<float>.One, x)),
        Activation.Sigmoid => (Tanh(x * 0.5f) * 0.5f) + Vector128.Create(0.5f),
        Activation.ReLU => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, Vector128<float>.Zero),
        Activation.Linear => x,
        Activation.TernaryStep => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128.Create(TernaryStepDeadZone)), Vector128<float>.One,
            Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(-TernaryStepDeadZone)), -Vector128<float>.One, Vector128<float>.Zero)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Undefined activation."),
    };
}
