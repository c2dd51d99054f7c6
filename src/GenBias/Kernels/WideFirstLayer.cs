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
