using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenBias;

/// <summary>
/// The counting leaf's first pass: a hidden tanh neuron of eight inputs from the addition theorem
/// tanh(a + b) = (tanh a + tanh b) / (1 + tanh a · tanh b), with a the outer inputs' accumulator (one tanh per neuron
/// and Gray-code step) and b the tabled inner inputs' contribution (its tanh tabled once), so a term costs a table
/// load, an addition, a fused multiply-add, a reciprocal estimate (refined by one Newton step where needed) and a fused multiply-add into the
/// sum — no activation evaluated per input, no division, no permutes. The inputs it cannot decide are evaluated exactly.
/// </summary>
/// <remarks>
/// <para>Error, per term w·tanh(a + b), against the exact activation <see cref="ActivationMath.Tanh(float)"/> (proved
/// below from two measured constants, not estimated):</para>
/// <list type="bullet">
/// <item>A = Tanh(a) and B = Tanh(b) are within δ (<see cref="ActivationError"/>, measured on every grid value) of the
/// true tanh; the quotient (A + B)/(1 + AB) moves by at most 2δ·κ, κ = 1/(1 − (|A| + δ)(β + δ))² with β the largest
/// |B| of the neuron's table (each partial derivative is at most 1/(1 + AB)² on that box).</item>
/// <item>Rounding, per unit |w| (the quotient Q = (A + B)/(1 + AB) has |Q| ≤ 1): the numerator fl(A + B) within a
/// relative 2^-24; the denominator fma(B, fl(A·fl(1/w)), fl(1/w)) within a relative (2^-23·|AB| + 2^-24)/(1 + AB) + 2^-24
/// ≤ 2^-22·κ + 2^-24 of (1 + AB)/w (as 1/(1 − |AB|) ≤ √κ); the refined reciprocal within a relative e₀² + 2^-23
/// (e₀ = |1 − d·rcp(d)|, at most <see cref="ReciprocalError"/>, measured on every mantissa); the final product is exact
/// inside the fused multiply-add (the sum's rounding is bounded by the caller). Together, with the second-order terms,
/// at most |w|·(2^-21·κ + 2^-20).</item>
/// <item>A weight under <see cref="SmallestWeight"/> is left out: its term is 0, within |w| of the true one (the caller adds it).</item>
/// <item>The exact activation differs from the true tanh by at most δ.</item>
/// </list>
/// </remarks>
internal static class TanhAddition
{
    private static readonly Lazy<(double Activation, double Reciprocal)> Errors = new(Measure);

    /// <summary>Whether the instructions this needs are available and the reciprocal estimate is as accurate as the bound assumes.</summary>
    public static bool IsSupported => Avx.IsSupported && Fma.IsSupported && ReciprocalError <= 1.0 / 2048 && Avx.Reciprocal(Vector256.Create(float.MaxValue)).ToScalar() == 0;

    /// <summary>δ: the largest |<see cref="ActivationMath.Tanh(float)"/> − tanh| over the first layer's grid (|z| &lt; 256).</summary>
    public static double ActivationError => Errors.Value.Activation;

    /// <summary>The largest |1 − d·rcp(d)| of this processor's reciprocal estimate, over every float mantissa.</summary>
    public static double ReciprocalError => Errors.Value.Reciprocal;

    /// <summary>
    /// The largest |w| and |bias| of a target neuron the first pass takes (2^64; larger ones are counted exactly). The proof
    /// above assumes that no value overflows or leaves the normal range, and with <see cref="SmallestWeight"/> ≤ |w| ≤ 2^64
    /// and a κ gap of at least 2^-20 (below it the bound is infinite and every input is evaluated exactly) none does:
    /// 1/w ≥ 2^-64; the quotient form's denominators (1 + AB)/w lie in [2^-84, 2^41], so the reciprocal estimate is
    /// neither ∞ (a subnormal argument) nor 0 (above 2^126); the partial-fraction form, taken only where |A| ≥ 2^-10,
    /// has |B + 1/A| in [2^-20, 1025] and coefficients w(1 − A²)/A² ≤ 2^84; the bound's terms stay below 2^110 and their
    /// sums over 256 neurons below 2^120.
    /// </summary>
    public const float LargestWeight = 18446744073709551616f;

    /// <summary>Whether a target neuron's weights and bias are within <see cref="LargestWeight"/>: the first pass's range assumption.</summary>
    public static bool Covers(ReadOnlySpan<float> weights, float bias)
    {
        if (!(Math.Abs(bias) <= LargestWeight))
        {
            return false;
        }

        foreach (float w in weights)
        {
            if (!(Math.Abs(w) <= LargestWeight))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Weights smaller than this in magnitude are left out of the first pass (their term is 0 and |w| goes into the bound): 1/w stays far from overflow.</summary>
    public const float SmallestWeight = 1.0f / (1L << 40);

    /// <summary>
    /// Eight lanes' term w·tanh(a + b) = (A + B) · w/(1 + AB) from B = tanh(b) (tabled), A = tanh(a), A/w and 1/w
    /// (broadcast): the numerator one addition, the denominator (1 + AB)/w one fused multiply-add, its reciprocal by
    /// <typeparamref name="TReciprocal"/>, and one fused multiply-add into <paramref name="sum"/>. One table for every
    /// target neuron (the weight is in the broadcasts), so the leaf's tables stay in the first-level cache. A weight
    /// left out (<see cref="SmallestWeight"/>) has A/w = 0 and 1/w = the largest float: its term is exactly 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AddTerm<TReciprocal>(Vector256<float> sum, Vector256<float> table, Vector256<float> outer, Vector256<float> scaledOuter, Vector256<float> inverseWeight)
        where TReciprocal : struct, IReciprocal
    {
        Vector256<float> numerator = table + outer;
        Vector256<float> denominator = Fma.MultiplyAdd(table, scaledOuter, inverseWeight);
        return Fma.MultiplyAdd(numerator, TReciprocal.Of(denominator), sum);
    }

    /// <summary>
    /// Eight lanes' term in the partial-fraction form w·tanh(a + b) = w/A − c/(B + 1/A), c = w(1 − A²)/A² (the quotient
    /// (A + B)/(1 + AB) is a Möbius function of B with its pole at −1/A): the caller adds the constant w/A to the running
    /// sum's start once per Gray-code step, so a term is an addition, a reciprocal estimate and a fused multiply-add —
    /// one operation fewer on the multiply pipes than <see cref="AddTerm{TReciprocal}"/>. Its rounding grows as 1/|A|
    /// (<see cref="FractionTermError"/>): for saturated neurons it is tighter than the quotient form, near A = 0 useless.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AddFraction(Vector256<float> sum, Vector256<float> table, Vector256<float> pole, Vector256<float> coefficient) =>
        Fma.MultiplyAddNegated(coefficient, Avx.Reciprocal(table + pole), sum);

    /// <summary>
    /// The broadcasts of <see cref="AddFraction"/> for a neuron whose outer tanh is <paramref name="outer"/> (not 0), in
    /// floats as the counting leaf computes them eight at a time: the pole fl(1/A), the coefficient
    /// fl(fl(fl(w·fl(1 − A²))·pole)·pole) (within a relative 6·2^-24 of w(1 − A²)/A²) and the constant fl(w·pole)
    /// (within 2·2^-24 of w/A).
    /// </summary>
    public static (float Pole, float Coefficient, float Constant) Fraction(float weight, float outer)
    {
        float pole = 1 / outer, square = MathF.FusedMultiplyAdd(-outer, outer, 1);
        return (pole, weight * square * pole * pole, weight * pole);
    }

    /// <summary>
    /// The largest |w/A − c·rcp(B + pole) − w·Tanh(a + b)| of <see cref="AddFraction"/> with the broadcasts of
    /// <see cref="Fraction"/> (the constant w/A exact: its rounding is the caller's), for a neuron whose outer tanh is
    /// <paramref name="outer"/> and whose tabled tanh values are at most <paramref name="beta"/> in magnitude: |w|(2δκ + δ)
    /// for A and B against tanh (as <see cref="TermError"/>) plus M·(e₀ + 2^-23(7 + √κ))(1 + 2^-10), where
    /// M = |w|(1 − A²)√κ/|A| bounds |c/(B + 1/A)| (|1 + AB| ≥ 1/√κ) and the relative error of the computed c·rcp(fl(B + pole))
    /// is, to first order, that of c (6·2^-24), of the sum (2^-24), of the estimate (e₀) and of the pole, which moves it by
    /// a relative 2^-24/|1 + AB| ≤ 2^-24·√κ; the factor 2 in 2^-23 and the (1 + 2^-10) cover the second-order terms
    /// (for √κ ≤ <see cref="MaxFractionRoot"/>, e₀ ≤ 2^-11). Infinite for A = 0, or where 1 + AB can come near 0.
    /// </summary>
    public static double FractionTermError(float weight, float outer, float beta)
    {
        double delta = ActivationError;
        double product = (Math.Abs(outer) + delta) * (beta + delta);
        double root = 1 / (1 - product), kappa = root * root;
        if (outer == 0 || product >= 1 - 1e-6 || !(root <= MaxFractionRoot))
        {
            return double.PositiveInfinity;
        }

        return (Math.Abs(weight) * ((2 * delta * kappa) + delta)) + (FractionMagnitude(weight, outer, beta) * FractionRelativeError(root));
    }

    /// <summary>M = |w|(1 − A²)√κ/|A|: how large the computed part c·rcp(B + 1/A) of <see cref="AddFraction"/> can be (for the rounding of the sum it is added to).</summary>
    public static double FractionMagnitude(float weight, float outer, float beta)
    {
        double product = (Math.Abs(outer) + ActivationError) * (beta + ActivationError);
        return outer == 0 || product >= 1 - 1e-6 ? double.PositiveInfinity
            : Math.Abs(weight) * (1 - ((double)outer * outer)) / (Math.Abs((double)outer) * (1 - product));
    }

    /// <summary>The relative error of the computed part of <see cref="AddFraction"/>, given √κ (at most <see cref="MaxFractionRoot"/>): (e₀ + 2^-23(7 + √κ))(1 + 2^-10).</summary>
    public static double FractionRelativeError(double root) => (ReciprocalError + (Math.Pow(2, -23) * (7 + root))) * (1 + Math.Pow(2, -10));

    /// <summary>The largest √κ for which <see cref="FractionRelativeError"/> holds (2^20).</summary>
    public const double MaxFractionRoot = 1 << 20;

    /// <summary>As <see cref="AddTerm{TReciprocal}"/> with the refined reciprocal (the bound of <see cref="TermError"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AddTerm(Vector256<float> sum, Vector256<float> table, Vector256<float> outer, Vector256<float> scaledOuter, Vector256<float> inverseWeight) =>
        AddTerm<Refined>(sum, table, outer, scaledOuter, inverseWeight);

    /// <summary>
    /// The broadcast 1/w of a weight; for one left out (smaller than <see cref="SmallestWeight"/>) the largest float, whose
    /// reciprocal estimate is 0 (tiny results are flushed: checked by <see cref="IsSupported"/>), so that both tiers add
    /// exactly 0 (infinity would make the Newton step 1 − ∞·0 = NaN).
    /// </summary>
    public static float Inverse(float weight) => Math.Abs(weight) < SmallestWeight ? float.MaxValue : 1 / weight;

    /// <summary>The factor that turns A into A/w: 1/w, or 0 for a weight left out (so that A/w is 0, not NaN).</summary>
    public static float Scale(float weight) => Math.Abs(weight) < SmallestWeight ? 0 : 1 / weight;

    /// <summary>A reciprocal of eight lanes: the estimate alone, or refined.</summary>
    public interface IReciprocal
    {
        /// <summary>About 1/<paramref name="d"/>.</summary>
        static abstract Vector256<float> Of(Vector256<float> d);
    }

    /// <summary>The processor's estimate: relative error at most <see cref="ReciprocalError"/> (the bound of <see cref="EstimateTermError"/>).</summary>
    public readonly struct Estimate : IReciprocal
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Of(Vector256<float> d) => Avx.Reciprocal(d);
    }

    /// <summary>The estimate refined by one Newton step, r₁ = r₀ + r₀(1 − d·r₀): relative error e₀² plus rounding.</summary>
    public readonly struct Refined : IReciprocal
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Of(Vector256<float> d)
        {
            Vector256<float> estimate = Avx.Reciprocal(d);
            Vector256<float> residual = Fma.MultiplyAddNegated(d, estimate, Vector256<float>.One);
            return Fma.MultiplyAdd(estimate, residual, estimate);
        }
    }

    /// <summary>
    /// The largest |term − w·Tanh(a + b)| for a neuron whose outer tanh is <paramref name="outer"/> and whose tabled
    /// tanh values are at most <paramref name="beta"/> in magnitude (infinite when the quotient is ill-conditioned).
    /// </summary>
    public static double TermError(float weight, float outer, float beta) => Error(weight, outer, beta, ConditionedError, FlatError);

    /// <summary>
    /// As <see cref="TermError"/> for <see cref="AddTerm{TReciprocal}(Vector256{float}, Vector256{float}, Vector256{float}, Vector256{float}, Vector256{float})"/> with the estimate alone: the quotient's relative
    /// error e₀ on a value at most |w|(1 + 2δκ + 2^-20) adds |w|·e₀·(1 + 2δκ + 2^-20).
    /// </summary>
    public static double EstimateTermError(float weight, float outer, float beta) =>
        Error(weight, outer, beta, EstimateConditionedError, EstimateFlatError);

    /// <summary>|w|·(conditioned·κ + flat), κ = 1/(1 − (|A| + δ)(β + δ))², infinite where 1 + AB can come near 0; |w| for a weight left out.</summary>
    private static double Error(float weight, float outer, float beta, double conditioned, double flat)
    {
        if (Math.Abs(weight) < SmallestWeight)
        {
            return Math.Abs(weight); // left out: the term is 0, and |w·Tanh| ≤ |w|
        }

        double delta = ActivationError;
        double product = (Math.Abs(outer) + delta) * (beta + delta);
        if (product >= 1 - 1e-6)
        {
            return double.PositiveInfinity;
        }

        double kappa = 1 / ((1 - product) * (1 - product));
        return Math.Abs(weight) * ((conditioned * kappa) + flat);
    }

    /// <summary>The part of <see cref="TermError"/> per unit weight that grows with κ: 2δ + 2^-21.</summary>
    public static double ConditionedError => (2 * ActivationError) + Math.Pow(2, -21);

    /// <summary>The part of <see cref="TermError"/> per unit weight that does not: 2^-20 + 2e₀² + δ.</summary>
    public static double FlatError => Math.Pow(2, -20) + (2 * ReciprocalError * ReciprocalError) + ActivationError;

    /// <summary>The part of <see cref="EstimateTermError"/> per unit weight that grows with κ: 2δ(1 + e₀) + 2^-21.</summary>
    public static double EstimateConditionedError => (2 * ActivationError * (1 + ReciprocalError)) + Math.Pow(2, -21);

    /// <summary>The part of <see cref="EstimateTermError"/> per unit weight that does not: e₀(1 + 2^-20) + 2^-20 + δ.</summary>
    public static double EstimateFlatError => (ReciprocalError * (1 + Math.Pow(2, -20))) + Math.Pow(2, -20) + ActivationError;

    private static (double Activation, double Reciprocal) Measure()
    {
        // The activation on every grid value with |z| < 8 (u < 2^19); it is odd exactly, and beyond 8 it is the
        // constant of its clamp while tanh lies in [tanh 8, 1).
        double worst = 0;
        const int Limit = 1 << 19;
        Span<float> values = stackalloc float[8];
        for (int u = 0; u < Limit; u += 8)
        {
            Vector256<float> z = Vector256.ConvertToSingle(Vector256.Create(u) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7)) * Vector256.Create(FixedPointGrid.Step);
            ActivationMath.Tanh(z).CopyTo(values);
            for (int i = 0; i < 8; i++)
            {
                worst = Math.Max(worst, Math.Abs(values[i] - Math.Tanh((u + i) * (double)FixedPointGrid.Step)));
            }
        }

        double clamped = ActivationMath.Tanh(8f);
        worst = Math.Max(worst, Math.Max(Math.Abs(clamped - Math.Tanh(8.0)), 1 - clamped));

        double reciprocal = double.PositiveInfinity;
        if (Avx.IsSupported)
        {
            // The estimate depends on the mantissa (and is scaled by the exponent): every mantissa in [1, 2), and
            // the same in [½, 1) and [2^-20, 2^-19) for the exponent handling.
            reciprocal = 0;
            foreach (int exponent in new[] { 127, 126, 107 })
            {
                for (int m = 0; m < 1 << 23; m += 8)
                {
                    Vector256<int> bits = Vector256.Create((exponent << 23) | m) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
                    Vector256<double> d0 = Vector256.WidenLower(bits.AsSingle()), d1 = Vector256.WidenUpper(bits.AsSingle());
                    Vector256<float> r = Avx.Reciprocal(bits.AsSingle());
                    Vector256<double> e0 = Vector256.Abs(Vector256<double>.One - (d0 * Vector256.WidenLower(r)));
                    Vector256<double> e1 = Vector256.Abs(Vector256<double>.One - (d1 * Vector256.WidenUpper(r)));
                    Vector256<double> e = Vector256.Max(e0, e1);
                    reciprocal = Math.Max(reciprocal, Math.Max(Math.Max(e[0], e[1]), Math.Max(e[2], e[3])));
                }
            }
        }

        // Math.Tanh in double is within an ulp of tanh; a margin far above it.
        return (worst + 1e-12, reciprocal);
    }
}
