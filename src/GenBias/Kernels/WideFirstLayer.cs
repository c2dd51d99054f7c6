using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

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
    /// The pre-activations of 16 sbyte rows of <paramref name="inputs"/> (at least 16) validated ternary values, by dot
    /// products with the inputs in the lanes of a Vector512, written with the rows in lanes: neuron k of row t at
    /// <c>pre[16 · k + t]</c>. The weights are in the canonical layout (neuron k's row at <c>k · inputs</c>), the biases
    /// at <paramref name="biases"/>. For narrow first layers (<see cref="ShapeRules.DotsFirstLayer"/>), where columns
    /// cost more per set bit than a multiply-add per input. Requires Vector512 acceleration.
    /// </summary>
    /// <remarks>
    /// Exact only on <see cref="FixedPointGrid"/>, like <see cref="PreActivations"/>: the products are summed in lanes,
    /// then across them, then the bias is added, and every step is exact there, so the bits are the canonical sum's (a
    /// zero sum is +0). The rows are converted to floats once, chunk by chunk (the last chunk is the row's last 16
    /// inputs with those already summed zeroed, so nothing past a row or a weight row is read); then per neuron each
    /// chunk of 16 weights is loaded once for the 16 rows, whose 16 independent sums keep both multiply-add pipes busy,
    /// and one transposing reduction puts the 16 rows' sums in the lanes of one vector.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // every float of the row buffer is written before it is read
    public static void DotPreActivations(ref sbyte rows, int inputs, ref float weights, ref float biases, int width, ref float pre)
    {
        if (!Vector512.IsHardwareAccelerated || inputs < 16 || inputs > ShapeRules.MaxInputs)
        {
            throw new ArgumentException("Dot products need Vector512 and 16 to 1024 inputs.", nameof(inputs));
        }

        const int Rows = 16;
        int chunks = (inputs + 15) >> 4, last = inputs - 16;
        Vector512<float> lane = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        // The rows as floats, chunk-major: chunk c of row t at (16c + t) · 16. Lane l of the last chunk is input
        // inputs − 16 + l, kept when l ≥ 16c − (inputs − 16).
        Span<float> x = stackalloc float[Rows * 16 * chunks];
        ref float x0 = ref MemoryMarshal.GetReference(x);
        for (int c = 0; c < chunks; c++)
        {
            int at = Math.Min(c * 16, last);
            Vector512<float> keep = Vector512.GreaterThanOrEqual(lane, Vector512.Create((float)((c * 16) - at)));
            for (int t = 0; t < Rows; t++)
            {
                (Floats(ref Unsafe.Add(ref rows, t * inputs), at) & keep).StoreUnsafe(ref x0, (nuint)(((c * Rows) + t) * 16));
            }
        }

        for (int k = 0; k < width; k++)
        {
            ref float row = ref Unsafe.Add(ref weights, k * inputs);
            Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            Vector512<float> s8 = s0, s9 = s0, s10 = s0, s11 = s0, s12 = s0, s13 = s0, s14 = s0, s15 = s0;
            for (int c = 0; c < chunks; c++)
            {
                Vector512<float> w = Vector512.LoadUnsafe(ref row, (nuint)Math.Min(c * 16, last));
                ref float xc = ref Unsafe.Add(ref x0, c * Rows * 16);
                s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc), w, s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 16), w, s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 32), w, s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 48), w, s3);
                s4 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 64), w, s4);
                s5 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 80), w, s5);
                s6 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 96), w, s6);
                s7 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 112), w, s7);
                s8 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 128), w, s8);
                s9 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 144), w, s9);
                s10 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 160), w, s10);
                s11 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 176), w, s11);
                s12 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 192), w, s12);
                s13 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 208), w, s13);
                s14 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 224), w, s14);
                s15 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xc, 240), w, s15);
            }

            // Lane t: the sum of s_t's lanes (exact on the grid in any order), then the bias.
            (SumsInLanes(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) + Vector512.Create(Unsafe.Add(ref biases, k)))
                .StoreUnsafe(ref pre, (nuint)(k * Rows));
        }
    }

    /// <summary>Lane t of the result is the sum of the lanes of <c>s_t</c>: halves, quarters, pairs, then one permute.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> SumsInLanes(
        Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3,
        Vector512<float> s4, Vector512<float> s5, Vector512<float> s6, Vector512<float> s7,
        Vector512<float> s8, Vector512<float> s9, Vector512<float> s10, Vector512<float> s11,
        Vector512<float> s12, Vector512<float> s13, Vector512<float> s14, Vector512<float> s15)
    {
        // Halves: quarters 0-1 of (t, t + 1) hold row t's and row t + 1's eight sums.
        Vector512<float> h01 = Halves(s0, s1), h23 = Halves(s2, s3), h45 = Halves(s4, s5), h67 = Halves(s6, s7);
        Vector512<float> h89 = Halves(s8, s9), h1011 = Halves(s10, s11), h1213 = Halves(s12, s13), h1415 = Halves(s14, s15);
        // Quarters: quarter i holds row (4g + i)'s four sums.
        Vector512<float> q0 = Quarters(h01, h23), q1 = Quarters(h45, h67), q2 = Quarters(h89, h1011), q3 = Quarters(h1213, h1415);
        // Pairs within 128-bit lanes: quarter i holds rows (i, i + 4)'s two sums, then rows (i + 8, i + 12)'s.
        Vector512<float> p0 = Avx512F.Shuffle(q0, q1, 0x44) + Avx512F.Shuffle(q0, q1, 0xEE);
        Vector512<float> p1 = Avx512F.Shuffle(q2, q3, 0x44) + Avx512F.Shuffle(q2, q3, 0xEE);
        // Element 4i + j is row i + 4j's sum; one permute puts row t in lane t.
        Vector512<float> sums = Avx512F.Shuffle(p0, p1, 0x88) + Avx512F.Shuffle(p0, p1, 0xDD);
        return Avx512F.PermuteVar16x32(sums, Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    }

    /// <summary>Quarters 0-1 of the result: the halves of <paramref name="a"/> added; quarters 2-3: those of <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Shuffle4x128(a, b, 0x44) + Avx512F.Shuffle4x128(a, b, 0xEE);

    /// <summary>Quarters 0, 1: the two quarters of a's halves added; quarters 2, 3: b's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quarters(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Shuffle4x128(a, b, 0x88) + Avx512F.Shuffle4x128(a, b, 0xDD);

    /// <summary>16 ternary sbytes as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Floats(ref sbyte row, int at) =>
        Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref row, (nuint)at)));

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
