using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenBias.CompilerServices;

/// <summary>
/// The one summation order every GenBias implementation uses for a neuron's pre-activation, so that the scalar
/// reference, the Vector128, Vector256 and Vector512 paths of generated code, and the certifier produce the same bits.
/// </summary>
/// <remarks>
/// <para><b>First layer</b> (<see cref="FirstLayer"/>): the ternary inputs are cut into groups of five
/// (<see cref="ShapeRules.GroupSize"/>; the last group may be shorter). Group g's sum S_g is a chain of fused
/// multiply-adds over its inputs in order, starting from the bias for group 0 and from +0 for the others. The group
/// sums are then combined like the partial sums below: p[l] = S_l, then p[l] += S_{l+8}, S_{l+16}, …; then the fixed
/// tree, where a partial sum that does not exist (fewer than eight groups) is left out rather than added as zero.
/// This is the order of a table of group sums: 243 precomputed rows per group hold every S_g, so the first layer
/// costs one row load per group (<see cref="FirstLayerTables"/>). On the exact grid (<see cref="FixedPointGrid"/>) every
/// partial sum is exact and any order gives these bits.</para>
/// <para><b>Later layers</b> (<see cref="PreActivation"/>):
/// For inputs <c>a</c> and weights <c>w</c> of length <c>n</c>: eight partial sums <c>p[l]</c>, each a chain of fused
/// multiply-adds over <c>j = l, l + 8, l + 16, …</c> starting from +0; then the fixed tree
/// <c>((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7))</c>; then the bias is added. Eight independent chains
/// hide the multiply-add latency, and the tree is exactly what a Vector256 reduction computes.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class CanonicalSum
{
    /// <summary>2^-150: the largest absolute error of one rounding to a subnormal float.</summary>
    private const double HalfSmallestSubnormal = 7.006492321624085e-46;

    /// <summary>
    /// How far the canonical pre-activation (<see cref="PreActivation"/>) of <paramref name="terms"/> products plus a bias
    /// can be from its real value when the products' magnitudes and the bias's add up to at most
    /// <paramref name="magnitude"/>: each product enters its partial sum exactly, inside a fused multiply-add, and then
    /// passes through at most ⌈terms/8⌉ + 4 roundings (the rest of its chain, the tree, the bias), each within a relative
    /// 2^-24 of a partial sum no larger than the magnitude, plus 2^-150 absolute where a result is subnormal (Higham's
    /// bound for a summation tree of that height). Engines that decide inputs from bounds on the real sum widen the
    /// bounds by this, so that the float sum Forward computes cannot fall on the other side.
    /// </summary>
    internal static double ErrorBound(int terms, double magnitude)
    {
        int roundings = ((terms + 7) / 8) + 4;
        double unit = 1.0 / (1 << 24), gamma = roundings * unit / (1 - (roundings * unit));
        return (gamma * magnitude) + ((terms + 4) * HalfSmallestSubnormal);
    }

    /// <summary>The canonical dot product of <paramref name="inputs"/> and <paramref name="weights"/> plus <paramref name="bias"/>.</summary>
    public static float PreActivation(ReadOnlySpan<float> inputs, ReadOnlySpan<float> weights, float bias)
    {
        if (inputs.Length != weights.Length)
        {
            throw new ArgumentException($"{inputs.Length} inputs but {weights.Length} weights.", nameof(weights));
        }

        Span<float> p = stackalloc float[ShapeRules.PartialSums];
        p.Clear();
        for (int j = 0; j < inputs.Length; j++)
        {
            p[j & 7] = MathF.FusedMultiplyAdd(inputs[j], weights[j], p[j & 7]);
        }

        return Tree(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]) + bias;
    }

    /// <summary>
    /// The canonical first-layer pre-activation (group order, see remarks) of ternary <paramref name="inputs"/> (as
    /// floats -1, 0, +1) with <paramref name="weights"/> and <paramref name="bias"/>.
    /// </summary>
    public static float FirstLayer(ReadOnlySpan<float> inputs, ReadOnlySpan<float> weights, float bias)
    {
        if (inputs.Length != weights.Length)
        {
            throw new ArgumentException($"{inputs.Length} inputs but {weights.Length} weights.", nameof(weights));
        }

        int groups = ShapeRules.Groups(inputs.Length);
        Span<float> p = stackalloc float[ShapeRules.PartialSums];
        for (int g = 0; g < groups; g++)
        {
            float s = g == 0 ? bias : 0f;
            int end = Math.Min((g + 1) * ShapeRules.GroupSize, inputs.Length);
            for (int i = g * ShapeRules.GroupSize; i < end; i++)
            {
                s = MathF.FusedMultiplyAdd(inputs[i], weights[i], s);
            }

            p[g & 7] = g < ShapeRules.PartialSums ? s : p[g & 7] + s;
        }

        if (groups == 0)
        {
            return bias;
        }

        return TreeOfPresent(p, Math.Min(groups, ShapeRules.PartialSums));
    }

    /// <summary>
    /// The fixed tree over the first <paramref name="present"/> (1 to 8) partial sums, leaving out those that do not
    /// exist: with five, ((p0 + p4) + p2) + (p1 + p3).
    /// </summary>
    public static float TreeOfPresent(ReadOnlySpan<float> p, int present)
    {
        if (present < 1 || present > ShapeRules.PartialSums)
        {
            throw new ArgumentOutOfRangeException(nameof(present), present, "Between 1 and 8 partial sums.");
        }

        Span<float?> at = stackalloc float?[ShapeRules.PartialSums];
        for (int l = 0; l < present; l++)
        {
            at[l] = p[l];
        }

        static float? Pair(float? a, float? b) => a is null ? b : b is null ? a : a.Value + b.Value;
        return Pair(Pair(Pair(at[0], at[4]), Pair(at[2], at[6])), Pair(Pair(at[1], at[5]), Pair(at[3], at[7])))!.Value;
    }

    /// <summary>The fixed reduction tree over eight partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tree(float p0, float p1, float p2, float p3, float p4, float p5, float p6, float p7) =>
        ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7));

    /// <summary>The fixed reduction tree over the eight lanes of one vector (lane l holds p[l]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tree(Vector256<float> p) => Tree(p.GetLower(), p.GetUpper());

    /// <summary>
    /// The fixed reduction tree over eight partial sums held in two vectors: lane l of <paramref name="lower"/> holds
    /// p[l], lane l of <paramref name="upper"/> p[l + 4] (the halves of the Vector256 form, so the same bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tree(Vector128<float> lower, Vector128<float> upper)
    {
        // (p0+p4, p1+p5, p2+p6, p3+p7)
        Vector128<float> half = lower + upper;
        // ((p0+p4)+(p2+p6), (p1+p5)+(p3+p7), …)
        Vector128<float> quarter = half + Vector128.Shuffle(half, Vector128.Create(2, 3, 0, 1));
        return quarter.ToScalar() + quarter.GetElement(1);
    }

    /// <summary>
    /// The fixed tree of eight rows at once: lane r of the result is <see cref="Tree(Vector256{float})"/> of
    /// <c>p_r</c> (the same additions, so the same bits), with rows transposed into lanes by shuffles instead of eight
    /// horizontal reductions. The batch kernels use it to put the rows of a narrow layer into lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> TreeOfRows(
        Vector256<float> p0, Vector256<float> p1, Vector256<float> p2, Vector256<float> p3,
        Vector256<float> p4, Vector256<float> p5, Vector256<float> p6, Vector256<float> p7)
    {
        if (Avx2.IsSupported)
        {
            // Lower + upper half of each row, two rows per vector: h_r = (p0+p4, p1+p5, p2+p6, p3+p7).
            Vector256<float> h01 = Avx.Permute2x128(p0, p1, 0x20) + Avx.Permute2x128(p0, p1, 0x31);
            Vector256<float> h23 = Avx.Permute2x128(p2, p3, 0x20) + Avx.Permute2x128(p2, p3, 0x31);
            Vector256<float> h45 = Avx.Permute2x128(p4, p5, 0x20) + Avx.Permute2x128(p4, p5, 0x31);
            Vector256<float> h67 = Avx.Permute2x128(p6, p7, 0x20) + Avx.Permute2x128(p6, p7, 0x31);
            // (p0+p4)+(p2+p6) and (p1+p5)+(p3+p7) of rows 0, 2 | 1, 3 (then 4, 6 | 5, 7).
            Vector256<float> q0123 = Avx.Shuffle(h01, h23, 0x44) + Avx.Shuffle(h01, h23, 0xEE);
            Vector256<float> q4567 = Avx.Shuffle(h45, h67, 0x44) + Avx.Shuffle(h45, h67, 0xEE);
            // The two quarters of each row added: rows 0, 2, 4, 6 | 1, 3, 5, 7, then put in order.
            Vector256<float> sum = Avx.Shuffle(q0123, q4567, 0x88) + Avx.Shuffle(q0123, q4567, 0xDD);
            return Avx2.PermuteVar8x32(sum, Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7));
        }

        return Vector256.Create(Tree(p0), Tree(p1), Tree(p2), Tree(p3), Tree(p4), Tree(p5), Tree(p6), Tree(p7));
    }

    /// <summary>
    /// The fixed tree of sixteen rows at once: <paramref name="q0"/> … <paramref name="q7"/> hold two rows each (row 2q
    /// in lanes 0-7, row 2q + 1 in lanes 8-15, lane l of a row holding p[l]); lane r of the result is
    /// <see cref="Tree(Vector256{float})"/> of row r (the same additions, so the same bits), with the rows put in lanes
    /// by three levels of shuffles. The sixteen-row batch kernels use it for a layer whose inputs arrive row by row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> TreeOfRowPairs(
        Vector512<float> q0, Vector512<float> q1, Vector512<float> q2, Vector512<float> q3,
        Vector512<float> q4, Vector512<float> q5, Vector512<float> q6, Vector512<float> q7)
    {
        if (Avx512F.IsSupported)
        {
            // (p0+p4, p1+p5, p2+p6, p3+p7) of rows 0-3, 4-7, 8-11, 12-15: one row per 128-bit block.
            Vector512<float> h0 = Avx512F.Shuffle4x128(q0, q1, 0x88) + Avx512F.Shuffle4x128(q0, q1, 0xDD);
            Vector512<float> h1 = Avx512F.Shuffle4x128(q2, q3, 0x88) + Avx512F.Shuffle4x128(q2, q3, 0xDD);
            Vector512<float> h2 = Avx512F.Shuffle4x128(q4, q5, 0x88) + Avx512F.Shuffle4x128(q4, q5, 0xDD);
            Vector512<float> h3 = Avx512F.Shuffle4x128(q6, q7, 0x88) + Avx512F.Shuffle4x128(q6, q7, 0xDD);
            // (p0+p4)+(p2+p6) and (p1+p5)+(p3+p7) of rows c, c + 4 (block c of k0) and c + 8, c + 12 (block c of k1).
            Vector512<float> k0 = Avx512F.Shuffle(h0, h1, 0x44) + Avx512F.Shuffle(h0, h1, 0xEE);
            Vector512<float> k1 = Avx512F.Shuffle(h2, h3, 0x44) + Avx512F.Shuffle(h2, h3, 0xEE);
            // The two quarters of each row added: rows c, c + 4, c + 8, c + 12 in block c, then put in order.
            Vector512<float> sum = Avx512F.Shuffle(k0, k1, 0x88) + Avx512F.Shuffle(k0, k1, 0xDD);
            return Avx512F.PermuteVar16x32(sum, Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
        }

        return Vector512.Create(
            Vector256.Create(Tree(q0.GetLower()), Tree(q0.GetUpper()), Tree(q1.GetLower()), Tree(q1.GetUpper()),
                Tree(q2.GetLower()), Tree(q2.GetUpper()), Tree(q3.GetLower()), Tree(q3.GetUpper())),
            Vector256.Create(Tree(q4.GetLower()), Tree(q4.GetUpper()), Tree(q5.GetLower()), Tree(q5.GetUpper()),
                Tree(q6.GetLower()), Tree(q6.GetUpper()), Tree(q7.GetLower()), Tree(q7.GetUpper())));
    }

    /// <summary>The fixed reduction tree applied lane by lane to eight vectors of partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Tree(
        Vector128<float> p0, Vector128<float> p1, Vector128<float> p2, Vector128<float> p3,
        Vector128<float> p4, Vector128<float> p5, Vector128<float> p6, Vector128<float> p7) =>
        ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7));

    /// <summary>The fixed reduction tree applied lane by lane to eight vectors of partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tree(
        Vector256<float> p0, Vector256<float> p1, Vector256<float> p2, Vector256<float> p3,
        Vector256<float> p4, Vector256<float> p5, Vector256<float> p6, Vector256<float> p7) =>
        ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7));

    /// <summary>The fixed reduction tree applied lane by lane to eight vectors of partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tree(
        Vector512<float> p0, Vector512<float> p1, Vector512<float> p2, Vector512<float> p3,
        Vector512<float> p4, Vector512<float> p5, Vector512<float> p6, Vector512<float> p7) =>
        ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7));
}
