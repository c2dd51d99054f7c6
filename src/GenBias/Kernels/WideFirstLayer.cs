using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenBias.CompilerServices;

/// <summary>
/// The first layer of a network wider than the table limit, without multiplies: a pre-activation is the sum of the
/// weight columns of the +1 inputs, minus the sum of the columns of the −1 inputs, plus the bias. The inputs are
/// packed as two masks per 64 inputs (<see cref="PackRows"/>), and only the set bits are visited, so a zero input
/// costs nothing. Generated batches call it for first layers above 64 inputs (<see cref="ShapeRules.AddsFirstLayerColumns"/>).
/// </summary>
/// <remarks>
/// This is the canonical sum's value only on <see cref="FixedPointGrid"/>: there every partial sum of any order is an
/// exact multiple of 2^-16 below 256, so the order does not change the bits. Callers check
/// <see cref="FixedPointGrid.IsFirstLayerOnGrid"/> and take the canonical path otherwise. A zero sum comes out as +0,
/// as the canonical order gives it for more than one group of inputs (both sums start at +0 and the bias is added
/// last, so a bias of −0 with no input set still gives +0).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class WideFirstLayer
{
    /// <summary>Mask words per row for <paramref name="inputs"/> inputs: a positive and a negative mask per 64 inputs.</summary>
    public static int WordsPerRow(int inputs) => 2 * ((inputs + 63) >> 6);

    /// <summary>
    /// Packs <paramref name="rowCount"/> rows of <paramref name="inputs"/> validated ternary values into masks,
    /// <see cref="WordsPerRow"/> per row: for inputs 64c to 64c + 63, the positive mask then the negative mask.
    /// </summary>
    public static void PackRows(ref sbyte rows, int rowCount, int inputs, ref ulong masks)
    {
        int words = (inputs + 63) >> 6;
        for (int r = 0; r < rowCount; r++)
        {
            ref sbyte row = ref Unsafe.Add(ref rows, r * inputs);
            ref ulong target = ref Unsafe.Add(ref masks, r * 2 * words);
            for (int c = 0; c < words; c++)
            {
                int length = Math.Min(64, inputs - (64 * c));
                if (!TernaryInput.TryPack(ref Unsafe.Add(ref row, 64 * c), length, out ulong positive, out ulong negative))
                {
                    throw new ArgumentException($"Row {r} holds a value other than -1, 0, 1 among inputs {64 * c} to {(64 * c) + length - 1}.", nameof(rows));
                }

                Unsafe.Add(ref target, 2 * c) = positive;
                Unsafe.Add(ref target, (2 * c) + 1) = negative;
            }
        }
    }

    /// <summary>
    /// The pre-activations of <paramref name="rowCount"/> packed rows: row r's neuron k at
    /// <c>pre[r · padded + k]</c> (lanes from ⌈width/8⌉·8 to <paramref name="padded"/> are +0). The columns are in
    /// the packed layer layout: input j's weights to every neuron at <c>j · padded</c>, the biases at
    /// <c>inputs · padded</c>, zero beyond <paramref name="width"/>.
    /// </summary>
    /// <remarks>
    /// Loops run over 64 inputs, then a block of neurons (64 with Vector512, 32 or 8 with Vector256), then the rows: a
    /// block's 64 columns (at most 16 KB) stay in the first-level cache while every row adds its set bits from them.
    /// The +1 and −1 columns go into separate sums (twice the independent chains); pre holds the +1 sums and a buffer
    /// the −1 sums until the end.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PreActivations(ref ulong masks, int rowCount, int inputs, ref float columns, int padded, int width, ref float pre)
    {
        int words = (inputs + 63) >> 6, lanes = (width + 7) / 8 * 8, size = rowCount * padded;
        float[]? rented = size > 4096 ? System.Buffers.ArrayPool<float>.Shared.Rent(size) : null;
        Span<float> negative = rented ?? stackalloc float[4096];
        negative[..size].Clear();
        Clear(ref pre, size);
        ref float minus = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(negative);
        bool wide = Vector512.IsHardwareAccelerated;
        for (int c = 0; c < words; c++)
        {
            ref float block = ref Unsafe.Add(ref columns, 64 * c * padded);
            int k = 0;
            for (; wide && k + 64 <= lanes; k += 64)
            {
                for (int r = 0; r < rowCount; r++)
                {
                    int at = (r * padded) + k, word = (r * 2 * words) + (2 * c);
                    Four512(Unsafe.Add(ref masks, word), Unsafe.Add(ref masks, word + 1), ref Unsafe.Add(ref block, k), padded,
                        ref Unsafe.Add(ref pre, at), ref Unsafe.Add(ref minus, at));
                }
            }

            for (; k + 32 <= lanes; k += 32)
            {
                for (int r = 0; r < rowCount; r++)
                {
                    int at = (r * padded) + k, word = (r * 2 * words) + (2 * c);
                    Four256(Unsafe.Add(ref masks, word), Unsafe.Add(ref masks, word + 1), ref Unsafe.Add(ref block, k), padded,
                        ref Unsafe.Add(ref pre, at), ref Unsafe.Add(ref minus, at));
                }
            }

            for (; k < lanes; k += 8)
            {
                for (int r = 0; r < rowCount; r++)
                {
                    int at = (r * padded) + k, word = (r * 2 * words) + (2 * c);
                    One256(Unsafe.Add(ref masks, word), Unsafe.Add(ref masks, word + 1), ref Unsafe.Add(ref block, k), padded,
                        ref Unsafe.Add(ref pre, at), ref Unsafe.Add(ref minus, at));
                }
            }
        }

        // pre = (Σ +1 columns − Σ −1 columns) + bias; both sums start at +0, so a zero sum is +0 whatever the bias's sign.
        ref float biases = ref Unsafe.Add(ref columns, inputs * padded);
        for (int r = 0; r < rowCount; r++)
        {
            for (int k = 0; k < lanes; k += 8)
            {
                int at = (r * padded) + k;
                ((Vector256.LoadUnsafe(ref pre, (nuint)at) - Vector256.LoadUnsafe(ref minus, (nuint)at)) + Vector256.LoadUnsafe(ref biases, (nuint)k))
                    .StoreUnsafe(ref pre, (nuint)at);
            }
        }

        if (rented is not null)
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The pre-activations of <paramref name="rowCount"/> (even) sbyte rows of <paramref name="inputs"/> (at least 16)
    /// validated ternary values, by dot products with the inputs in the lanes of a Vector512: row r's neuron k at
    /// <c>pre[r · padded + k]</c>. The weights are in the canonical layout (neuron k's row at <c>k · inputs</c>), the
    /// biases at <paramref name="biases"/>. For narrow first layers (<see cref="ShapeRules.DotsFirstLayer"/>), where
    /// columns cost more per set bit than a multiply-add per input. Requires Vector512 acceleration.
    /// </summary>
    /// <remarks>
    /// Exact only on <see cref="FixedPointGrid"/>, like <see cref="PreActivations"/>: the products are summed in lanes,
    /// then across them, then the bias is added, and every step is exact there, so the bits are the canonical sum's (a
    /// zero sum is +0). Tiles of two rows × eight neurons: each chunk of 16 weights is loaded once for both rows,
    /// sixteen independent accumulators keep both multiply-add pipes busy, and one transposing reduction puts each
    /// tile's sums in the lanes of two Vector256. The last chunk is the row's last 16 inputs with those already
    /// summed zeroed, so nothing past a row or a weight row is read. Lanes from <paramref name="width"/> to the next
    /// multiple of 8 hold copies of the last neuron's sums.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotPreActivations(ref sbyte rows, int rowCount, int inputs, ref float weights, ref float biases, int width, int padded, ref float pre)
    {
        if (!Vector512.IsHardwareAccelerated || inputs < 16 || (rowCount & 1) != 0 || padded < ((width + 7) & ~7))
        {
            throw new ArgumentException("Dot products need Vector512, at least 16 inputs, an even row count and room for the lanes.");
        }

        int whole = inputs >> 4, tail = inputs & 15;
        // The last chunk starts 16 before the end; its first 16 − tail lanes were in the whole chunks already.
        Vector512<float> keep = Vector512.GreaterThanOrEqual(Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create((float)(16 - tail)));
        int last = inputs - 16;
        for (int r = 0; r < rowCount; r += 2)
        {
            ref sbyte a = ref Unsafe.Add(ref rows, r * inputs);
            ref sbyte b = ref Unsafe.Add(ref a, inputs);
            for (int k0 = 0; k0 < width; k0 += 8)
            {
                // Neurons k0 … k0 + 7 (the last one repeated past the width).
                ref float w0 = ref Row(ref weights, inputs, k0, width), w1 = ref Row(ref weights, inputs, k0 + 1, width);
                ref float w2 = ref Row(ref weights, inputs, k0 + 2, width), w3 = ref Row(ref weights, inputs, k0 + 3, width);
                ref float w4 = ref Row(ref weights, inputs, k0 + 4, width), w5 = ref Row(ref weights, inputs, k0 + 5, width);
                ref float w6 = ref Row(ref weights, inputs, k0 + 6, width), w7 = ref Row(ref weights, inputs, k0 + 7, width);
                Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
                Vector512<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
                for (int c = 0; c <= whole; c++)
                {
                    int at = c * 16;
                    Vector512<float> xa, xb;
                    if (c < whole)
                    {
                        xa = Floats(ref a, at);
                        xb = Floats(ref b, at);
                    }
                    else if (tail != 0)
                    {
                        at = last;
                        xa = Floats(ref a, at) & keep;
                        xb = Floats(ref b, at) & keep;
                    }
                    else
                    {
                        break;
                    }

                    Vector512<float> w = Vector512.LoadUnsafe(ref w0, (nuint)at);
                    a0 = Vector512.FusedMultiplyAdd(xa, w, a0);
                    b0 = Vector512.FusedMultiplyAdd(xb, w, b0);
                    w = Vector512.LoadUnsafe(ref w1, (nuint)at);
                    a1 = Vector512.FusedMultiplyAdd(xa, w, a1);
                    b1 = Vector512.FusedMultiplyAdd(xb, w, b1);
                    w = Vector512.LoadUnsafe(ref w2, (nuint)at);
                    a2 = Vector512.FusedMultiplyAdd(xa, w, a2);
                    b2 = Vector512.FusedMultiplyAdd(xb, w, b2);
                    w = Vector512.LoadUnsafe(ref w3, (nuint)at);
                    a3 = Vector512.FusedMultiplyAdd(xa, w, a3);
                    b3 = Vector512.FusedMultiplyAdd(xb, w, b3);
                    w = Vector512.LoadUnsafe(ref w4, (nuint)at);
                    a4 = Vector512.FusedMultiplyAdd(xa, w, a4);
                    b4 = Vector512.FusedMultiplyAdd(xb, w, b4);
                    w = Vector512.LoadUnsafe(ref w5, (nuint)at);
                    a5 = Vector512.FusedMultiplyAdd(xa, w, a5);
                    b5 = Vector512.FusedMultiplyAdd(xb, w, b5);
                    w = Vector512.LoadUnsafe(ref w6, (nuint)at);
                    a6 = Vector512.FusedMultiplyAdd(xa, w, a6);
                    b6 = Vector512.FusedMultiplyAdd(xb, w, b6);
                    w = Vector512.LoadUnsafe(ref w7, (nuint)at);
                    a7 = Vector512.FusedMultiplyAdd(xa, w, a7);
                    b7 = Vector512.FusedMultiplyAdd(xb, w, b7);
                }

                // Sixteen lanes to eight, then the rows' eight neurons into the lanes of one Vector256 each (exact on the grid).
                Vector256<float> bias = LoadBiases(ref biases, k0, width);
                (CanonicalSum.TreeOfRows(Half(a0), Half(a1), Half(a2), Half(a3), Half(a4), Half(a5), Half(a6), Half(a7)) + bias)
                    .StoreUnsafe(ref pre, (nuint)((r * padded) + k0));
                (CanonicalSum.TreeOfRows(Half(b0), Half(b1), Half(b2), Half(b3), Half(b4), Half(b5), Half(b6), Half(b7)) + bias)
                    .StoreUnsafe(ref pre, (nuint)(((r + 1) * padded) + k0));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float Row(ref float weights, int inputs, int k, int width) =>
        ref Unsafe.Add(ref weights, Math.Min(k, width - 1) * inputs);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadBiases(ref float biases, int k0, int width)
    {
        if (k0 + 8 <= width)
        {
            return Vector256.LoadUnsafe(ref biases, (nuint)k0);
        }

        Span<float> lanes = stackalloc float[8];
        for (int t = 0; t < 8; t++)
        {
            lanes[t] = Unsafe.Add(ref biases, Math.Min(k0 + t, width - 1));
        }

        return Vector256.Create<float>(lanes);
    }

    /// <summary>16 ternary sbytes as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Floats(ref sbyte row, int at) =>
        Vector512.ConvertToSingle(System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref row, (nuint)at)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Half(Vector512<float> v) => v.GetLower() + v.GetUpper();

    private static void Clear(ref float start, int length) =>
        System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref start, length).Clear();

    /// <summary>64 neurons of one row and 64 inputs, in four Vector512 sums per sign.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Four512(ulong positive, ulong negative, ref float block, int padded, ref float plus, ref float minus)
    {
        Vector512<float> p0 = Vector512.LoadUnsafe(ref plus), p1 = Vector512.LoadUnsafe(ref plus, 16),
            p2 = Vector512.LoadUnsafe(ref plus, 32), p3 = Vector512.LoadUnsafe(ref plus, 48);
        Vector512<float> n0 = Vector512.LoadUnsafe(ref minus), n1 = Vector512.LoadUnsafe(ref minus, 16),
            n2 = Vector512.LoadUnsafe(ref minus, 32), n3 = Vector512.LoadUnsafe(ref minus, 48);
        while (positive != 0)
        {
            ref float column = ref Unsafe.Add(ref block, BitOperations.TrailingZeroCount(positive) * padded);
            positive &= positive - 1;
            p0 += Vector512.LoadUnsafe(ref column);
            p1 += Vector512.LoadUnsafe(ref column, 16);
            p2 += Vector512.LoadUnsafe(ref column, 32);
            p3 += Vector512.LoadUnsafe(ref column, 48);
        }

        while (negative != 0)
        {
            ref float column = ref Unsafe.Add(ref block, BitOperations.TrailingZeroCount(negative) * padded);
            negative &= negative - 1;
            n0 += Vector512.LoadUnsafe(ref column);
            n1 += Vector512.LoadUnsafe(ref column, 16);
            n2 += Vector512.LoadUnsafe(ref column, 32);
            n3 += Vector512.LoadUnsafe(ref column, 48);
        }

        p0.StoreUnsafe(ref plus);
        p1.StoreUnsafe(ref plus, 16);
        p2.StoreUnsafe(ref plus, 32);
        p3.StoreUnsafe(ref plus, 48);
        n0.StoreUnsafe(ref minus);
        n1.StoreUnsafe(ref minus, 16);
        n2.StoreUnsafe(ref minus, 32);
        n3.StoreUnsafe(ref minus, 48);
    }

    /// <summary>32 neurons of one row and 64 inputs, in four Vector256 sums per sign.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Four256(ulong positive, ulong negative, ref float block, int padded, ref float plus, ref float minus)
    {
        Vector256<float> p0 = Vector256.LoadUnsafe(ref plus), p1 = Vector256.LoadUnsafe(ref plus, 8),
            p2 = Vector256.LoadUnsafe(ref plus, 16), p3 = Vector256.LoadUnsafe(ref plus, 24);
        Vector256<float> n0 = Vector256.LoadUnsafe(ref minus), n1 = Vector256.LoadUnsafe(ref minus, 8),
            n2 = Vector256.LoadUnsafe(ref minus, 16), n3 = Vector256.LoadUnsafe(ref minus, 24);
        while (positive != 0)
        {
            ref float column = ref Unsafe.Add(ref block, BitOperations.TrailingZeroCount(positive) * padded);
            positive &= positive - 1;
            p0 += Vector256.LoadUnsafe(ref column);
            p1 += Vector256.LoadUnsafe(ref column, 8);
            p2 += Vector256.LoadUnsafe(ref column, 16);
            p3 += Vector256.LoadUnsafe(ref column, 24);
        }

        while (negative != 0)
        {
            ref float column = ref Unsafe.Add(ref block, BitOperations.TrailingZeroCount(negative) * padded);
            negative &= negative - 1;
            n0 += Vector256.LoadUnsafe(ref column);
            n1 += Vector256.LoadUnsafe(ref column, 8);
            n2 += Vector256.LoadUnsafe(ref column, 16);
            n3 += Vector256.LoadUnsafe(ref column, 24);
        }

        p0.StoreUnsafe(ref plus);
        p1.StoreUnsafe(ref plus, 8);
        p2.StoreUnsafe(ref plus, 16);
        p3.StoreUnsafe(ref plus, 24);
        n0.StoreUnsafe(ref minus);
        n1.StoreUnsafe(ref minus, 8);
        n2.StoreUnsafe(ref minus, 16);
        n3.StoreUnsafe(ref minus, 24);
    }

    /// <summary>8 neurons of one row and 64 inputs: two sums per sign (alternate set bits), so the adds overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void One256(ulong positive, ulong negative, ref float block, int padded, ref float plus, ref float minus)
    {
        Vector256<float> p0 = Vector256.LoadUnsafe(ref plus), p1 = Vector256<float>.Zero, n0 = Vector256.LoadUnsafe(ref minus), n1 = p1;
        while (positive != 0)
        {
            p0 += Vector256.LoadUnsafe(ref Unsafe.Add(ref block, BitOperations.TrailingZeroCount(positive) * padded));
            positive &= positive - 1;
            if (positive == 0)
            {
                break;
            }

            p1 += Vector256.LoadUnsafe(ref Unsafe.Add(ref block, BitOperations.TrailingZeroCount(positive) * padded));
            positive &= positive - 1;
        }

        while (negative != 0)
        {
            n0 += Vector256.LoadUnsafe(ref Unsafe.Add(ref block, BitOperations.TrailingZeroCount(negative) * padded));
            negative &= negative - 1;
            if (negative == 0)
            {
                break;
            }

            n1 += Vector256.LoadUnsafe(ref Unsafe.Add(ref block, BitOperations.TrailingZeroCount(negative) * padded));
            negative &= negative - 1;
        }

        (p0 + p1).StoreUnsafe(ref plus);
        (n0 + n1).StoreUnsafe(ref minus);
    }
}
