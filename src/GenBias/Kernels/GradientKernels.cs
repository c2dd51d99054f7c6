using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenBias.CompilerServices;

/// <summary>
/// The vectorised building blocks of the backward pass, called by generated <c>Backward</c> methods with
/// constant shapes. Gradients are not part of the bit-exactness contract (only the forward pass is), so these
/// use whatever order is fastest.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class GradientKernels
{
    /// <summary>For each row k of <paramref name="rows"/> (length delta·a): row_k += delta[k] · a.</summary>
    public static void AddOuterProduct(Span<float> rows, ReadOnlySpan<float> delta, ReadOnlySpan<float> a)
    {
        if (rows.Length != delta.Length * a.Length)
        {
            throw new ArgumentException($"{rows.Length} values are not {delta.Length} rows of {a.Length}.", nameof(rows));
        }

        for (int k = 0; k < delta.Length; k++)
        {
            float d = delta[k];
            if (d != 0f)
            {
                AddScaled(rows.Slice(k * a.Length, a.Length), a, d);
            }
        }
    }

    /// <summary>destination += scale · source.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(Span<float> destination, ReadOnlySpan<float> source, float scale)
    {
        if (destination.Length != source.Length)
        {
            throw new ArgumentException($"{destination.Length} and {source.Length} values.", nameof(source));
        }

        ref float dst = ref MemoryMarshal.GetReference(destination);
        ref float src = ref MemoryMarshal.GetReference(source);
        int n = source.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s = Vector256.Create(scale);
            for (; i <= n - 8; i += 8)
            {
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref src, (nuint)i), s, Vector256.LoadUnsafe(ref dst, (nuint)i))
                    .StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dst, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref src, i), scale, Unsafe.Add(ref dst, i));
        }
    }

    /// <summary>destination += source.</summary>
    public static void Add(Span<float> destination, ReadOnlySpan<float> source) => AddScaled(destination, source, 1f);

    /// <summary>result = Σ_k delta[k] · row_k of <paramref name="weights"/> (rows of result.Length): the transpose product.</summary>
    public static void MultiplyTransposed(ReadOnlySpan<float> weights, ReadOnlySpan<float> delta, Span<float> result)
    {
        if (weights.Length != delta.Length * result.Length)
        {
            throw new ArgumentException($"{weights.Length} weights are not {delta.Length} rows of {result.Length}.", nameof(weights));
        }

        result.Clear();
        for (int k = 0; k < delta.Length; k++)
        {
            AddScaled(result, weights.Slice(k * result.Length, result.Length), delta[k]);
        }
    }

    /// <summary>delta[i] *= f'(pre[i], post[i]) for the layer's activation.</summary>
    public static void ApplyDerivative(Activation activation, ReadOnlySpan<float> pre, ReadOnlySpan<float> post, Span<float> delta)
    {
        if (pre.Length != delta.Length || post.Length != delta.Length)
        {
            throw new ArgumentException("pre, post and delta must have the same length.", nameof(delta));
        }

        ref float z = ref MemoryMarshal.GetReference(pre);
        ref float y = ref MemoryMarshal.GetReference(post);
        ref float d = ref MemoryMarshal.GetReference(delta);
        int n = delta.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                (Vector256.LoadUnsafe(ref d, (nuint)i) *
                    ActivationMath.Derivative(activation, Vector256.LoadUnsafe(ref z, (nuint)i), Vector256.LoadUnsafe(ref y, (nuint)i)))
                    .StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) *= ActivationMath.Derivative(activation, Unsafe.Add(ref z, i), Unsafe.Add(ref y, i));
        }
    }
}
