using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenBias.CompilerServices;

// The int16 kernels. On FixedPointGrid a weight is a whole number of steps (2^-16) and a neuron's
// Σ|w| + |b| is below 2^24 steps, so every partial sum of its pre-activation is an int32 with no rounding; converted
// to float (exact below 2^24), scaled by the step (a power of two, exact) and added to the bias, it is the float sum
// every order gives, the canonical one included. Where every weight of the layer is within
// FixedPointGrid.MaxShortUnits steps (|w| below 0.5, BuildShortPairs), the weights fit int16
// and two inputs take one vpmaddwd lane: 32 multiply-adds per instruction, where a float multiply-add does 16.
// A zero sum is +0 here too: the int32 0 converts to +0, and +0 plus a bias of −0 is +0.
public static partial class WideFirstLayer
{
    /// <summary>
    /// The int16 pair table of a first layer (<see cref="ShapeRules.ShortPairTableInts"/> int32s) from its parameters in
    /// the canonical layout (<paramref name="layer"/>: neuron k's weights at <c>k · inputs</c>, then the
    /// <paramref name="width"/> biases): for inputs 2p and 2p + 1, neuron k's two weights in grid steps at
    /// <c>p · padded + k</c> (input 2p in the low int16, a missing last input 2p + 1 as 0), then the biases' float bits at
    /// <c>pairs · padded</c>; zero beyond <paramref name="width"/>. Returns whether every weight fits
    /// (<c>FixedPointGrid.FitsShortUnits</c>: on the grid and at most 32,767 steps); the table is complete only then.
    /// </summary>
    /// <remarks>
    /// The kernels that read it (<see cref="TileShortPreActivations"/>, <see cref="DotShortPreActivations"/>) need the
    /// whole layer on the grid as well (<see cref="FixedPointGrid.IsFirstLayerOnGrid"/>, which the caller checks): the
    /// table holds the weights, the grid bounds their sums.
    /// </remarks>
    public static bool BuildShortPairs(ReadOnlySpan<float> layer, int inputs, int width, int padded, Span<int> table)
    {
        int pairs = (inputs + 1) / 2;
        if (inputs < 1 || width < 1 || padded < width || layer.Length < ShapeRules.LayerParameterCount(inputs, width)
            || table.Length < (pairs + 1) * padded)
        {
            throw new ArgumentException("The layer or the int16 pair table is too short for the shape.", nameof(table));
        }

        // Every entry below the width is written; the padding lanes of each row (the biases' too) are zero.
        for (int p = 0; p <= pairs; p++)
        {
            table.Slice((p * padded) + width, padded - width).Clear();
        }

        int[]? rented = pairs > 512 ? System.Buffers.ArrayPool<int>.Shared.Rent(pairs) : null;
        Span<int> neuron = rented ?? stackalloc int[512];
        try
        {
            for (int k = 0; k < width; k++)
            {
                if (!NeuronPairs(layer.Slice(k * inputs, inputs), neuron))
                {
                    return false;
                }

                for (int p = 0; p < pairs; p++)
                {
                    table[(p * padded) + k] = neuron[p];
                }

                table[(pairs * padded) + k] = BitConverter.SingleToInt32Bits(layer[(inputs * width) + k]);
            }
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<int>.Shared.Return(rented);
            }
        }

        return true;
    }

    /// <summary>
    /// One neuron's weights as int16 pairs, <paramref name="pairs"/>[p] = (input 2p in the low half, 2p + 1 in the high
    /// half, a missing last input as 0); false as soon as a weight does not fit (<c>FixedPointGrid.FitsShortUnits</c>).
    /// </summary>
    private static bool NeuronPairs(ReadOnlySpan<float> weights, Span<int> pairs)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // 32 weights at a time: their steps narrowed to int16 in order are 16 pairs.
            for (; i + 32 <= weights.Length; i += 32)
            {
                if (!FixedPointGrid.FitsShortUnits(Vector512.Create(weights.Slice(i, 16)), out Vector512<int> low)
                    || !FixedPointGrid.FitsShortUnits(Vector512.Create(weights.Slice(i + 16, 16)), out Vector512<int> high))
                {
                    return false;
                }

                Vector512.Narrow(low, high).AsInt32().CopyTo(pairs.Slice(i / 2, 16));
            }
        }

        for (; i < weights.Length; i += 2)
        {
            float b = i + 1 < weights.Length ? weights[i + 1] : 0f;
            if (!FixedPointGrid.FitsShortUnits(weights[i]) || !FixedPointGrid.FitsShortUnits(b))
            {
                return false;
            }

            pairs[i / 2] = (ushort)FixedPointGrid.ToUnits(weights[i]) | (FixedPointGrid.ToUnits(b) << 16);
        }

        return true;
    }

    /// <summary>
    /// The pre-activations of 16 sbyte rows of <paramref name="inputs"/> (at least 64) validated ternary values, in the
    /// layout of <see cref="TilePreActivations"/> (row r's neuron k at <c>pre[r · padded + k]</c>, padding lanes +0),
    /// from the int16 pair table (<see cref="BuildShortPairs"/>) by int32 register tiles. Exact where the table was
    /// built complete and the layer is on <see cref="FixedPointGrid"/>: then the same bits as <see cref="TilePreActivations"/>.
    /// Requires Vector512 and AVX-512 BW.
    /// </summary>
    /// <remarks>
    /// Each row is converted to int16 once (<c>vpmovsxbw</c>), so that a pair of its inputs is one int32 to broadcast.
    /// Then, per block of 64 pairs (a 64-neuron slab of the table is 16 KB, kept in the first-level cache) and tile
    /// of four rows, 16 int32 sums stay in registers: each pair loads its slab row's four vectors once and adds their
    /// <c>vpmaddwd</c> with each row's broadcast pair — 16 <c>vpmaddwd</c> and 16 <c>vpaddd</c> per two inputs, where
    /// the float tiles take 32 multiply-adds. Pairs zero in all four rows of a tile are skipped (a compress of the
    /// tile's nonzero pairs, 16 at a time). Between blocks the int32 sums wait in <paramref name="pre"/>; after the
    /// last they are converted, scaled by the step and added to the biases. The last 16 to 48 neurons take tiles of
    /// eight rows by one vector.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the converted rows are written before they are read, the lists up to their counts
    public static void TileShortPreActivations(ref sbyte rows, int inputs, ref int table, int padded, int width, ref float pre)
    {
        if (!Vector512.IsHardwareAccelerated || !Avx512BW.IsSupported || inputs < 64 || inputs > ShapeRules.MaxInputs || width < 1
            || padded < (width + 15) / 16 * 16)
        {
            throw new ArgumentException("Int16 register tiles need Vector512 with AVX-512 BW, 64 to 1024 inputs and padded rows of whole vectors.", nameof(inputs));
        }

        const int Block = 64;
        int pairs = (inputs + 1) / 2, stride = (pairs + 15) & ~15;
        Span<int> converted = stackalloc int[16 * stride];
        ref int x = ref MemoryMarshal.GetReference(converted);
        ShortRows(ref rows, 16, inputs, ref x, stride);
        // The pairs of a block that are nonzero in some row of the tile (a compress stores 16 lanes: room past the end).
        Span<int> listBuffer = stackalloc int[Block + 16];
        ref int list = ref MemoryMarshal.GetReference(listBuffer);
        ref float biases = ref Unsafe.As<int, float>(ref Unsafe.Add(ref table, pairs * padded));
        ref int sums = ref Unsafe.As<float, int>(ref pre);
        int lanes = (width + 15) / 16 * 16;
        for (int start = 0; start < pairs; start += Block)
        {
            int end = Math.Min(stride, start + Block);
            bool first = start == 0, last = start + Block >= pairs;
            int k = 0;
            for (; k + 64 <= lanes; k += 64)
            {
                ref int slab = ref Unsafe.Add(ref table, k);
                for (int t = 0; t < 16; t += 4)
                {
                    int count = NonzeroPairs(ref x, stride, t, 4, start, end, ref list);
                    ShortTile4x64(ref slab, padded, ref Unsafe.Add(ref x, t * stride), stride, ref list, count,
                        ref Unsafe.Add(ref sums, (t * padded) + k), padded, first, last, ref Unsafe.Add(ref biases, k));
                }
            }

            for (; k < lanes; k += 16)
            {
                ref int slab = ref Unsafe.Add(ref table, k);
                for (int t = 0; t < 16; t += 8)
                {
                    int count = NonzeroPairs(ref x, stride, t, 8, start, end, ref list);
                    ShortTile8x16(ref slab, padded, ref Unsafe.Add(ref x, t * stride), stride, ref list, count,
                        ref Unsafe.Add(ref sums, (t * padded) + k), padded, first, last, ref Unsafe.Add(ref biases, k));
                }
            }
        }
    }

    /// <summary>
    /// The pre-activations of 16 sbyte rows of <paramref name="inputs"/> (at least 64) validated ternary values with the
    /// rows in the lanes of a Vector512, neuron k of row t at <c>pre[16 · k + t]</c> as <see cref="DotPreActivations"/>
    /// gives them, from the int16 pair table (<see cref="BuildShortPairs"/>). Exact where the table was built complete
    /// and the layer is on <see cref="FixedPointGrid"/>: then the same bits as <see cref="DotPreActivations"/>.
    /// Requires Vector512 and AVX-512 BW.
    /// </summary>
    /// <remarks>
    /// The rows are moved into lanes once, 64 inputs at a time (a 16 × 16 dword transpose, then each dword's four
    /// inputs spread into two int16 pairs, <see cref="TransposeRowPairs16"/>), so that lane t of vector p holds row t's
    /// inputs 2p and 2p + 1. Then for eight neurons at a time, each pair costs one load and eight <c>vpmaddwd</c> with
    /// the neuron's weight pair broadcast, and eight <c>vpaddd</c>: half the multiply instructions of the float dot products.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the transposed rows are written before they are read
    public static void DotShortPreActivations(ref sbyte rows, int inputs, ref int table, int padded, int width, ref float pre)
    {
        if (!Vector512.IsHardwareAccelerated || !Avx512BW.IsSupported || inputs < 64 || inputs > ShapeRules.MaxInputs || width < 1
            || padded < (width + 15) / 16 * 16)
        {
            throw new ArgumentException("Int16 dot products need Vector512 with AVX-512 BW, 64 to 1024 inputs and padded rows of whole vectors.", nameof(inputs));
        }

        int pairs = (inputs + 1) / 2;
        Span<Vector512<int>> transposed = stackalloc Vector512<int>[pairs];
        ref Vector512<int> lanes = ref MemoryMarshal.GetReference(transposed);
        TransposeRowPairs16(ref rows, inputs, ref lanes);

        ref float biases = ref Unsafe.As<int, float>(ref Unsafe.Add(ref table, pairs * padded));
        for (int g = 0; g < width; g += 8)
        {
            // Neurons g to g + 7 (zero weights past the last neuron, not stored).
            ref int w = ref Unsafe.Add(ref table, g);
            Vector512<int> s0 = Vector512<int>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            for (int p = 0; p < pairs; p++)
            {
                Vector512<short> v = Unsafe.Add(ref lanes, p).AsInt16();
                ref int wp = ref Unsafe.Add(ref w, p * padded);
                s0 += Avx512BW.MultiplyAddAdjacent(v, Vector512.Create(wp).AsInt16());
                s1 += Avx512BW.MultiplyAddAdjacent(v, Vector512.Create(Unsafe.Add(ref wp, 1)).AsInt16());
                s2 += Avx512BW.MultiplyAddAdjacent(v, Vector512.Create(Unsafe.Add(ref wp, 2)).AsInt16());
                s3 += Avx512BW.MultiplyAddAdjacent(v, Vector512.Create(Unsafe.Add(ref wp, 3)).AsInt16());
                s4 += Avx512BW.MultiplyAddAdjacent(v, Vector512.Create(Unsafe.Add(ref wp, 4)).AsInt16());
                s5 += Avx512BW.MultiplyAddAdjacent(v, Vector512.Create(Unsafe.Add(ref wp, 5)).AsInt16());
                s6 += Avx512BW.MultiplyAddAdjacent(v, Vector512.Create(Unsafe.Add(ref wp, 6)).AsInt16());
                s7 += Avx512BW.MultiplyAddAdjacent(v, Vector512.Create(Unsafe.Add(ref wp, 7)).AsInt16());
            }

            StoreShortNeuron(s0, g, width, ref biases, ref pre);
            StoreShortNeuron(s1, g + 1, width, ref biases, ref pre);
            StoreShortNeuron(s2, g + 2, width, ref biases, ref pre);
            StoreShortNeuron(s3, g + 3, width, ref biases, ref pre);
            StoreShortNeuron(s4, g + 4, width, ref biases, ref pre);
            StoreShortNeuron(s5, g + 5, width, ref biases, ref pre);
            StoreShortNeuron(s6, g + 6, width, ref biases, ref pre);
            StoreShortNeuron(s7, g + 7, width, ref biases, ref pre);
        }
    }

    /// <summary>
    /// The sums of 16 rows in the layout of <see cref="TilePreActivations"/> (row t's neuron k at
    /// <c>sums[t · padded + k]</c>) with the rows in lanes: neuron k of row t at <c>lanes[16 · k + t]</c>, for k below
    /// <paramref name="width"/>. A 16 × 16 transpose per 16 neurons (16 loads, 64 shuffles, 16 stores), where moving
    /// each neuron's 16 values into a vector one by one takes 16 loads and 15 inserts. Requires Vector512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransposeSums16(ref float sums, int padded, int width, ref float lanes)
    {
        if (!Vector512.IsHardwareAccelerated || width < 1 || padded < (width + 15) / 16 * 16)
        {
            throw new ArgumentException("The transpose needs Vector512 and padded rows of whole vectors.", nameof(padded));
        }

        nuint stride = (nuint)padded;
        ref Vector512<float> target = ref Unsafe.As<float, Vector512<float>>(ref lanes);
        for (int k = 0; k < width; k += 16)
        {
            ref float block = ref Unsafe.Add(ref sums, k);
            // B[4i + m] holds, in 128-bit lane L, neuron k + 4L + m of rows 4i to 4i + 3.
            Quad(Sums(ref block, 0, stride), Sums(ref block, 1, stride), Sums(ref block, 2, stride), Sums(ref block, 3, stride),
                out Vector512<float> b0, out Vector512<float> b1, out Vector512<float> b2, out Vector512<float> b3);
            Quad(Sums(ref block, 4, stride), Sums(ref block, 5, stride), Sums(ref block, 6, stride), Sums(ref block, 7, stride),
                out Vector512<float> b4, out Vector512<float> b5, out Vector512<float> b6, out Vector512<float> b7);
            Quad(Sums(ref block, 8, stride), Sums(ref block, 9, stride), Sums(ref block, 10, stride), Sums(ref block, 11, stride),
                out Vector512<float> b8, out Vector512<float> b9, out Vector512<float> b10, out Vector512<float> b11);
            Quad(Sums(ref block, 12, stride), Sums(ref block, 13, stride), Sums(ref block, 14, stride), Sums(ref block, 15, stride),
                out Vector512<float> b12, out Vector512<float> b13, out Vector512<float> b14, out Vector512<float> b15);
            int count = width - k;
            Neurons(b0, b4, b8, b12, 0, count, ref Unsafe.Add(ref target, k));
            Neurons(b1, b5, b9, b13, 1, count, ref Unsafe.Add(ref target, k));
            Neurons(b2, b6, b10, b14, 2, count, ref Unsafe.Add(ref target, k));
            Neurons(b3, b7, b11, b15, 3, count, ref Unsafe.Add(ref target, k));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sums(ref float block, int t, nuint stride) => Vector512.LoadUnsafe(ref block, (nuint)t * stride);

    /// <summary>Neurons 4L + m (L = 0 to 3) of a block of 16, the 16 rows in lanes, at <c>x[4L + m]</c> where below <paramref name="count"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Neurons(Vector512<float> q0, Vector512<float> q1, Vector512<float> q2, Vector512<float> q3, int m, int count, ref Vector512<float> x)
    {
        Vector512<float> low01 = Avx512F.Shuffle4x128(q0, q1, 0x44), high01 = Avx512F.Shuffle4x128(q0, q1, 0xEE);
        Vector512<float> low23 = Avx512F.Shuffle4x128(q2, q3, 0x44), high23 = Avx512F.Shuffle4x128(q2, q3, 0xEE);
        if (m < count)
        {
            Unsafe.Add(ref x, m) = Avx512F.Shuffle4x128(low01, low23, 0x88);
        }

        if (4 + m < count)
        {
            Unsafe.Add(ref x, 4 + m) = Avx512F.Shuffle4x128(low01, low23, 0xDD);
        }

        if (8 + m < count)
        {
            Unsafe.Add(ref x, 8 + m) = Avx512F.Shuffle4x128(high01, high23, 0x88);
        }

        if (12 + m < count)
        {
            Unsafe.Add(ref x, 12 + m) = Avx512F.Shuffle4x128(high01, high23, 0xDD);
        }
    }

    /// <summary>A sum in grid steps as the float pre-activation: converted (exact below 2^24), scaled by the step (exact), plus the bias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FromUnits(Vector512<int> units, Vector512<float> bias) =>
        (Vector512.ConvertToSingle(units) * Vector512.Create(FixedPointGrid.Step)) + bias;

    /// <summary>Neuron k's int32 sums of the 16 rows as pre-activations at <c>pre[16 · k]</c>, if k is a neuron of the layer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreShortNeuron(Vector512<int> sums, int k, int width, ref float biases, ref float pre)
    {
        if (k < width)
        {
            FromUnits(sums, Vector512.Create(Unsafe.Add(ref biases, k))).StoreUnsafe(ref pre, (nuint)(k * 16));
        }
    }

    /// <summary>
    /// <paramref name="rowCount"/> rows of <paramref name="inputs"/> (at least 33) sbytes as int16s: row t's inputs 2p and
    /// 2p + 1 as the int32 <c>x[t · stride + p]</c> (input 2p in the low half), zero from the row's end to
    /// <paramref name="stride"/> (a multiple of 16 of at least ⌈inputs / 2⌉).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShortRows(ref sbyte rows, int rowCount, int inputs, ref int x, int stride)
    {
        // The last 32 inputs are read from an even start, so that a pair stays in one int32; with an odd count the
        // last input is then written on its own.
        int lastStart = (inputs - 32) & ~1;
        for (int t = 0; t < rowCount; t++)
        {
            ref sbyte row = ref Unsafe.Add(ref rows, t * inputs);
            ref int target = ref Unsafe.Add(ref x, t * stride);
            Vector512<int>.Zero.StoreUnsafe(ref target, (nuint)(stride - 16));
            ref short values = ref Unsafe.As<int, short>(ref target);
            for (int c = 0; c < inputs; c += 32)
            {
                int at = Math.Min(c, lastStart);
                Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref row, (nuint)at)).StoreUnsafe(ref values, (nuint)at);
            }

            if ((inputs & 1) != 0)
            {
                Unsafe.Add(ref values, inputs - 1) = Unsafe.Add(ref row, inputs - 1);
            }
        }
    }

    /// <summary>
    /// Lists the pairs from <paramref name="start"/> to <paramref name="end"/> (multiples of 16, at most 64 apart) that
    /// are nonzero in at least one of rows <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/>
    /// − 1 of the converted rows; returns their number.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NonzeroPairs(ref int x, int stride, int first, int count, int start, int end, ref int list)
    {
        Vector512<int> lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        int n = 0;
        for (int j = start; j < end; j += 16)
        {
            ref int chunk = ref Unsafe.Add(ref x, (first * stride) + j);
            Vector512<int> any = Vector512.LoadUnsafe(ref chunk);
            for (int t = 1; t < count; t++)
            {
                any |= Vector512.LoadUnsafe(ref chunk, (nuint)(t * stride));
            }

            Vector512<int> take = ~Vector512.Equals(any, Vector512<int>.Zero);
            Avx512F.Compress(Vector512<int>.Zero, take, lane + Vector512.Create(j)).StoreUnsafe(ref list, (nuint)n);
            n += BitOperations.PopCount(take.ExtractMostSignificantBits());
        }

        return n;
    }

    /// <summary>Four rows by 64 neurons: 16 int32 sums in registers over the listed pairs, then stored (as floats with the bias after the last block).</summary>
    /// <remarks>
    /// Compiled on its own with full optimization from the first call: the JIT does not inline it into
    /// <see cref="TileShortPreActivations"/> (its budget is spent there), and a call per tile and block costs nothing
    /// beside the loop, where unoptimized first-tier code would.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShortTile4x64(ref int slab, int padded, ref int x, int stride, ref int list, int count, ref int sums, int rowStride,
        bool first, bool last, ref float biases)
    {
        ref int p1 = ref Unsafe.Add(ref sums, rowStride), p2 = ref Unsafe.Add(ref sums, 2 * rowStride), p3 = ref Unsafe.Add(ref sums, 3 * rowStride);
        Vector512<int> a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3;
        if (first)
        {
            a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = c0 = c1 = c2 = c3 = d0 = d1 = d2 = d3 = Vector512<int>.Zero;
        }
        else
        {
            a0 = Vector512.LoadUnsafe(ref sums); a1 = Vector512.LoadUnsafe(ref sums, 16); a2 = Vector512.LoadUnsafe(ref sums, 32); a3 = Vector512.LoadUnsafe(ref sums, 48);
            b0 = Vector512.LoadUnsafe(ref p1); b1 = Vector512.LoadUnsafe(ref p1, 16); b2 = Vector512.LoadUnsafe(ref p1, 32); b3 = Vector512.LoadUnsafe(ref p1, 48);
            c0 = Vector512.LoadUnsafe(ref p2); c1 = Vector512.LoadUnsafe(ref p2, 16); c2 = Vector512.LoadUnsafe(ref p2, 32); c3 = Vector512.LoadUnsafe(ref p2, 48);
            d0 = Vector512.LoadUnsafe(ref p3); d1 = Vector512.LoadUnsafe(ref p3, 16); d2 = Vector512.LoadUnsafe(ref p3, 32); d3 = Vector512.LoadUnsafe(ref p3, 48);
        }

        // The four rows' pairs from four bases, so that each broadcast is one load at base + 4p.
        ref int x1 = ref Unsafe.Add(ref x, stride), x2 = ref Unsafe.Add(ref x, 2 * stride), x3 = ref Unsafe.Add(ref x, 3 * stride);
        for (int e = 0; e < count; e++)
        {
            nint p = Unsafe.Add(ref list, e);
            ref int row = ref Unsafe.Add(ref slab, p * padded);
            Vector512<short> w0 = Vector512.LoadUnsafe(ref row).AsInt16(), w1 = Vector512.LoadUnsafe(ref row, 16).AsInt16();
            Vector512<short> w2 = Vector512.LoadUnsafe(ref row, 32).AsInt16(), w3 = Vector512.LoadUnsafe(ref row, 48).AsInt16();
            Vector512<short> v = Vector512.Create(Unsafe.Add(ref x, p)).AsInt16();
            a0 += Avx512BW.MultiplyAddAdjacent(w0, v); a1 += Avx512BW.MultiplyAddAdjacent(w1, v);
            a2 += Avx512BW.MultiplyAddAdjacent(w2, v); a3 += Avx512BW.MultiplyAddAdjacent(w3, v);
            v = Vector512.Create(Unsafe.Add(ref x1, p)).AsInt16();
            b0 += Avx512BW.MultiplyAddAdjacent(w0, v); b1 += Avx512BW.MultiplyAddAdjacent(w1, v);
            b2 += Avx512BW.MultiplyAddAdjacent(w2, v); b3 += Avx512BW.MultiplyAddAdjacent(w3, v);
            v = Vector512.Create(Unsafe.Add(ref x2, p)).AsInt16();
            c0 += Avx512BW.MultiplyAddAdjacent(w0, v); c1 += Avx512BW.MultiplyAddAdjacent(w1, v);
            c2 += Avx512BW.MultiplyAddAdjacent(w2, v); c3 += Avx512BW.MultiplyAddAdjacent(w3, v);
            v = Vector512.Create(Unsafe.Add(ref x3, p)).AsInt16();
            d0 += Avx512BW.MultiplyAddAdjacent(w0, v); d1 += Avx512BW.MultiplyAddAdjacent(w1, v);
            d2 += Avx512BW.MultiplyAddAdjacent(w2, v); d3 += Avx512BW.MultiplyAddAdjacent(w3, v);
        }

        if (!last)
        {
            a0.StoreUnsafe(ref sums); a1.StoreUnsafe(ref sums, 16); a2.StoreUnsafe(ref sums, 32); a3.StoreUnsafe(ref sums, 48);
            b0.StoreUnsafe(ref p1); b1.StoreUnsafe(ref p1, 16); b2.StoreUnsafe(ref p1, 32); b3.StoreUnsafe(ref p1, 48);
            c0.StoreUnsafe(ref p2); c1.StoreUnsafe(ref p2, 16); c2.StoreUnsafe(ref p2, 32); c3.StoreUnsafe(ref p2, 48);
            d0.StoreUnsafe(ref p3); d1.StoreUnsafe(ref p3, 16); d2.StoreUnsafe(ref p3, 32); d3.StoreUnsafe(ref p3, 48);
            return;
        }

        Vector512<float> e0 = Vector512.LoadUnsafe(ref biases), e1 = Vector512.LoadUnsafe(ref biases, 16);
        Vector512<float> e2 = Vector512.LoadUnsafe(ref biases, 32), e3 = Vector512.LoadUnsafe(ref biases, 48);
        ref float q0 = ref Unsafe.As<int, float>(ref sums), q1 = ref Unsafe.As<int, float>(ref p1);
        ref float q2 = ref Unsafe.As<int, float>(ref p2), q3 = ref Unsafe.As<int, float>(ref p3);
        FromUnits(a0, e0).StoreUnsafe(ref q0); FromUnits(a1, e1).StoreUnsafe(ref q0, 16); FromUnits(a2, e2).StoreUnsafe(ref q0, 32); FromUnits(a3, e3).StoreUnsafe(ref q0, 48);
        FromUnits(b0, e0).StoreUnsafe(ref q1); FromUnits(b1, e1).StoreUnsafe(ref q1, 16); FromUnits(b2, e2).StoreUnsafe(ref q1, 32); FromUnits(b3, e3).StoreUnsafe(ref q1, 48);
        FromUnits(c0, e0).StoreUnsafe(ref q2); FromUnits(c1, e1).StoreUnsafe(ref q2, 16); FromUnits(c2, e2).StoreUnsafe(ref q2, 32); FromUnits(c3, e3).StoreUnsafe(ref q2, 48);
        FromUnits(d0, e0).StoreUnsafe(ref q3); FromUnits(d1, e1).StoreUnsafe(ref q3, 16); FromUnits(d2, e2).StoreUnsafe(ref q3, 32); FromUnits(d3, e3).StoreUnsafe(ref q3, 48);
    }

    /// <summary>Eight rows by 16 neurons: eight int32 sums in registers over the listed pairs, then stored (as floats with the bias after the last block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // as ShortTile4x64
    private static void ShortTile8x16(ref int slab, int padded, ref int x, int stride, ref int list, int count, ref int sums, int rowStride,
        bool first, bool last, ref float biases)
    {
        nuint r = (nuint)rowStride;
        Vector512<int> s0, s1, s2, s3, s4, s5, s6, s7;
        if (first)
        {
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = Vector512<int>.Zero;
        }
        else
        {
            s0 = Vector512.LoadUnsafe(ref sums); s1 = Vector512.LoadUnsafe(ref sums, r);
            s2 = Vector512.LoadUnsafe(ref sums, 2 * r); s3 = Vector512.LoadUnsafe(ref sums, 3 * r);
            s4 = Vector512.LoadUnsafe(ref sums, 4 * r); s5 = Vector512.LoadUnsafe(ref sums, 5 * r);
            s6 = Vector512.LoadUnsafe(ref sums, 6 * r); s7 = Vector512.LoadUnsafe(ref sums, 7 * r);
        }

        for (int e = 0; e < count; e++)
        {
            int p = Unsafe.Add(ref list, e);
            Vector512<short> w = Vector512.LoadUnsafe(ref slab, (nuint)(p * padded)).AsInt16();
            ref int xp = ref Unsafe.Add(ref x, p);
            s0 += Avx512BW.MultiplyAddAdjacent(w, Vector512.Create(xp).AsInt16());
            s1 += Avx512BW.MultiplyAddAdjacent(w, Vector512.Create(Unsafe.Add(ref xp, stride)).AsInt16());
            s2 += Avx512BW.MultiplyAddAdjacent(w, Vector512.Create(Unsafe.Add(ref xp, 2 * stride)).AsInt16());
            s3 += Avx512BW.MultiplyAddAdjacent(w, Vector512.Create(Unsafe.Add(ref xp, 3 * stride)).AsInt16());
            s4 += Avx512BW.MultiplyAddAdjacent(w, Vector512.Create(Unsafe.Add(ref xp, 4 * stride)).AsInt16());
            s5 += Avx512BW.MultiplyAddAdjacent(w, Vector512.Create(Unsafe.Add(ref xp, 5 * stride)).AsInt16());
            s6 += Avx512BW.MultiplyAddAdjacent(w, Vector512.Create(Unsafe.Add(ref xp, 6 * stride)).AsInt16());
            s7 += Avx512BW.MultiplyAddAdjacent(w, Vector512.Create(Unsafe.Add(ref xp, 7 * stride)).AsInt16());
        }

        if (!last)
        {
            s0.StoreUnsafe(ref sums); s1.StoreUnsafe(ref sums, r);
            s2.StoreUnsafe(ref sums, 2 * r); s3.StoreUnsafe(ref sums, 3 * r);
            s4.StoreUnsafe(ref sums, 4 * r); s5.StoreUnsafe(ref sums, 5 * r);
            s6.StoreUnsafe(ref sums, 6 * r); s7.StoreUnsafe(ref sums, 7 * r);
            return;
        }

        Vector512<float> bias = Vector512.LoadUnsafe(ref biases);
        ref float q = ref Unsafe.As<int, float>(ref sums);
        FromUnits(s0, bias).StoreUnsafe(ref q); FromUnits(s1, bias).StoreUnsafe(ref q, r);
        FromUnits(s2, bias).StoreUnsafe(ref q, 2 * r); FromUnits(s3, bias).StoreUnsafe(ref q, 3 * r);
        FromUnits(s4, bias).StoreUnsafe(ref q, 4 * r); FromUnits(s5, bias).StoreUnsafe(ref q, 5 * r);
        FromUnits(s6, bias).StoreUnsafe(ref q, 6 * r); FromUnits(s7, bias).StoreUnsafe(ref q, 7 * r);
    }

    /// <summary>
    /// Inputs 2p and 2p + 1 of 16 rows of <paramref name="inputs"/> (at least 64) ternary sbytes as int16s, row t in
    /// int32 lane t of <c>lanes[p]</c> (input 2p in the low half, a missing last input as 0).
    /// </summary>
    /// <remarks>
    /// As <see cref="DotPreActivations"/> does for floats: per 64 inputs a 16 × 16 transpose of dwords (four inputs of
    /// a row each), then each dword's bytes spread into two pairs of int16s by a byte shuffle (byte b to the high half
    /// of its int16) and an arithmetic shift by 8 (the sign extension). The last 64 inputs are read from an even start
    /// at or below <c>inputs − 64</c>, so a pair stays in one dword and nothing past a row is read; with an odd count the
    /// last input is then set on its own. Dwords wholly among the inputs of the chunk before are not spread again.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeRowPairs16(ref sbyte rows, int inputs, ref Vector512<int> lanes)
    {
        // Per dword j of a 128-bit lane: bytes 4j and 4j + 1 into the high bytes of two int16s (−128: a zero byte), then 4j + 2 and 4j + 3.
        Vector128<sbyte> lane0 = Vector128.Create(-128, 0, -128, 1, -128, 4, -128, 5, -128, 8, -128, 9, -128, 12, -128, 13);
        Vector128<sbyte> lane2 = Vector128.Create(-128, 2, -128, 3, -128, 6, -128, 7, -128, 10, -128, 11, -128, 14, -128, 15);
        Vector512<sbyte> low = Vector512.Create(Vector256.Create(lane0, lane0), Vector256.Create(lane0, lane0));
        Vector512<sbyte> high = Vector512.Create(Vector256.Create(lane2, lane2), Vector256.Create(lane2, lane2));
        nuint stride = (nuint)inputs;
        int lastStart = (inputs - 64) & ~1;
        for (int c = 0; c < inputs; c += 64)
        {
            int at = Math.Min(c, lastStart);
            ref sbyte b = ref Unsafe.Add(ref rows, at);
            Quad(Row(ref b, 0, stride), Row(ref b, 1, stride), Row(ref b, 2, stride), Row(ref b, 3, stride),
                out Vector512<float> b0, out Vector512<float> b1, out Vector512<float> b2, out Vector512<float> b3);
            Quad(Row(ref b, 4, stride), Row(ref b, 5, stride), Row(ref b, 6, stride), Row(ref b, 7, stride),
                out Vector512<float> b4, out Vector512<float> b5, out Vector512<float> b6, out Vector512<float> b7);
            Quad(Row(ref b, 8, stride), Row(ref b, 9, stride), Row(ref b, 10, stride), Row(ref b, 11, stride),
                out Vector512<float> b8, out Vector512<float> b9, out Vector512<float> b10, out Vector512<float> b11);
            Quad(Row(ref b, 12, stride), Row(ref b, 13, stride), Row(ref b, 14, stride), Row(ref b, 15, stride),
                out Vector512<float> b12, out Vector512<float> b13, out Vector512<float> b14, out Vector512<float> b15);
            ref Vector512<int> target = ref Unsafe.Add(ref lanes, at / 2);
            int fresh = c - at;
            PairDwords(b0, b4, b8, b12, 0, fresh, ref target, low, high);
            PairDwords(b1, b5, b9, b13, 1, fresh, ref target, low, high);
            PairDwords(b2, b6, b10, b14, 2, fresh, ref target, low, high);
            PairDwords(b3, b7, b11, b15, 3, fresh, ref target, low, high);
        }

        if ((inputs & 1) != 0)
        {
            ref sbyte last = ref Unsafe.Add(ref rows, inputs - 1);
            int n = inputs;
            Unsafe.Add(ref lanes, inputs / 2) = Vector512.Create(
                (int)last, Unsafe.Add(ref last, n), Unsafe.Add(ref last, 2 * n), Unsafe.Add(ref last, 3 * n),
                Unsafe.Add(ref last, 4 * n), Unsafe.Add(ref last, 5 * n), Unsafe.Add(ref last, 6 * n), Unsafe.Add(ref last, 7 * n),
                Unsafe.Add(ref last, 8 * n), Unsafe.Add(ref last, 9 * n), Unsafe.Add(ref last, 10 * n), Unsafe.Add(ref last, 11 * n),
                Unsafe.Add(ref last, 12 * n), Unsafe.Add(ref last, 13 * n), Unsafe.Add(ref last, 14 * n), Unsafe.Add(ref last, 15 * n))
                & Vector512.Create(0xFFFF);
        }
    }

    /// <summary>
    /// Dwords 4L + m (L = 0 to 3) of the 16 rows from the four quads' lanes, each spread into its two pairs at
    /// <c>x[2(4L + m)]</c> and <c>x[2(4L + m) + 1]</c>; dwords whose inputs all lie below <paramref name="fresh"/> are left as they are.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairDwords(Vector512<float> q0, Vector512<float> q1, Vector512<float> q2, Vector512<float> q3, int m, int fresh,
        ref Vector512<int> x, Vector512<sbyte> low, Vector512<sbyte> high)
    {
        Vector512<float> low01 = Avx512F.Shuffle4x128(q0, q1, 0x44), high01 = Avx512F.Shuffle4x128(q0, q1, 0xEE);
        Vector512<float> low23 = Avx512F.Shuffle4x128(q2, q3, 0x44), high23 = Avx512F.Shuffle4x128(q2, q3, 0xEE);
        if ((4 * m) + 3 >= fresh)
        {
            Spread(Avx512F.Shuffle4x128(low01, low23, 0x88), ref Unsafe.Add(ref x, 2 * m), low, high);
        }

        if ((4 * (4 + m)) + 3 >= fresh)
        {
            Spread(Avx512F.Shuffle4x128(low01, low23, 0xDD), ref Unsafe.Add(ref x, 2 * (4 + m)), low, high);
        }

        if ((4 * (8 + m)) + 3 >= fresh)
        {
            Spread(Avx512F.Shuffle4x128(high01, high23, 0x88), ref Unsafe.Add(ref x, 2 * (8 + m)), low, high);
        }

        Spread(Avx512F.Shuffle4x128(high01, high23, 0xDD), ref Unsafe.Add(ref x, 2 * (12 + m)), low, high);
    }

    /// <summary>A dword's four ternary bytes per lane as two pairs of int16s: bytes 0 and 1 at <c>x[0]</c>, bytes 2 and 3 at <c>x[1]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Spread(Vector512<float> dwords, ref Vector512<int> x, Vector512<sbyte> low, Vector512<sbyte> high)
    {
        Vector512<sbyte> bytes = dwords.AsSByte();
        x = Avx512BW.ShiftRightArithmetic(Avx512BW.Shuffle(bytes, low).AsInt16(), 8).AsInt32();
        Unsafe.Add(ref x, 1) = Avx512BW.ShiftRightArithmetic(Avx512BW.Shuffle(bytes, high).AsInt16(), 8).AsInt32();
    }
}
