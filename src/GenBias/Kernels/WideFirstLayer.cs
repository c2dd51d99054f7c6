using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// The first layer of a network wider than the table limit, without multiplies: a pre-activation is the sum of the
/// weight columns of the +1 inputs, minus the sum of the columns of the −1 inputs, plus the bias. The inputs are
/// packed as two masks per 64 inputs (<see cref="PackRows"/>), and only the set bits are visited, so a zero input
/// costs nothing. Generated batches call it for first layers of 8 or more neurons above 64 inputs.
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PreActivations(ref ulong masks, int rowCount, int inputs, ref float columns, int padded, int width, ref float pre)
    {
        int words = (inputs + 63) >> 6, vectors = (width + 7) / 8;
        ref float biases = ref Unsafe.Add(ref columns, inputs * padded);
        for (int r = 0; r < rowCount; r++)
        {
            ref ulong row = ref Unsafe.Add(ref masks, r * 2 * words);
            ref float target = ref Unsafe.Add(ref pre, r * padded);
            int v = 0;
            for (; v + 4 <= vectors; v += 4)
            {
                Four(ref row, words, ref Unsafe.Add(ref columns, v * 8), padded, ref Unsafe.Add(ref biases, v * 8), ref Unsafe.Add(ref target, v * 8));
            }

            for (; v < vectors; v++)
            {
                One(ref row, words, ref Unsafe.Add(ref columns, v * 8), padded, ref Unsafe.Add(ref biases, v * 8), ref Unsafe.Add(ref target, v * 8));
            }

            for (int k = vectors * 8; k < padded; k++)
            {
                Unsafe.Add(ref target, k) = 0f;
            }
        }
    }

    /// <summary>32 neurons of one row: the +1 columns and the −1 columns into separate sums (eight independent chains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Four(ref ulong row, int words, ref float columns, int padded, ref float biases, ref float target)
    {
        Vector256<float> p0 = Vector256<float>.Zero, p1 = p0, p2 = p0, p3 = p0, n0 = p0, n1 = p0, n2 = p0, n3 = p0;
        for (int c = 0; c < words; c++)
        {
            ulong positive = Unsafe.Add(ref row, 2 * c), negative = Unsafe.Add(ref row, (2 * c) + 1);
            ref float block = ref Unsafe.Add(ref columns, 64 * c * padded);
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
        }

        ((p0 - n0) + Vector256.LoadUnsafe(ref biases)).StoreUnsafe(ref target);
        ((p1 - n1) + Vector256.LoadUnsafe(ref biases, 8)).StoreUnsafe(ref target, 8);
        ((p2 - n2) + Vector256.LoadUnsafe(ref biases, 16)).StoreUnsafe(ref target, 16);
        ((p3 - n3) + Vector256.LoadUnsafe(ref biases, 24)).StoreUnsafe(ref target, 24);
    }

    /// <summary>8 neurons of one row: two chains for each sign (alternate set bits), so the adds overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void One(ref ulong row, int words, ref float columns, int padded, ref float biases, ref float target)
    {
        Vector256<float> p0 = Vector256<float>.Zero, p1 = p0, n0 = p0, n1 = p0;
        for (int c = 0; c < words; c++)
        {
            ulong positive = Unsafe.Add(ref row, 2 * c), negative = Unsafe.Add(ref row, (2 * c) + 1);
            ref float block = ref Unsafe.Add(ref columns, 64 * c * padded);
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
        }

        (((p0 + p1) - (n0 + n1)) + Vector256.LoadUnsafe(ref biases)).StoreUnsafe(ref target);
    }
}
