using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace GenBias.CompilerServices;

/// <summary>
/// The first layer of a network wider than the table limit, on the fixed-point grid, where any order of its sum gives
/// the canonical bits. Generated code calls it for first layers above 64 inputs: batches of 32 or more neurons
/// (<see cref="ShapeRules.AddsFirstLayerColumns"/>) by register tiles of rows × neurons (<see cref="TilePreActivations"/>,
/// Vector512) or by adding the weight columns of each row's +1 inputs and subtracting those of its −1 inputs from
/// packed masks (<see cref="PackRows"/>, <see cref="PreActivations"/>, Vector256); batches of 8 to 31 neurons
/// (<see cref="ShapeRules.DotsFirstLayer"/>) with the rows in lanes (<see cref="DotPreActivations"/>); one row
/// (<c>Forward</c>) by the columns of its nonzero inputs, pairs or triples of inputs (<see cref="RowPreActivations"/>,
/// <see cref="RowPairPreActivations"/>, <see cref="RowTriplePreActivations"/>).
/// </summary>
/// <remarks>
/// This is the canonical sum's value only on <see cref="FixedPointGrid"/>: there every partial sum of any order is an
/// exact multiple of 2^-16 below 256, so the order does not change the bits. Callers check
/// <see cref="FixedPointGrid.IsFirstLayerOnGrid"/> and take the canonical path otherwise. A zero sum comes out as +0,
/// as the canonical order gives it for more than one group of inputs (both sums start at +0 and the bias is added
/// last, so a bias of −0 with no input set still gives +0).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class WideFirstLayer
{
    /// <summary>Mask words per row for <paramref name="inputs"/> inputs: a positive and a negative mask per 64 inputs.</summary>
    public static int WordsPerRow(int inputs) => ShapeRules.PackedWordsPerRow(inputs);

    /// <summary>
    /// Packs <paramref name="rowCount"/> rows of <paramref name="inputs"/> validated ternary values into masks,
    /// <see cref="WordsPerRow"/> per row: for inputs 64c to 64c + 63, the positive mask then the negative mask.
    /// </summary>
    public static void PackRows(ref sbyte rows, int rowCount, int inputs, ref ulong masks)
    {
        int words = ShapeRules.PackedWordsPerRow(inputs) / 2;
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
        int words = ShapeRules.PackedWordsPerRow(inputs) / 2, lanes = (width + 7) / 8 * 8, size = rowCount * padded;
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
    /// The pre-activations of 16 sbyte rows of <paramref name="inputs"/> (at least 64) validated ternary values, in the
    /// layout of <see cref="PreActivations"/> (row r's neuron k at <c>pre[r · padded + k]</c>, padding lanes +0) from
    /// its columns, by multiply-adds of register tiles. Requires Vector512 acceleration.
    /// </summary>
    /// <remarks>
    /// Exact only on <see cref="FixedPointGrid"/>, like <see cref="PreActivations"/>: a multiply-add by 0, +1 or −1 is
    /// an exact product and one rounding, the add itself, and every partial sum is exact there (a zero sum is +0: the
    /// sums start at +0, a product −0 added to +0 gives +0, and the bias comes last). The rows are transposed once
    /// (input j of the 16 rows in one vector, as <see cref="DotPreActivations"/> does). Then, per block of 64 inputs
    /// (16 KB of a 64-neuron slab of columns, kept in the first-level cache) and tile of four rows, 16 sums stay in
    /// registers: each input loads its column's four vectors once and adds them, times each row's broadcast input, to
    /// the four rows' sums — four loads and four broadcasts per 16 multiply-adds, where the column sums of
    /// <see cref="PreActivations"/> load four vectors and scan a bit per four adds. Inputs that are zero in all four
    /// rows of a tile are skipped (a compress of the tile's nonzero inputs, 16 at a time), which sparse rows such as
    /// images have often. The last 16 to 48 neurons take tiles of eight rows by one vector.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the transposed rows are written before they are read, the lists up to their counts
    public static void TilePreActivations(ref sbyte rows, int inputs, ref float columns, int padded, int width, ref float pre)
    {
        if (!Vector512.IsHardwareAccelerated || inputs < 64 || inputs > ShapeRules.MaxInputs || width < 1 || padded < (width + 15) / 16 * 16)
        {
            throw new ArgumentException("Register tiles need Vector512, 64 to 1024 inputs and padded rows of whole vectors.", nameof(inputs));
        }

        const int Block = 64;
        Span<Vector512<float>> transposed = stackalloc Vector512<float>[inputs];
        ref Vector512<float> rowsInLanes = ref MemoryMarshal.GetReference(transposed);
        TransposeRows16(ref rows, inputs, ref rowsInLanes);
        ref float x = ref Unsafe.As<Vector512<float>, float>(ref rowsInLanes);
        // The inputs of a block that are nonzero in some row of the tile (a compress stores 16 lanes: room past the end).
        Span<int> listBuffer = stackalloc int[Block + 16];
        ref int list = ref MemoryMarshal.GetReference(listBuffer);
        ref float biases = ref Unsafe.Add(ref columns, inputs * padded);
        int lanes = (width + 15) / 16 * 16;
        for (int start = 0; start < inputs; start += Block)
        {
            int end = Math.Min(inputs, start + Block);
            bool first = start == 0, last = end == inputs;
            int k = 0;
            for (; k + 64 <= lanes; k += 64)
            {
                ref float slab = ref Unsafe.Add(ref columns, k);
                for (int t = 0; t < 16; t += 4)
                {
                    int count = NonzeroInputs(ref rows, inputs, t, 4, start, end, ref list);
                    Tile4x64(ref slab, padded, ref Unsafe.Add(ref x, t), ref list, count, ref Unsafe.Add(ref pre, (t * padded) + k), padded,
                        first, last, ref Unsafe.Add(ref biases, k));
                }
            }

            for (; k < lanes; k += 16)
            {
                ref float slab = ref Unsafe.Add(ref columns, k);
                for (int t = 0; t < 16; t += 8)
                {
                    int count = NonzeroInputs(ref rows, inputs, t, 8, start, end, ref list);
                    Tile8x16(ref slab, padded, ref Unsafe.Add(ref x, t), ref list, count, ref Unsafe.Add(ref pre, (t * padded) + k), padded,
                        first, last, ref Unsafe.Add(ref biases, k));
                }
            }
        }
    }

    /// <summary>
    /// Lists the inputs from <paramref name="start"/> to <paramref name="end"/> (a block of at most 64) that are nonzero
    /// in at least one of rows <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1; returns their number.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NonzeroInputs(ref sbyte rows, int inputs, int first, int count, int start, int end, ref int list)
    {
        Vector512<int> lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        int n = 0;
        for (int j = start; j < end; j += 16)
        {
            // The last 16 inputs are read from inputs − 16; the lanes below j were listed by the chunk before.
            int at = Math.Min(j, inputs - 16);
            ref sbyte chunk = ref Unsafe.Add(ref rows, (first * inputs) + at);
            Vector128<sbyte> any = Vector128.LoadUnsafe(ref chunk);
            for (int t = 1; t < count; t++)
            {
                any |= Vector128.LoadUnsafe(ref chunk, (nuint)(t * inputs));
            }

            Vector512<int> index = lane + Vector512.Create(at);
            Vector512<int> take = ~Vector512.Equals(Avx512F.ConvertToVector512Int32(any), Vector512<int>.Zero) & Vector512.GreaterThanOrEqual(index, Vector512.Create(j));
            Avx512F.Compress(Vector512<int>.Zero, take, index).StoreUnsafe(ref list, (nuint)n);
            n += BitOperations.PopCount(take.ExtractMostSignificantBits());
        }

        return n;
    }

    /// <summary>Four rows by 64 neurons: 16 sums in registers over the listed inputs, then stored (with the bias after the last block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x64(ref float slab, int padded, ref float x, ref int list, int count, ref float pre, int stride, bool first, bool last, ref float biases)
    {
        ref float p1 = ref Unsafe.Add(ref pre, stride), p2 = ref Unsafe.Add(ref pre, 2 * stride), p3 = ref Unsafe.Add(ref pre, 3 * stride);
        Vector512<float> a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3;
        if (first)
        {
            a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = c0 = c1 = c2 = c3 = d0 = d1 = d2 = d3 = Vector512<float>.Zero;
        }
        else
        {
            a0 = Vector512.LoadUnsafe(ref pre); a1 = Vector512.LoadUnsafe(ref pre, 16); a2 = Vector512.LoadUnsafe(ref pre, 32); a3 = Vector512.LoadUnsafe(ref pre, 48);
            b0 = Vector512.LoadUnsafe(ref p1); b1 = Vector512.LoadUnsafe(ref p1, 16); b2 = Vector512.LoadUnsafe(ref p1, 32); b3 = Vector512.LoadUnsafe(ref p1, 48);
            c0 = Vector512.LoadUnsafe(ref p2); c1 = Vector512.LoadUnsafe(ref p2, 16); c2 = Vector512.LoadUnsafe(ref p2, 32); c3 = Vector512.LoadUnsafe(ref p2, 48);
            d0 = Vector512.LoadUnsafe(ref p3); d1 = Vector512.LoadUnsafe(ref p3, 16); d2 = Vector512.LoadUnsafe(ref p3, 32); d3 = Vector512.LoadUnsafe(ref p3, 48);
        }

        for (int e = 0; e < count; e++)
        {
            int j = Unsafe.Add(ref list, e);
            ref float column = ref Unsafe.Add(ref slab, j * padded);
            Vector512<float> w0 = Vector512.LoadUnsafe(ref column), w1 = Vector512.LoadUnsafe(ref column, 16);
            Vector512<float> w2 = Vector512.LoadUnsafe(ref column, 32), w3 = Vector512.LoadUnsafe(ref column, 48);
            ref float xj = ref Unsafe.Add(ref x, j * 16);
            Vector512<float> v = Vector512.Create(xj);
            a0 = Vector512.FusedMultiplyAdd(w0, v, a0); a1 = Vector512.FusedMultiplyAdd(w1, v, a1);
            a2 = Vector512.FusedMultiplyAdd(w2, v, a2); a3 = Vector512.FusedMultiplyAdd(w3, v, a3);
            v = Vector512.Create(Unsafe.Add(ref xj, 1));
            b0 = Vector512.FusedMultiplyAdd(w0, v, b0); b1 = Vector512.FusedMultiplyAdd(w1, v, b1);
            b2 = Vector512.FusedMultiplyAdd(w2, v, b2); b3 = Vector512.FusedMultiplyAdd(w3, v, b3);
            v = Vector512.Create(Unsafe.Add(ref xj, 2));
            c0 = Vector512.FusedMultiplyAdd(w0, v, c0); c1 = Vector512.FusedMultiplyAdd(w1, v, c1);
            c2 = Vector512.FusedMultiplyAdd(w2, v, c2); c3 = Vector512.FusedMultiplyAdd(w3, v, c3);
            v = Vector512.Create(Unsafe.Add(ref xj, 3));
            d0 = Vector512.FusedMultiplyAdd(w0, v, d0); d1 = Vector512.FusedMultiplyAdd(w1, v, d1);
            d2 = Vector512.FusedMultiplyAdd(w2, v, d2); d3 = Vector512.FusedMultiplyAdd(w3, v, d3);
        }

        if (last)
        {
            Vector512<float> e0 = Vector512.LoadUnsafe(ref biases), e1 = Vector512.LoadUnsafe(ref biases, 16);
            Vector512<float> e2 = Vector512.LoadUnsafe(ref biases, 32), e3 = Vector512.LoadUnsafe(ref biases, 48);
            a0 += e0; a1 += e1; a2 += e2; a3 += e3;
            b0 += e0; b1 += e1; b2 += e2; b3 += e3;
            c0 += e0; c1 += e1; c2 += e2; c3 += e3;
            d0 += e0; d1 += e1; d2 += e2; d3 += e3;
        }

        a0.StoreUnsafe(ref pre); a1.StoreUnsafe(ref pre, 16); a2.StoreUnsafe(ref pre, 32); a3.StoreUnsafe(ref pre, 48);
        b0.StoreUnsafe(ref p1); b1.StoreUnsafe(ref p1, 16); b2.StoreUnsafe(ref p1, 32); b3.StoreUnsafe(ref p1, 48);
        c0.StoreUnsafe(ref p2); c1.StoreUnsafe(ref p2, 16); c2.StoreUnsafe(ref p2, 32); c3.StoreUnsafe(ref p2, 48);
        d0.StoreUnsafe(ref p3); d1.StoreUnsafe(ref p3, 16); d2.StoreUnsafe(ref p3, 32); d3.StoreUnsafe(ref p3, 48);
    }

    /// <summary>Eight rows by 16 neurons: eight sums in registers over the listed inputs, then stored (with the bias after the last block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile8x16(ref float slab, int padded, ref float x, ref int list, int count, ref float pre, int stride, bool first, bool last, ref float biases)
    {
        Vector512<float> s0, s1, s2, s3, s4, s5, s6, s7;
        if (first)
        {
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = Vector512<float>.Zero;
        }
        else
        {
            s0 = Vector512.LoadUnsafe(ref pre); s1 = Vector512.LoadUnsafe(ref pre, (nuint)stride);
            s2 = Vector512.LoadUnsafe(ref pre, (nuint)(2 * stride)); s3 = Vector512.LoadUnsafe(ref pre, (nuint)(3 * stride));
            s4 = Vector512.LoadUnsafe(ref pre, (nuint)(4 * stride)); s5 = Vector512.LoadUnsafe(ref pre, (nuint)(5 * stride));
            s6 = Vector512.LoadUnsafe(ref pre, (nuint)(6 * stride)); s7 = Vector512.LoadUnsafe(ref pre, (nuint)(7 * stride));
        }

        for (int e = 0; e < count; e++)
        {
            int j = Unsafe.Add(ref list, e);
            Vector512<float> w = Vector512.LoadUnsafe(ref slab, (nuint)(j * padded));
            ref float xj = ref Unsafe.Add(ref x, j * 16);
            s0 = Vector512.FusedMultiplyAdd(w, Vector512.Create(xj), s0);
            s1 = Vector512.FusedMultiplyAdd(w, Vector512.Create(Unsafe.Add(ref xj, 1)), s1);
            s2 = Vector512.FusedMultiplyAdd(w, Vector512.Create(Unsafe.Add(ref xj, 2)), s2);
            s3 = Vector512.FusedMultiplyAdd(w, Vector512.Create(Unsafe.Add(ref xj, 3)), s3);
            s4 = Vector512.FusedMultiplyAdd(w, Vector512.Create(Unsafe.Add(ref xj, 4)), s4);
            s5 = Vector512.FusedMultiplyAdd(w, Vector512.Create(Unsafe.Add(ref xj, 5)), s5);
            s6 = Vector512.FusedMultiplyAdd(w, Vector512.Create(Unsafe.Add(ref xj, 6)), s6);
            s7 = Vector512.FusedMultiplyAdd(w, Vector512.Create(Unsafe.Add(ref xj, 7)), s7);
        }

        if (last)
        {
            Vector512<float> bias = Vector512.LoadUnsafe(ref biases);
            s0 += bias; s1 += bias; s2 += bias; s3 += bias; s4 += bias; s5 += bias; s6 += bias; s7 += bias;
        }

        s0.StoreUnsafe(ref pre); s1.StoreUnsafe(ref pre, (nuint)stride);
        s2.StoreUnsafe(ref pre, (nuint)(2 * stride)); s3.StoreUnsafe(ref pre, (nuint)(3 * stride));
        s4.StoreUnsafe(ref pre, (nuint)(4 * stride)); s5.StoreUnsafe(ref pre, (nuint)(5 * stride));
        s6.StoreUnsafe(ref pre, (nuint)(6 * stride)); s7.StoreUnsafe(ref pre, (nuint)(7 * stride));
    }

    /// <summary>
    /// The pre-activations of one row of <paramref name="inputs"/> (at least 16) validated ternary sbytes, neuron k at
    /// <c>pre[k]</c> for k below <paramref name="padded"/> (padding lanes +0), from columns in the layout of
    /// <see cref="PreActivations"/>. Requires Vector512 acceleration.
    /// </summary>
    /// <remarks>
    /// Exact only on <see cref="FixedPointGrid"/>, like <see cref="PreActivations"/>. One row reads each column once, so
    /// its cost is the columns it reads: only those of nonzero inputs. The row is first turned into two lists of column
    /// offsets, the +1 inputs and the −1 inputs, sixteen inputs per compare and compress (no branch per input); then one
    /// loop adds the +1 columns and one subtracts the −1 columns, alternating between two sets of sums, so each list
    /// ends in one branch rather than one per 64-input word and sign.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the lists are read only up to their counts
    public static void RowPreActivations(ref sbyte row, int inputs, ref float columns, int padded, int width, ref float pre)
    {
        if (!Vector512.IsHardwareAccelerated || inputs < 16 || inputs > ShapeRules.MaxInputs || width < 1 || padded < (width + 15) / 16 * 16)
        {
            throw new ArgumentException("One row's column sums need Vector512, 16 to 1024 inputs and padded rows of whole vectors.", nameof(inputs));
        }

        // Each compress stores 16 lanes, so a list has room for 16 past its last input.
        Span<int> lists = stackalloc int[2 * (inputs + 16)];
        ref int plus = ref MemoryMarshal.GetReference(lists);
        ref int minus = ref Unsafe.Add(ref plus, inputs + 16);
        Vector512<int> lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        int ups = 0, downs = 0;
        for (int j = 0; j < inputs; j += 16)
        {
            // The last 16 inputs are read from inputs − 16; the lanes below j were listed by the chunk before.
            int at = Math.Min(j, inputs - 16);
            Vector512<int> x = Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref row, (nuint)at));
            Vector512<int> index = lane + Vector512.Create(at);
            Vector512<int> fresh = Vector512.GreaterThanOrEqual(index, Vector512.Create(j));
            Vector512<int> up = Vector512.Equals(x, Vector512<int>.One) & fresh, down = Vector512.Equals(x, Vector512<int>.AllBitsSet) & fresh;
            Vector512<int> offsets = index * padded;
            Avx512F.Compress(Vector512<int>.Zero, up, offsets).StoreUnsafe(ref plus, (nuint)ups);
            Avx512F.Compress(Vector512<int>.Zero, down, offsets).StoreUnsafe(ref minus, (nuint)downs);
            ups += BitOperations.PopCount(up.ExtractMostSignificantBits());
            downs += BitOperations.PopCount(down.ExtractMostSignificantBits());
        }

        SumLists(ref columns, ref Unsafe.Add(ref columns, inputs * padded), ref plus, ups, ref minus, downs, width, ref pre);
    }

    /// <summary>
    /// The pair table of a first layer (<see cref="ShapeRules.PairTableFloats"/> floats) on the fixed-point grid, from its packed columns (<paramref name="columns"/>:
    /// input j's column at <c>j · padded</c>, the biases after the last): for inputs a = 2p and b = 2p + 1, the
    /// columns a, b, a + b and a − b at <c>(4p + e) · padded</c> (a missing last input b counts as a zero column), then
    /// the biases. Every nonzero pair of ternary inputs is plus or minus one of the four, so one row's first layer adds
    /// or subtracts one column per nonzero pair (<see cref="RowPairPreActivations"/>) instead of one per nonzero input.
    /// </summary>
    /// <remarks>The sums and differences are exact on the grid (multiples of 2^-16 below 256).</remarks>
    public static void BuildPairs(ReadOnlySpan<float> columns, int inputs, int padded, Span<float> pairs)
    {
        int count = (inputs + 1) / 2;
        if (columns.Length < (inputs + 1) * padded || pairs.Length < ((4 * count) + 1) * padded)
        {
            throw new ArgumentException("The columns or the pair table are too short for the layer.", nameof(pairs));
        }

        for (int p = 0; p < count; p++)
        {
            ReadOnlySpan<float> a = columns.Slice(2 * p * padded, padded);
            Span<float> entries = pairs.Slice(4 * p * padded, 4 * padded);
            a.CopyTo(entries);
            if ((2 * p) + 1 < inputs)
            {
                ReadOnlySpan<float> b = columns.Slice(((2 * p) + 1) * padded, padded);
                for (int k = 0; k < padded; k++)
                {
                    entries[padded + k] = b[k];
                    entries[(2 * padded) + k] = a[k] + b[k];
                    entries[(3 * padded) + k] = a[k] - b[k];
                }
            }
            else
            {
                entries.Slice(padded, padded).Clear();
                a.CopyTo(entries.Slice(2 * padded));
                a.CopyTo(entries.Slice(3 * padded));
            }
        }

        columns.Slice(inputs * padded, padded).CopyTo(pairs.Slice(4 * count * padded));
    }

    /// <summary>
    /// The pre-activations of one row as <see cref="RowPreActivations"/> computes them, from the pair table of
    /// <see cref="BuildPairs"/>: one column per nonzero pair of inputs (8 of 9 pairs of uniform ternary inputs, two
    /// thirds of the columns of single inputs). Requires Vector512 acceleration.
    /// </summary>
    /// <remarks>
    /// A pair (x_a, x_b) is coded c = 3·x_a + x_b, from −4 to 4: |c| picks the column (3: a, 1: b, 4: a + b, 2: a − b)
    /// and the sign of c whether it is added or subtracted; c = 0 is skipped. Sixteen pairs are coded per multiply-add of
    /// adjacent words and listed by compresses, as <see cref="RowPreActivations"/> lists inputs; the sums are the same
    /// loops. Exact only on <see cref="FixedPointGrid"/>.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the lists are read only up to their counts; the tail's copy is cleared first
    public static void RowPairPreActivations(ref sbyte row, int inputs, ref float pairs, int padded, int width, ref float pre)
    {
        if (!Vector512.IsHardwareAccelerated || inputs < 16 || inputs > ShapeRules.MaxInputs || width < 1 || padded < (width + 15) / 16 * 16)
        {
            throw new ArgumentException("One row's pair sums need Vector512, 16 to 1024 inputs and padded rows of whole vectors.", nameof(inputs));
        }

        int count = (inputs + 1) / 2;
        Span<int> lists = stackalloc int[2 * (count + 16)];
        ref int plus = ref MemoryMarshal.GetReference(lists);
        ref int minus = ref Unsafe.Add(ref plus, count + 16);
        // The row's last inputs & 31 values, then zeros: 32 bytes read past a whole number of 32 never leave the row.
        int whole = inputs & ~31;
        Span<sbyte> tail = stackalloc sbyte[32];
        tail.Clear();
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref row, whole), inputs - whole).CopyTo(tail);
        Vector512<int> lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        Vector512<int> entries = Vector512.Create(0, 1, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        Vector512<short> code = Vector512.Create(0x0001_0003).AsInt16(); // 3 · x_a + 1 · x_b
        int ups = 0, downs = 0;
        for (int p = 0; p < count; p += 16)
        {
            Vector256<sbyte> bytes = (2 * p) + 32 <= inputs
                ? Vector256.LoadUnsafe(ref row, (nuint)(2 * p))
                : Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(tail));
            Vector512<int> c = Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(bytes), code);
            Vector512<int> index = lane + Vector512.Create(p);
            Vector512<int> offsets = ((index << 2) + Avx512F.PermuteVar16x32(entries, Vector512.Abs(c))) * padded;
            Vector512<int> inside = Vector512.LessThan(index, Vector512.Create(count));
            Vector512<int> up = Vector512.GreaterThan(c, Vector512<int>.Zero) & inside, down = Vector512.LessThan(c, Vector512<int>.Zero) & inside;
            Avx512F.Compress(Vector512<int>.Zero, up, offsets).StoreUnsafe(ref plus, (nuint)ups);
            Avx512F.Compress(Vector512<int>.Zero, down, offsets).StoreUnsafe(ref minus, (nuint)downs);
            ups += BitOperations.PopCount(up.ExtractMostSignificantBits());
            downs += BitOperations.PopCount(down.ExtractMostSignificantBits());
        }

        SumLists(ref pairs, ref Unsafe.Add(ref pairs, 4 * count * padded), ref plus, ups, ref minus, downs, width, ref pre);
    }

    /// <summary>
    /// The triple table of a first layer (<see cref="ShapeRules.TripleTableFloats"/> floats) on the fixed-point grid,
    /// from its packed columns (<paramref name="columns"/>: input j's column at <c>j · padded</c>, the biases after the
    /// last): for inputs a = 3t, b = 3t + 1 and c = 3t + 2, the column of code v = 1 to 13 at
    /// <c>(13t + v − 1) · padded</c> is x_a·a + x_b·b + x_c·c for the ternary digits with 9·x_a + 3·x_b + x_c = v (missing
    /// last inputs count as zero columns), then the biases. Every nonzero triple of ternary inputs is plus or minus one
    /// of the 13, so one row's first layer adds or subtracts one column per nonzero triple
    /// (<see cref="RowTriplePreActivations"/>).
    /// </summary>
    /// <remarks>The sums of up to three columns are exact on the grid (multiples of 2^-16 below 256).</remarks>
    public static void BuildTriples(ReadOnlySpan<float> columns, int inputs, int padded, Span<float> triples)
    {
        int count = (inputs + 2) / 3;
        if (columns.Length < (inputs + 1) * padded || triples.Length < ((13 * count) + 1) * padded)
        {
            throw new ArgumentException("The columns or the triple table are too short for the layer.", nameof(triples));
        }

        for (int t = 0; t < count; t++)
        {
            // Code v = 9·x_a + 3·x_b + x_c at entry v − 1; a missing last input is a zero column.
            ReadOnlySpan<float> a = columns.Slice(3 * t * padded, padded);
            ReadOnlySpan<float> b = (3 * t) + 1 < inputs ? columns.Slice(((3 * t) + 1) * padded, padded) : default;
            ReadOnlySpan<float> c = (3 * t) + 2 < inputs ? columns.Slice(((3 * t) + 2) * padded, padded) : default;
            Span<float> entries = triples.Slice(13 * t * padded, 13 * padded);
            int k = 0;
            for (; k + Vector<float>.Count <= padded; k += Vector<float>.Count)
            {
                Vector<float> va = new(a[k..]), vb = b.IsEmpty ? Vector<float>.Zero : new(b[k..]), vc = c.IsEmpty ? Vector<float>.Zero : new(c[k..]);
                Triple(va, vb, vc, entries[k..], padded, whole: true);
            }

            for (; k < padded; k++)
            {
                Triple(new Vector<float>(a[k]), new Vector<float>(b.IsEmpty ? 0 : b[k]), new Vector<float>(c.IsEmpty ? 0 : c[k]), entries[k..], padded, whole: false);
            }
        }

        columns.Slice(inputs * padded, padded).CopyTo(triples.Slice(13 * count * padded));
    }

    /// <summary>
    /// The 13 entries of a triple with columns a, b, c (code v = 9·x_a + 3·x_b + x_c at <c>(v − 1) · padded</c>): a
    /// whole vector of lanes, or only the first lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Triple(Vector<float> a, Vector<float> b, Vector<float> c, Span<float> entries, int padded, bool whole)
    {
        Put(c, entries, 0, whole);
        Put(b - c, entries, padded, whole);
        Put(b, entries, 2 * padded, whole);
        Put(b + c, entries, 3 * padded, whole);
        Put((a - b) - c, entries, 4 * padded, whole);
        Put(a - b, entries, 5 * padded, whole);
        Put((a - b) + c, entries, 6 * padded, whole);
        Put(a - c, entries, 7 * padded, whole);
        Put(a, entries, 8 * padded, whole);
        Put(a + c, entries, 9 * padded, whole);
        Put((a + b) - c, entries, 10 * padded, whole);
        Put(a + b, entries, 11 * padded, whole);
        Put((a + b) + c, entries, 12 * padded, whole);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(Vector<float> value, Span<float> entries, int at, bool whole)
    {
        if (whole)
        {
            value.CopyTo(entries[at..]);
        }
        else
        {
            entries[at] = value[0];
        }
    }

    /// <summary>
    /// The pre-activations of one row as <see cref="RowPreActivations"/> computes them, from the triple table of
    /// <see cref="BuildTriples"/>: one column per nonzero triple of inputs (26 of 27 triples of uniform ternary inputs,
    /// 26/81 of the columns of single inputs, three quarters of those of <see cref="RowPairPreActivations"/>). Requires
    /// Vector512 acceleration.
    /// </summary>
    /// <remarks>
    /// A triple (x_a, x_b, x_c) is coded v = 9·x_a + 3·x_b + x_c, from −13 to 13: |v| − 1 picks the column and the sign
    /// of v whether it is added or subtracted; v = 0 is skipped. Sixteen triples (48 bytes) are split into their three
    /// digits by byte shuffles, coded by byte adds and listed by compresses, as <see cref="RowPreActivations"/> lists
    /// inputs; the sums are the same loops. Exact only on <see cref="FixedPointGrid"/>.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the lists are read only up to their counts; the tail's copy is cleared first
    public static void RowTriplePreActivations(ref sbyte row, int inputs, ref float triples, int padded, int width, ref float pre)
    {
        if (!Vector512.IsHardwareAccelerated || inputs < 16 || inputs > ShapeRules.MaxInputs || width < 1 || padded < (width + 15) / 16 * 16)
        {
            throw new ArgumentException("One row's triple sums need Vector512, 16 to 1024 inputs and padded rows of whole vectors.", nameof(inputs));
        }

        int count = (inputs + 2) / 3;
        Span<int> lists = stackalloc int[2 * (count + 16)];
        ref int plus = ref MemoryMarshal.GetReference(lists);
        ref int minus = ref Unsafe.Add(ref plus, count + 16);
        // The row's last inputs % 48 values, then zeros (zero triples, skipped): 48 bytes read from a whole number of 48
        // never leave the row.
        int whole = inputs / 48 * 48;
        Span<sbyte> tail = stackalloc sbyte[48];
        tail.Clear();
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref row, whole), inputs - whole).CopyTo(tail);
        // Byte 3i + d of 48 lies in the 16-byte part (3i + d) / 16 at (3i + d) % 16; a shuffle index with the high bit set gives 0.
        Vector128<sbyte> a0 = Vector128.Create(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1).AsSByte();
        Vector128<sbyte> a1 = Vector128.Create(-1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14, -1, -1, -1, -1, -1).AsSByte();
        Vector128<sbyte> a2 = Vector128.Create(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 4, 7, 10, 13).AsSByte();
        Vector128<sbyte> b0 = Vector128.Create(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1).AsSByte();
        Vector128<sbyte> b1 = Vector128.Create(-1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1).AsSByte();
        Vector128<sbyte> b2 = Vector128.Create(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14).AsSByte();
        Vector128<sbyte> c0 = Vector128.Create(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1).AsSByte();
        Vector128<sbyte> c1 = Vector128.Create(-1, -1, -1, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1).AsSByte();
        Vector128<sbyte> c2 = Vector128.Create(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15).AsSByte();
        Vector512<int> lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) * (13 * padded);
        Vector512<int> step = Vector512.Create(padded);
        int ups = 0, downs = 0;
        for (int p = 0; p < count; p += 16)
        {
            ref sbyte bytes = ref (3 * p) + 48 <= inputs ? ref Unsafe.Add(ref row, 3 * p) : ref MemoryMarshal.GetReference(tail);
            Vector128<sbyte> v0 = Vector128.LoadUnsafe(ref bytes), v1 = Vector128.LoadUnsafe(ref bytes, 16), v2 = Vector128.LoadUnsafe(ref bytes, 32);
            Vector128<sbyte> xa = Ssse3.Shuffle(v0, a0) | Ssse3.Shuffle(v1, a1) | Ssse3.Shuffle(v2, a2);
            Vector128<sbyte> xb = Ssse3.Shuffle(v0, b0) | Ssse3.Shuffle(v1, b1) | Ssse3.Shuffle(v2, b2);
            Vector128<sbyte> xc = Ssse3.Shuffle(v0, c0) | Ssse3.Shuffle(v1, c1) | Ssse3.Shuffle(v2, c2);
            Vector128<sbyte> ab = xa + xa + xa + xb;
            Vector512<int> v = Avx512F.ConvertToVector512Int32(ab + ab + ab + xc);
            Vector512<int> offsets = lane + Vector512.Create(p * 13 * padded) + ((Vector512.Abs(v) - Vector512<int>.One) * step);
            Vector512<int> up = Vector512.GreaterThan(v, Vector512<int>.Zero), down = Vector512.LessThan(v, Vector512<int>.Zero);
            Avx512F.Compress(Vector512<int>.Zero, up, offsets).StoreUnsafe(ref plus, (nuint)ups);
            Avx512F.Compress(Vector512<int>.Zero, down, offsets).StoreUnsafe(ref minus, (nuint)downs);
            ups += BitOperations.PopCount(up.ExtractMostSignificantBits());
            downs += BitOperations.PopCount(down.ExtractMostSignificantBits());
        }

        SumLists(ref triples, ref Unsafe.Add(ref triples, 13 * count * padded), ref plus, ups, ref minus, downs, width, ref pre);
    }

    /// <summary>
    /// <c>pre[k]</c> for k below ⌈width/16⌉·16: the columns at the offsets of <paramref name="plus"/> added, those of
    /// <paramref name="minus"/> subtracted, then the bias; 64 neurons at a time in two sets of four sums (each list
    /// ends in one branch), the last 16 to 48 neurons 16 at a time in four sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumLists(ref float columns, ref float biases, ref int plus, int ups, ref int minus, int downs, int width, ref float pre)
    {
        int lanes = (width + 15) / 16 * 16, k = 0;
        for (; k + 64 <= lanes; k += 64)
        {
            ref float slab = ref Unsafe.Add(ref columns, k);
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            int e = 0;
            for (; e + 2 <= ups; e += 2)
            {
                ref float c = ref Unsafe.Add(ref slab, Unsafe.Add(ref plus, e));
                ref float d = ref Unsafe.Add(ref slab, Unsafe.Add(ref plus, e + 1));
                a0 += Vector512.LoadUnsafe(ref c);
                a1 += Vector512.LoadUnsafe(ref c, 16);
                a2 += Vector512.LoadUnsafe(ref c, 32);
                a3 += Vector512.LoadUnsafe(ref c, 48);
                b0 += Vector512.LoadUnsafe(ref d);
                b1 += Vector512.LoadUnsafe(ref d, 16);
                b2 += Vector512.LoadUnsafe(ref d, 32);
                b3 += Vector512.LoadUnsafe(ref d, 48);
            }

            if (e < ups)
            {
                ref float c = ref Unsafe.Add(ref slab, Unsafe.Add(ref plus, e));
                a0 += Vector512.LoadUnsafe(ref c);
                a1 += Vector512.LoadUnsafe(ref c, 16);
                a2 += Vector512.LoadUnsafe(ref c, 32);
                a3 += Vector512.LoadUnsafe(ref c, 48);
            }

            for (e = 0; e + 2 <= downs; e += 2)
            {
                ref float c = ref Unsafe.Add(ref slab, Unsafe.Add(ref minus, e));
                ref float d = ref Unsafe.Add(ref slab, Unsafe.Add(ref minus, e + 1));
                a0 -= Vector512.LoadUnsafe(ref c);
                a1 -= Vector512.LoadUnsafe(ref c, 16);
                a2 -= Vector512.LoadUnsafe(ref c, 32);
                a3 -= Vector512.LoadUnsafe(ref c, 48);
                b0 -= Vector512.LoadUnsafe(ref d);
                b1 -= Vector512.LoadUnsafe(ref d, 16);
                b2 -= Vector512.LoadUnsafe(ref d, 32);
                b3 -= Vector512.LoadUnsafe(ref d, 48);
            }

            if (e < downs)
            {
                ref float c = ref Unsafe.Add(ref slab, Unsafe.Add(ref minus, e));
                a0 -= Vector512.LoadUnsafe(ref c);
                a1 -= Vector512.LoadUnsafe(ref c, 16);
                a2 -= Vector512.LoadUnsafe(ref c, 32);
                a3 -= Vector512.LoadUnsafe(ref c, 48);
            }

            // Both sets start at +0, so a zero sum is +0 and stays +0 with a bias of −0.
            ((a0 + b0) + Vector512.LoadUnsafe(ref biases, (nuint)k)).StoreUnsafe(ref pre, (nuint)k);
            ((a1 + b1) + Vector512.LoadUnsafe(ref biases, (nuint)k + 16)).StoreUnsafe(ref pre, (nuint)k + 16);
            ((a2 + b2) + Vector512.LoadUnsafe(ref biases, (nuint)k + 32)).StoreUnsafe(ref pre, (nuint)k + 32);
            ((a3 + b3) + Vector512.LoadUnsafe(ref biases, (nuint)k + 48)).StoreUnsafe(ref pre, (nuint)k + 48);
        }

        for (; k < lanes; k += 16)
        {
            // The last 16 to 48 neurons, 16 at a time: four sums for four independent chains.
            ref float slab = ref Unsafe.Add(ref columns, k);
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            int e = 0;
            for (; e + 4 <= ups; e += 4)
            {
                a0 += Vector512.LoadUnsafe(ref Unsafe.Add(ref slab, Unsafe.Add(ref plus, e)));
                a1 += Vector512.LoadUnsafe(ref Unsafe.Add(ref slab, Unsafe.Add(ref plus, e + 1)));
                a2 += Vector512.LoadUnsafe(ref Unsafe.Add(ref slab, Unsafe.Add(ref plus, e + 2)));
                a3 += Vector512.LoadUnsafe(ref Unsafe.Add(ref slab, Unsafe.Add(ref plus, e + 3)));
            }

            for (; e < ups; e++)
            {
                a0 += Vector512.LoadUnsafe(ref Unsafe.Add(ref slab, Unsafe.Add(ref plus, e)));
            }

            for (e = 0; e + 4 <= downs; e += 4)
            {
                a0 -= Vector512.LoadUnsafe(ref Unsafe.Add(ref slab, Unsafe.Add(ref minus, e)));
                a1 -= Vector512.LoadUnsafe(ref Unsafe.Add(ref slab, Unsafe.Add(ref minus, e + 1)));
                a2 -= Vector512.LoadUnsafe(ref Unsafe.Add(ref slab, Unsafe.Add(ref minus, e + 2)));
                a3 -= Vector512.LoadUnsafe(ref Unsafe.Add(ref slab, Unsafe.Add(ref minus, e + 3)));
            }

            for (; e < downs; e++)
            {
                a0 -= Vector512.LoadUnsafe(ref Unsafe.Add(ref slab, Unsafe.Add(ref minus, e)));
            }

            (((a0 + a1) + (a2 + a3)) + Vector512.LoadUnsafe(ref biases, (nuint)k)).StoreUnsafe(ref pre, (nuint)k);
        }
    }

    /// <summary>
    /// The pre-activations of 16 sbyte rows of <paramref name="inputs"/> (at least 64) validated ternary values, with the
    /// rows in the lanes of a Vector512: neuron k of row t at <c>pre[16 · k + t]</c>. The weights are in the canonical
    /// layout (neuron k's row at <c>k · inputs</c>), the biases at <paramref name="biases"/>. For narrow first layers
    /// (<see cref="ShapeRules.DotsFirstLayer"/>), where columns cost more per set bit than a multiply-add per input.
    /// Requires Vector512 acceleration.
    /// </summary>
    /// <remarks>
    /// Exact only on <see cref="FixedPointGrid"/>, like <see cref="PreActivations"/>: every partial sum is exact there,
    /// so the order does not change the bits (a zero sum is +0: every sum starts at +0 and the bias is added last).
    /// The rows are transposed once, 64 inputs at a time (sixteen 64-byte loads, a 16 × 16 transpose of dwords, then
    /// each byte of a dword picked into floats by a permute of a 16-float table), so that input j of the 16 rows is one
    /// vector. Then for eight neurons at a time, each input costs one load and eight multiply-adds with the weights
    /// broadcast from memory: eight independent sums, no reduction across lanes, no lane wasted past the last input.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // every vector of the transposed rows is written before it is read
    public static void DotPreActivations(ref sbyte rows, int inputs, ref float weights, ref float biases, int width, ref float pre)
    {
        if (!Vector512.IsHardwareAccelerated || inputs < 64 || inputs > ShapeRules.MaxInputs)
        {
            throw new ArgumentException("Dot products need Vector512 and 64 to 1024 inputs.", nameof(inputs));
        }

        Span<Vector512<float>> transposed = stackalloc Vector512<float>[inputs];
        ref Vector512<float> x = ref MemoryMarshal.GetReference(transposed);
        TransposeRows16(ref rows, inputs, ref x);
        int last = width - 1;
        for (int g = 0; g < width; g += 8)
        {
            // Neurons g to g + 7; past the last neuron the last one is computed again and not stored.
            ref float w0 = ref Unsafe.Add(ref weights, g * inputs), w1 = ref Unsafe.Add(ref weights, Math.Min(g + 1, last) * inputs);
            ref float w2 = ref Unsafe.Add(ref weights, Math.Min(g + 2, last) * inputs), w3 = ref Unsafe.Add(ref weights, Math.Min(g + 3, last) * inputs);
            ref float w4 = ref Unsafe.Add(ref weights, Math.Min(g + 4, last) * inputs), w5 = ref Unsafe.Add(ref weights, Math.Min(g + 5, last) * inputs);
            ref float w6 = ref Unsafe.Add(ref weights, Math.Min(g + 6, last) * inputs), w7 = ref Unsafe.Add(ref weights, Math.Min(g + 7, last) * inputs);
            Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            for (int j = 0; j < inputs; j++)
            {
                Vector512<float> v = Unsafe.Add(ref x, j);
                s0 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w0, j)), s0);
                s1 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w1, j)), s1);
                s2 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w2, j)), s2);
                s3 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w3, j)), s3);
                s4 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w4, j)), s4);
                s5 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w5, j)), s5);
                s6 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w6, j)), s6);
                s7 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w7, j)), s7);
            }

            StoreNeuron(s0, g, width, ref biases, ref pre);
            StoreNeuron(s1, g + 1, width, ref biases, ref pre);
            StoreNeuron(s2, g + 2, width, ref biases, ref pre);
            StoreNeuron(s3, g + 3, width, ref biases, ref pre);
            StoreNeuron(s4, g + 4, width, ref biases, ref pre);
            StoreNeuron(s5, g + 5, width, ref biases, ref pre);
            StoreNeuron(s6, g + 6, width, ref biases, ref pre);
            StoreNeuron(s7, g + 7, width, ref biases, ref pre);
        }
    }

    /// <summary>Neuron k's sums of the 16 rows plus its bias, at <c>pre[16 · k]</c>, if k is a neuron of the layer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreNeuron(Vector512<float> sums, int k, int width, ref float biases, ref float pre)
    {
        if (k < width)
        {
            (sums + Vector512.Create(Unsafe.Add(ref biases, k))).StoreUnsafe(ref pre, (nuint)(k * 16));
        }
    }

    /// <summary>
    /// Input j of 16 rows of <paramref name="inputs"/> (at least 64) ternary sbytes as floats, row t in lane t, at
    /// <c>x[j]</c>. The last 64 inputs are read from <c>inputs − 64</c>, so nothing past a row is read; the dwords
    /// wholly among the inputs of the chunk before are not converted again, the others are written again with the same values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeRows16(ref sbyte rows, int inputs, ref Vector512<float> x)
    {
        // Lane v of the table is the value whose byte has the low four bits v: 0, 1 and −1 (0xFF).
        Vector512<float> table = Vector512.Create(0f, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1);
        nuint stride = (nuint)inputs;
        for (int c = 0; c < inputs; c += 64)
        {
            int at = Math.Min(c, inputs - 64);
            ref sbyte b = ref Unsafe.Add(ref rows, at);
            // Row t's 64 inputs as 16 dwords of four inputs each; B[4i + m] holds, in 128-bit lane L, dword 4L + m of
            // rows 4i to 4i + 3.
            Quad(Row(ref b, 0, stride), Row(ref b, 1, stride), Row(ref b, 2, stride), Row(ref b, 3, stride),
                out Vector512<float> b0, out Vector512<float> b1, out Vector512<float> b2, out Vector512<float> b3);
            Quad(Row(ref b, 4, stride), Row(ref b, 5, stride), Row(ref b, 6, stride), Row(ref b, 7, stride),
                out Vector512<float> b4, out Vector512<float> b5, out Vector512<float> b6, out Vector512<float> b7);
            Quad(Row(ref b, 8, stride), Row(ref b, 9, stride), Row(ref b, 10, stride), Row(ref b, 11, stride),
                out Vector512<float> b8, out Vector512<float> b9, out Vector512<float> b10, out Vector512<float> b11);
            Quad(Row(ref b, 12, stride), Row(ref b, 13, stride), Row(ref b, 14, stride), Row(ref b, 15, stride),
                out Vector512<float> b12, out Vector512<float> b13, out Vector512<float> b14, out Vector512<float> b15);
            ref Vector512<float> target = ref Unsafe.Add(ref x, at);
            // Dwords wholly below c - at were converted by the chunk before.
            int fresh = c - at;
            Dwords(b0, b4, b8, b12, 0, fresh, ref target, table);
            Dwords(b1, b5, b9, b13, 1, fresh, ref target, table);
            Dwords(b2, b6, b10, b14, 2, fresh, ref target, table);
            Dwords(b3, b7, b11, b15, 3, fresh, ref target, table);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(ref sbyte start, int t, nuint stride) => Vector512.LoadUnsafe(ref start, (nuint)t * stride).AsSingle();

    /// <summary>Four rows' dwords regrouped: <paramref name="m0"/> to <paramref name="m3"/> hold, in 128-bit lane L, dword 4L + m of the four rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quad(Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3,
        out Vector512<float> m0, out Vector512<float> m1, out Vector512<float> m2, out Vector512<float> m3)
    {
        Vector512<double> a0 = Avx512F.UnpackLow(r0, r1).AsDouble(), a1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
        Vector512<double> a2 = Avx512F.UnpackLow(r2, r3).AsDouble(), a3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
        m0 = Avx512F.UnpackLow(a0, a2).AsSingle();
        m1 = Avx512F.UnpackHigh(a0, a2).AsSingle();
        m2 = Avx512F.UnpackLow(a1, a3).AsSingle();
        m3 = Avx512F.UnpackHigh(a1, a3).AsSingle();
    }

    /// <summary>
    /// Dwords 4L + m (L = 0 to 3) of the 16 rows from the four quads' lanes, each as its four inputs' floats; dwords
    /// whose inputs all lie below <paramref name="fresh"/> are left as they are.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dwords(Vector512<float> q0, Vector512<float> q1, Vector512<float> q2, Vector512<float> q3, int m, int fresh,
        ref Vector512<float> x, Vector512<float> table)
    {
        Vector512<float> low01 = Avx512F.Shuffle4x128(q0, q1, 0x44), high01 = Avx512F.Shuffle4x128(q0, q1, 0xEE);
        Vector512<float> low23 = Avx512F.Shuffle4x128(q2, q3, 0x44), high23 = Avx512F.Shuffle4x128(q2, q3, 0xEE);
        if ((4 * m) + 3 >= fresh)
        {
            Bytes(Avx512F.Shuffle4x128(low01, low23, 0x88).AsUInt32(), ref Unsafe.Add(ref x, 4 * m), table);
        }

        if (4 * (4 + m) + 3 >= fresh)
        {
            Bytes(Avx512F.Shuffle4x128(low01, low23, 0xDD).AsUInt32(), ref Unsafe.Add(ref x, 4 * (4 + m)), table);
        }

        if (4 * (8 + m) + 3 >= fresh)
        {
            Bytes(Avx512F.Shuffle4x128(high01, high23, 0x88).AsUInt32(), ref Unsafe.Add(ref x, 4 * (8 + m)), table);
        }

        Bytes(Avx512F.Shuffle4x128(high01, high23, 0xDD).AsUInt32(), ref Unsafe.Add(ref x, 4 * (12 + m)), table);
    }

    /// <summary>The four bytes of each dword as floats (a permute reads the low four bits of each lane's index).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bytes(Vector512<uint> dwords, ref Vector512<float> x, Vector512<float> table)
    {
        x = Avx512F.PermuteVar16x32(table, dwords.AsInt32());
        Unsafe.Add(ref x, 1) = Avx512F.PermuteVar16x32(table, (dwords >> 8).AsInt32());
        Unsafe.Add(ref x, 2) = Avx512F.PermuteVar16x32(table, (dwords >> 16).AsInt32());
        Unsafe.Add(ref x, 3) = Avx512F.PermuteVar16x32(table, (dwords >> 24).AsInt32());
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
