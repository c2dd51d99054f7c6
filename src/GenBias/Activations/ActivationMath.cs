using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// The activation functions and their derivatives, for one float, a <see cref="Vector128{T}"/>, a
/// <see cref="Vector256{T}"/> and a <see cref="Vector512{T}"/>. All four forms perform the same IEEE operations in the
/// same order, so they return the same bits: generated code, the reference implementation, the trainer and the
/// certifier call these and agree.
/// </summary>
/// <remarks>
/// <para>Tanh is the canonical activation math version 2 (<see cref="Version"/>): for a = |x|,
/// tanh(a) = (1 − D)/(1 + D) with D = e^(−2a) = 2^(−u), u = min(a·2/ln 2, 24.5). With k = ⌊u⌋ and g = (k + 1) − u in
/// (0, 1], D = 2^(−k−1)·P(g), where P is a degree-5 polynomial for 2^g with positive coefficients, evaluated in
/// Estrin's scheme; the sign of x is copied onto the result. Only additions, multiplications, fused multiply-adds,
/// one division, a minimum and integer operations on the bits are used, each defined bit for bit by IEEE 754, so
/// every machine and every vector width returns the same bits. <see cref="MathF.Tanh"/> is not used because its bits
/// depend on the C library. Sigmoid is 0.5 + 0.5·tanh(x/2).</para>
/// <para>Tanh is exactly odd (the sign is copied) and exactly monotone on every float, by construction: every step is
/// a correctly rounded operation that is monotone in each of its arguments, applied to monotone arguments of the
/// right sign — u, k and the integer scaling rise with a; within one k, g falls as u rises and P (positive
/// coefficients, g ≥ 0) falls with it; across k → k + 1, D goes from 2^(−k−1)·P(g → 0⁺) ≥ 2^(−k−1) to
/// 2^(−k−2)·P(1), and P(1) ≤ 2 (<see cref="TanhIsMonotoneByConstruction"/> checks the conditions on the
/// coefficients); 1 − D rises, 1 + D falls, and their correctly rounded quotient rises. So "f(z) &gt; t" is exactly
/// "z &gt; z*(t)" and exact counting inverts the function by binary search. The largest |Tanh(x) − tanh(x)| over every
/// float is 1.6e-7 (a test walks every float). Version 1, a [13/6] rational, was within 3.2e-7 but went down on
/// 7.36 million float steps.</para>
/// </remarks>
public static class ActivationMath
{
    /// <summary>
    /// The version of the canonical activation math: 2, the exp2 form of tanh described above. Model files
    /// (formatVersion 2), <see cref="Certificate"/>s and network hashes record it; a network evaluated under another
    /// version gives other bits.
    /// </summary>
    public const int Version = 2;

    /// <summary>The dead zone of <see cref="Activation.TernaryStep"/>: |x| ≤ this gives 0.</summary>
    public const float TernaryStepDeadZone = 0.5f;

    /// <summary>The largest |Tanh(x) − tanh(x)| over every float, rounded up (a test walks every float).</summary>
    public const double TanhError = 1.6e-7;

    // Every form truncates u with the processor's own conversion (ConvertToInt32Native): u is in [0, 24.5], where it
    // equals the saturating (int)u, and for a NaN both conversions leave k1 << 23 = 2^23 (see Tanh(float)), so the bits
    // are the same and the conversion is one instruction.
    // u = |x|·2/ln 2, saturated at 24.5: there D = 2^-24.5 leaves (1 − D)/(1 + D) = 1 − 2^-24 after rounding, the
    // largest float below 1 (PreferenceRules.TanhLargest), so Tanh never reaches ±1 (1 ± AB stays away from 0).
    private const float TwoOverLn2 = 2.88539008177792681f;
    private const float UMax = 24.5f;

    // 2^g ≈ 1 + g(P1 + g(P2 + g(P3 + g(P4 + g·P5)))) on [0, 1], relative error below 2e-7; all positive; P(1) = 2
    // exactly as evaluated (P1 rounded up to make it so), which makes Tanh(0) = 0.
    private const float P1 = 0.6931514f;
    private const float P2 = 0.24016416f;
    private const float P3 = 0.055800445f;
    private const float P4 = 0.009016688f;
    private const float P5 = 0.0018671827f;

    /// <summary>
    /// Whether the coefficients meet the conditions of the monotonicity argument in the remarks: all positive, and
    /// P(1), evaluated as <see cref="Tanh(float)"/> evaluates it, at most 2 (so that D does not rise where k steps).
    /// </summary>
    internal static bool TanhIsMonotoneByConstruction() =>
        P1 > 0 && P2 > 0 && P3 > 0 && P4 > 0 && P5 > 0 && TwoToThe(1f) <= 2f && TwoToThe(0f) == 1f && Tanh(0f) == 0f;

    /// <summary>The ranges on which <paramref name="activation"/> is exactly non-decreasing: every float, for all of them.</summary>
    internal static IReadOnlyList<(float Low, float High)> MonotoneRanges(Activation activation) =>
        [(float.NegativeInfinity, float.PositiveInfinity)];

    /// <summary>The smallest and largest value the activation can produce.</summary>
    public static (float Min, float Max) Range(Activation activation) => activation switch
    {
        Activation.Tanh or Activation.HardTanh or Activation.TernaryStep => (-1f, 1f),
        Activation.Sigmoid => (0f, 1f),
        Activation.ReLU => (0f, float.PositiveInfinity),
        _ => (float.NegativeInfinity, float.PositiveInfinity),
    };

    // ---------------------------------------------------------------- scalar

    /// <summary>tanh(x), bit-identical to the vector forms (see remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x)
    {
        float u = MathF.Min(MathF.Abs(x) * TwoOverLn2, UMax);
        // u is in [0, 24.5], where the native truncation equals the saturating one without its range fix-ups; for a NaN
        // x (u NaN) either conversion leaves k1 << 23 = 2^23, so the bits agree on every float.
        int k1 = float.ConvertToIntegerNative<int>(u) + 1;
        float d = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(TwoToThe(k1 - u)) - (k1 << 23));
        float r = (1f - d) / (1f + d);
        return BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(r) | (BitConverter.SingleToInt32Bits(x) & int.MinValue));
    }

    // 2^g for g in [0, 1], Estrin's scheme.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float TwoToThe(float g)
    {
        float g2 = g * g;
        float p = MathF.FusedMultiplyAdd(g2, MathF.FusedMultiplyAdd(g, P3, P2), MathF.FusedMultiplyAdd(g, P1, 1f));
        return MathF.FusedMultiplyAdd(g2 * g2, MathF.FusedMultiplyAdd(g, P5, P4), p);
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

    // ---------------------------------------------------------------- Vector128

    /// <summary>tanh of each lane, bit-identical to <see cref="Tanh(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Tanh(Vector128<float> x)
    {
        Vector128<float> sign = Vector128.Create(-0f);
        Vector128<float> u = Vector128.MinNative(Vector128.AndNot(x, sign) * Vector128.Create(TwoOverLn2), Vector128.Create(UMax));
        Vector128<int> k1 = Vector128.ConvertToInt32Native(u) + Vector128<int>.One; // u in [0, 24.5] or NaN: see Tanh(float)
        Vector128<float> g = Vector128.ConvertToSingle(k1) - u, g2 = g * g;
        Vector128<float> p = Vector128.FusedMultiplyAdd(g2, Vector128.FusedMultiplyAdd(g, Vector128.Create(P3), Vector128.Create(P2)),
            Vector128.FusedMultiplyAdd(g, Vector128.Create(P1), Vector128<float>.One));
        p = Vector128.FusedMultiplyAdd(g2 * g2, Vector128.FusedMultiplyAdd(g, Vector128.Create(P5), Vector128.Create(P4)), p);
        Vector128<float> d = (p.AsInt32() - (k1 << 23)).AsSingle();
        return ((Vector128<float>.One - d) / (Vector128<float>.One + d)) | (x & sign);
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

    /// <summary>The derivative of each lane (see <see cref="Derivative(Activation, float, float)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Derivative(Activation activation, Vector128<float> x, Vector128<float> y) => activation switch
    {
        Activation.Tanh => Vector128<float>.One - (y * y),
        Activation.HardTanh => Vector128<float>.One & Vector128.GreaterThan(x, -Vector128<float>.One) & Vector128.LessThan(x, Vector128<float>.One),
        Activation.Sigmoid => y * (Vector128<float>.One - y),
        Activation.ReLU => Vector128<float>.One & Vector128.GreaterThan(x, Vector128<float>.Zero),
        Activation.Linear => Vector128<float>.One,
        Activation.TernaryStep => Vector128<float>.One & Vector128.GreaterThanOrEqual(x, -Vector128<float>.One) & Vector128.LessThanOrEqual(x, Vector128<float>.One),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Undefined activation."),
    };

    // ---------------------------------------------------------------- Vector256

    /// <summary>tanh of each lane, bit-identical to <see cref="Tanh(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> sign = Vector256.Create(-0f);
        Vector256<float> u = Vector256.MinNative(Vector256.AndNot(x, sign) * Vector256.Create(TwoOverLn2), Vector256.Create(UMax));
        Vector256<int> k1 = Vector256.ConvertToInt32Native(u) + Vector256<int>.One; // u in [0, 24.5] or NaN: see Tanh(float)
        Vector256<float> g = Vector256.ConvertToSingle(k1) - u, g2 = g * g;
        Vector256<float> p = Vector256.FusedMultiplyAdd(g2, Vector256.FusedMultiplyAdd(g, Vector256.Create(P3), Vector256.Create(P2)),
            Vector256.FusedMultiplyAdd(g, Vector256.Create(P1), Vector256<float>.One));
        p = Vector256.FusedMultiplyAdd(g2 * g2, Vector256.FusedMultiplyAdd(g, Vector256.Create(P5), Vector256.Create(P4)), p);
        Vector256<float> d = (p.AsInt32() - (k1 << 23)).AsSingle();
        return ((Vector256<float>.One - d) / (Vector256<float>.One + d)) | (x & sign);
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
        Vector512<float> sign = Vector512.Create(-0f);
        Vector512<float> u = Vector512.MinNative(Vector512.AndNot(x, sign) * Vector512.Create(TwoOverLn2), Vector512.Create(UMax));
        Vector512<int> k1 = Vector512.ConvertToInt32Native(u) + Vector512<int>.One; // u in [0, 24.5] or NaN: see Tanh(float)
        Vector512<float> g = Vector512.ConvertToSingle(k1) - u, g2 = g * g;
        Vector512<float> p = Vector512.FusedMultiplyAdd(g2, Vector512.FusedMultiplyAdd(g, Vector512.Create(P3), Vector512.Create(P2)),
            Vector512.FusedMultiplyAdd(g, Vector512.Create(P1), Vector512<float>.One));
        p = Vector512.FusedMultiplyAdd(g2 * g2, Vector512.FusedMultiplyAdd(g, Vector512.Create(P5), Vector512.Create(P4)), p);
        Vector512<float> d = (p.AsInt32() - (k1 << 23)).AsSingle();
        return ((Vector512<float>.One - d) / (Vector512<float>.One + d)) | (x & sign);
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
}
