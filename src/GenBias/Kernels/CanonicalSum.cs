using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// The one summation order every GenBias implementation uses for a neuron's pre-activation, so that the scalar
/// reference, the Vector256 and Vector512 paths of generated code, and the certifier produce the same bits.
/// </summary>
/// <remarks>
/// For inputs <c>a</c> and weights <c>w</c> of length <c>n</c>: eight partial sums <c>p[l]</c>, each a chain of fused
/// multiply-adds over <c>j = l, l + 8, l + 16, …</c> starting from +0; then the fixed tree
/// <c>((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7))</c>; then the bias is added. Eight independent chains
/// hide the multiply-add latency, and the tree is exactly what a Vector256 reduction computes.
/// </remarks>
public static class CanonicalSum
{
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

    /// <summary>The fixed reduction tree over eight partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tree(float p0, float p1, float p2, float p3, float p4, float p5, float p6, float p7) =>
        ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7));

    /// <summary>The fixed reduction tree over the eight lanes of one vector (lane l holds p[l]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tree(Vector256<float> p)
    {
        // (p0+p4, p1+p5, p2+p6, p3+p7)
        Vector128<float> half = p.GetLower() + p.GetUpper();
        // ((p0+p4)+(p2+p6), (p1+p5)+(p3+p7), …)
        Vector128<float> quarter = half + Vector128.Shuffle(half, Vector128.Create(2, 3, 0, 1));
        return quarter.ToScalar() + quarter.GetElement(1);
    }

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
