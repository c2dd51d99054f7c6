using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenBias.CompilerServices;

/// <summary>
/// The first layer of a network as tables of group sums: for every group of five inputs
/// (<see cref="ShapeRules.GroupSize"/>) and each of its 3^5 = 243 combinations, the row of every neuron's group sum
/// S_g in the canonical order (<see cref="CanonicalSum.FirstLayer"/>), the bias folded into group 0. A first-layer
/// pre-activation is then one row load per group and the fixed tree, with the bits of the canonical order for any
/// parameters, on the exact grid or not. Generated code reads them; <see cref="Build"/> runs in <c>SetParameters</c>.
/// </summary>
/// <remarks>
/// Row <c>r</c> of a group stands for the inputs whose base-3 digits are those of <c>r</c>: digit <c>i</c> (the
/// <c>i</c>-th input of the group) is 0 for an input of 0, 1 for +1 and 2 for -1, so from the packed masks
/// <c>r = B(positive bits) + 2·B(negative bits)</c> with <c>B</c> the base-3 value of five bits (<see cref="Row"/>).
/// Group g's table starts at <c>g · 243 · stride</c> floats; neuron k's sum is at <c>+ r · stride + k</c>, the
/// padding of each row holds zeros. The storage is pinned and 64-byte aligned, so a Vector512 row load never
/// splits a cache line.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FirstLayerTables
{
    private readonly float[] _storage;
    private readonly int _origin;
    private readonly int[] _keyOffsets = new int[1024];
    private readonly float[] _columns;   // Build's buffers, kept: SetParameters runs it after every training step
    private readonly float[] _current;
    private readonly float[] _next;
    private readonly LayerShape _layer;
    private readonly float[]? _keyed;    // one neuron over at most 32 inputs: per group, its sum for every ten-bit key
    private readonly int _keyedOrigin;

    /// <summary>Tables for the first layer of <paramref name="shape"/> (all zero until <see cref="Build"/>).</summary>
    public FirstLayerTables(NetworkShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        _layer = shape.Layers[0];
        if (!ShapeRules.UsesTables(_layer.InputCount, _layer.Width))
        {
            throw new ArgumentException(
                $"A first layer of {_layer.Width} neurons over {_layer.InputCount} inputs is computed without tables.", nameof(shape));
        }

        Stride = ShapeRules.TableStride(_layer.Width);
        Length = ShapeRules.TableFloats(_layer.InputCount, _layer.Width);
        _columns = new float[_layer.InputCount * Stride];
        _current = new float[ShapeRules.GroupRows * Stride];
        _next = new float[ShapeRules.GroupRows * Stride];
        for (int key = 0; key < _keyOffsets.Length; key++)
        {
            // Keys with a bit in both masks never occur (inputs are validated); they point at row 0.
            int positive = key & 31, negative = key >> 5;
            _keyOffsets[key] = (positive & negative) != 0 ? 0 : (Base3[positive] + (2 * Base3[negative])) * Stride;
        }
        _storage = GC.AllocateArray<float>(Length + 16, pinned: true);
        _origin = AlignedOrigin(_storage);
        if (ShapeRules.GathersFirstLayer(_layer.InputCount, _layer.Width))
        {
            _keyed = GC.AllocateArray<float>((ShapeRules.Groups(_layer.InputCount) * KeyCount) + 16, pinned: true);
            _keyedOrigin = AlignedOrigin(_keyed);
        }
    }

    /// <summary>
    /// Whether <see cref="GatherLanes8"/> and <see cref="GatherGroup"/> can run: the first layer is one neuron over at
    /// most 32 inputs and the processor gathers (AVX2).
    /// </summary>
    public bool CanGather => _keyed != null && Avx2.IsSupported && !GathersDisabled;

    /// <summary>Tests set this to run the row-by-row path a machine without AVX2 takes.</summary>
    internal bool GathersDisabled { get; set; }

    private const int KeyCount = KeysPerGroup;

    /// <summary>Floats of one group's keyed table (<see cref="KeyedOrigin"/>): one per ten-bit key.</summary>
    public const int KeysPerGroup = 1024;

    private static int AlignedOrigin(float[] pinned)
    {
        unsafe
        {
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
            return (int)(((64 - (address & 63)) & 63) / sizeof(float));
        }
    }

    /// <summary>Floats per table row.</summary>
    public int Stride { get; }

    /// <summary>Floats of all tables.</summary>
    public int Length { get; }

    /// <summary>The first float of group 0's table, 64-byte aligned.</summary>
    public ref float Origin => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_storage), _origin);

    /// <summary>
    /// Entry <c>k</c> is the offset, in floats, of the row of a group whose key (<see cref="Key"/>) is <c>k</c>: one
    /// load turns ten mask bits into a row.
    /// </summary>
    public ref int KeyOrigin => ref MemoryMarshal.GetArrayDataReference(_keyOffsets);

    /// <summary>
    /// One neuron over at most 32 inputs (<see cref="ShapeRules.GathersFirstLayer"/>): the first float of the keyed copy
    /// of the tables, group g's sum for the key k (<see cref="Key"/>) at <c>g · 1024 + k</c> — the float of the row that
    /// <see cref="KeyOrigin"/> gives for k, so one load turns ten mask bits into the group's sum.
    /// </summary>
    /// <exception cref="NullReferenceException">The first layer is not one neuron over at most 32 inputs.</exception>
    public ref float KeyedOrigin => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_keyed!), _keyedOrigin);

    /// <summary>The tables as a span (for tests).</summary>
    public ReadOnlySpan<float> Values => _storage.AsSpan(_origin, Length);

    /// <summary>
    /// Recomputes every row from the canonical <paramref name="parameters"/>. Rows that share their first inputs share
    /// the start of their multiply-add chain, so a group costs 3 + 9 + 27 + 81 + 243 vector multiply-adds over the
    /// neurons instead of 243 chains of five, the last step written straight into the table: the same operations in the same order, so the same bits (about 4 µs for
    /// 25 → 16; <c>SetParameters</c> runs it, and the trainer after every step).
    /// </summary>
    public void Build(ReadOnlySpan<float> parameters)
    {
        int inputs = _layer.InputCount, width = _layer.Width, groups = ShapeRules.Groups(inputs), stride = Stride;
        // Columns: input i's weights to every neuron, padded with zeros to the stride.
        float[] columns = _columns;
        for (int k = 0; k < width; k++)
        {
            for (int i = 0; i < inputs; i++)
            {
                columns[(i * stride) + k] = parameters[_layer.WeightIndex(k, i)];
            }
        }

        float[] current = _current, next = _next;
        for (int g = 0; g < groups; g++)
        {
            int first = g * ShapeRules.GroupSize, count = Math.Min(ShapeRules.GroupSize, inputs - first);
            int table = _origin + (g * ShapeRules.GroupRows * stride);
            Array.Clear(current, 0, stride);
            if (g == 0)
            {
                for (int k = 0; k < width; k++)
                {
                    current[k] = parameters[_layer.BiasIndex(k)];
                }
            }

            int rows = 1;
            for (int j = 0; j < count; j++)
            {
                // Digit j of the row (0 → input 0, 1 → +1, 2 → −1) is worth 3^j: row r + d·3^j extends prefix r. The
                // last input writes straight into the group's table.
                bool last = j == count - 1;
                float[] target = last ? _storage : next;
                int at = last ? table : 0;
                ref float column = ref columns[(first + j) * stride];
                for (int r = 0; r < rows; r++)
                {
                    Extend(ref column, ref current[r * stride], ref target[at + (r * stride)], ref target[at + ((r + rows) * stride)],
                        ref target[at + ((r + (2 * rows)) * stride)], stride);
                }

                (current, next) = (next, current);
                rows *= 3;
            }

            // A short last group uses 3^count rows; the others are never read, and are kept zero.
            _storage.AsSpan(table + (rows * stride), (ShapeRules.GroupRows - rows) * stride).Clear();
        }

        if (_keyed != null)
        {
            // One neuron: every key's sum copied out of its row (about 5,000 copies for 25 inputs), so a batch gathers
            // a group's sums of eight rows with one instruction. Keys with a bit in both masks copy row 0; never read.
            for (int g = 0; g < groups; g++)
            {
                int table = _origin + (g * ShapeRules.GroupRows * stride), keyed = _keyedOrigin + (g * KeyCount);
                for (int key = 0; key < KeyCount; key++)
                {
                    _keyed[keyed + key] = _storage[table + _keyOffsets[key]];
                }
            }
        }
    }

    /// <summary>
    /// The masks of eight packed rows (positive then negative per row, at most 32 inputs) as two vectors of eight
    /// lanes: row r's positive bits in lane r of <paramref name="positive"/>, its negative bits in lane r of
    /// <paramref name="negative"/> (a group's key is then two shifts, two ands and an or: <see cref="GatherGroup"/>).
    /// Requires AVX2 (<see cref="CanGather"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GatherLanes8(ref ulong masks, out Vector256<int> positive, out Vector256<int> negative)
    {
        ref int dwords = ref Unsafe.As<ulong, int>(ref masks);
        // Two rows per vector: (p0, 0, n0, 0 | p1, 0, n1, 0); the low dwords picked, then the rows put in order.
        Vector256<float> a = Vector256.LoadUnsafe(ref dwords).AsSingle(), b = Vector256.LoadUnsafe(ref dwords, 8).AsSingle();
        Vector256<float> c = Vector256.LoadUnsafe(ref dwords, 16).AsSingle(), d = Vector256.LoadUnsafe(ref dwords, 24).AsSingle();
        Vector256<float> ab = Avx.Shuffle(a, b, 0x88), cd = Avx.Shuffle(c, d, 0x88); // (p0 n0 p2 n2 | p1 n1 p3 n3), rows 4-7 alike
        Vector256<int> order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        positive = Avx2.PermuteVar8x32(Avx.Shuffle(ab, cd, 0x88).AsInt32(), order);
        negative = Avx2.PermuteVar8x32(Avx.Shuffle(ab, cd, 0xDD).AsInt32(), order);
    }

    /// <summary>
    /// The masks of sixteen packed rows (positive then negative per row, at most 32 inputs) as two vectors of sixteen
    /// lanes: row r's positive bits in lane r of <paramref name="positive"/>, its negative bits in lane r of
    /// <paramref name="negative"/>. Requires AVX-512F (<see cref="Vector512.IsHardwareAccelerated"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GatherLanes16(ref ulong masks, out Vector512<int> positive, out Vector512<int> negative)
    {
        ref int dwords = ref Unsafe.As<ulong, int>(ref masks);
        // Rows 0-7, then 8-15: the low dwords of their positive masks, then of their negative masks; then the halves.
        Vector512<int> pick = Vector512.Create(0, 4, 8, 12, 16, 20, 24, 28, 2, 6, 10, 14, 18, 22, 26, 30);
        Vector512<int> low = Avx512F.PermuteVar16x32x2(Vector512.LoadUnsafe(ref dwords), pick, Vector512.LoadUnsafe(ref dwords, 16));
        Vector512<int> high = Avx512F.PermuteVar16x32x2(Vector512.LoadUnsafe(ref dwords, 32), pick, Vector512.LoadUnsafe(ref dwords, 48));
        positive = Avx512F.Shuffle4x128(low, high, 0x44);
        negative = Avx512F.Shuffle4x128(low, high, 0xEE);
    }

    /// <summary>
    /// The masks of sixteen packed rows (positive then negative per row, up to 64 inputs) as four vectors of sixteen
    /// lanes: lane r of <paramref name="positiveLow"/> and <paramref name="positiveHigh"/> holds the low and the high 32
    /// bits of row r's positive mask, lane r of <paramref name="negativeLow"/> and <paramref name="negativeHigh"/> those of
    /// its negative mask. Requires AVX-512F (<see cref="Vector512.IsHardwareAccelerated"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GatherHalves16(ref ulong masks, out Vector512<int> positiveLow, out Vector512<int> positiveHigh,
        out Vector512<int> negativeLow, out Vector512<int> negativeHigh)
    {
        ref int dwords = ref Unsafe.As<ulong, int>(ref masks);
        Vector512<int> rows0 = Vector512.LoadUnsafe(ref dwords), rows4 = Vector512.LoadUnsafe(ref dwords, 16);
        Vector512<int> rows8 = Vector512.LoadUnsafe(ref dwords, 32), rows12 = Vector512.LoadUnsafe(ref dwords, 48);
        // Rows 0-7, then 8-15: their positive masks' low (high) dwords, then their negative masks'; then the halves.
        Vector512<int> low = Vector512.Create(0, 4, 8, 12, 16, 20, 24, 28, 2, 6, 10, 14, 18, 22, 26, 30), high = low + Vector512<int>.One;
        Vector512<int> low0 = Avx512F.PermuteVar16x32x2(rows0, low, rows4), low8 = Avx512F.PermuteVar16x32x2(rows8, low, rows12);
        Vector512<int> high0 = Avx512F.PermuteVar16x32x2(rows0, high, rows4), high8 = Avx512F.PermuteVar16x32x2(rows8, high, rows12);
        positiveLow = Avx512F.Shuffle4x128(low0, low8, 0x44);
        negativeLow = Avx512F.Shuffle4x128(low0, low8, 0xEE);
        positiveHigh = Avx512F.Shuffle4x128(high0, high8, 0x44);
        negativeHigh = Avx512F.Shuffle4x128(high0, high8, 0xEE);
    }

    /// <summary>
    /// Group <paramref name="group"/>'s sum (bias included in group 0) for the eight rows of <see cref="GatherLanes8"/>,
    /// one gather from the keyed copy of the table: the same floats the row loads read, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> GatherGroup(Vector256<int> positive, Vector256<int> negative, int group)
    {
        int shift = group * ShapeRules.GroupSize;
        // The negative bits land five above the positive ones (a constant shift: the JIT folds the choice).
        Vector256<int> high = shift == 0 ? negative << 5 : negative >>> (shift - 5);
        Vector256<int> key = ((positive >>> shift) & Vector256.Create(31)) | (high & Vector256.Create(31 << 5));
        unsafe
        {
            float* origin = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_keyed!)) + _keyedOrigin + (group * KeyCount);
            return Avx2.GatherVector256(origin, key, sizeof(float));
        }
    }

    /// <summary>
    /// The three extensions of one prefix by the next input: fma(0, w, s), fma(+1, w, s), fma(−1, w, s), lane by lane
    /// (computed, not copied, so that signed zeros come out as the chain's own do). SIMD and scalar give the same bits.
    /// </summary>
    private static void Extend(ref float column, ref float prefix, ref float zero, ref float plus, ref float minus, int stride)
    {
        int k = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; k <= stride - 8; k += 8)
            {
                Vector256<float> w = Vector256.LoadUnsafe(ref column, (nuint)k), s = Vector256.LoadUnsafe(ref prefix, (nuint)k);
                Vector256.FusedMultiplyAdd(Vector256<float>.Zero, w, s).StoreUnsafe(ref zero, (nuint)k);
                Vector256.FusedMultiplyAdd(Vector256<float>.One, w, s).StoreUnsafe(ref plus, (nuint)k);
                Vector256.FusedMultiplyAdd(-Vector256<float>.One, w, s).StoreUnsafe(ref minus, (nuint)k);
            }
        }

        for (; k < stride; k++)
        {
            float w = Unsafe.Add(ref column, k), s = Unsafe.Add(ref prefix, k);
            Unsafe.Add(ref zero, k) = MathF.FusedMultiplyAdd(0f, w, s);
            Unsafe.Add(ref plus, k) = MathF.FusedMultiplyAdd(1f, w, s);
            Unsafe.Add(ref minus, k) = MathF.FusedMultiplyAdd(-1f, w, s);
        }
    }

    /// <summary>
    /// Group <paramref name="group"/>'s keys (<see cref="Key"/>) of the sixteen rows of <see cref="GatherLanes16"/> or
    /// <see cref="UnpackLanes16"/>: lane r holds row r's key, the offset of its sum from the group's keyed table at
    /// <see cref="KeyedOrigin"/> + <c>group · 1024</c>. Requires AVX-512F (<see cref="Vector512.IsHardwareAccelerated"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Keys16(Vector512<int> positive, Vector512<int> negative, int group)
    {
        int shift = group * ShapeRules.GroupSize;
        // The negative bits land five above the positive ones (a constant shift: the JIT folds the choice).
        Vector512<int> high = shift == 0 ? negative << 5 : negative >>> (shift - 5);
        return ((positive >>> shift) & Vector512.Create(31)) | (high & Vector512.Create(31 << 5));
    }

    /// <summary>
    /// Packs 64 validated sbyte rows of <paramref name="inputs"/> values (<c>64 · inputs</c> bytes at
    /// <paramref name="rows"/>) into two bit streams of <c>inputs</c> words each: bit <c>inputs · r + i</c> of
    /// <paramref name="positive"/> is set when input i of row r is +1, of <paramref name="negative"/> when it is -1 (the
    /// rows' values in order, one compare of 64 bytes per word). <see cref="UnpackLanes16"/> reads them, and reads up to 64 bytes
    /// past the last word: each stream's buffer holds <c>inputs + 8</c> words. Requires AVX-512BW
    /// (<see cref="Vector512.IsHardwareAccelerated"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PackRows64(ref sbyte rows, int inputs, ref ulong positive, ref ulong negative)
    {
        for (int i = 0; i < inputs; i++)
        {
            Vector512<sbyte> v = Vector512.LoadUnsafe(ref rows, (nuint)(64 * i));
            Unsafe.Add(ref positive, i) = Vector512.Equals(v, Vector512<sbyte>.One).ExtractMostSignificantBits();
            Unsafe.Add(ref negative, i) = Vector512.Equals(v, Vector512<sbyte>.AllBitsSet).ExtractMostSignificantBits();
        }
    }

    /// <summary>Whether <see cref="UnpackLanes16"/> runs here and takes rows of <paramref name="inputs"/> values.</summary>
    public static bool CanUnpackLanes16(int inputs) => inputs <= MaxUnpackedInputs && Avx512Vbmi.IsSupported;

    /// <summary>Row length <see cref="UnpackLanes16"/> reads: a row's bits and their shift within a byte fit a 32-bit lane.</summary>
    private const int MaxUnpackedInputs = 25;

    /// <summary>
    /// Rows <c>16 · block</c> to <c>16 · block + 15</c> of a bit stream of <see cref="PackRows64"/> as sixteen lanes: lane j
    /// holds that row's <paramref name="inputs"/> bits (the masks <see cref="GatherLanes16"/> gives for packed rows). One
    /// byte permute, one variable shift and an and per stream. Requires <see cref="CanUnpackLanes16"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> UnpackLanes16(ref ulong stream, int inputs, int block, Vector512<byte> bytes, Vector512<uint> shifts)
    {
        Vector512<byte> window = Vector512.LoadUnsafe(ref Unsafe.As<ulong, byte>(ref stream), (nuint)(2 * inputs * block));
        Vector512<uint> lanes = Avx512Vbmi.PermuteVar64x8(window, bytes).AsUInt32();
        return Avx512F.ShiftRightLogicalVariable(lanes, shifts).AsInt32() & Vector512.Create((1 << inputs) - 1);
    }

    /// <summary>
    /// The constants of <see cref="UnpackLanes16"/> for rows of <paramref name="inputs"/> values: the four bytes of the
    /// stream that hold lane j's row (from byte ⌊inputs · j / 8⌋), and the shift of its first bit within them.
    /// </summary>
    public static (Vector512<byte> Bytes, Vector512<uint> Shifts) UnpackConstants(int inputs)
    {
        if (inputs < 1 || inputs > MaxUnpackedInputs)
        {
            throw new ArgumentOutOfRangeException(nameof(inputs), inputs, $"Between 1 and {MaxUnpackedInputs} inputs.");
        }

        Span<byte> bytes = stackalloc byte[64];
        Span<uint> shifts = stackalloc uint[16];
        for (int j = 0; j < 16; j++)
        {
            int start = inputs * j;
            for (int b = 0; b < 4; b++)
            {
                bytes[(4 * j) + b] = (byte)((start >> 3) + b);
            }

            shifts[j] = (uint)(start & 7);
        }

        return (Vector512.Create((ReadOnlySpan<byte>)bytes), Vector512.Create((ReadOnlySpan<uint>)shifts));
    }

    /// <summary>
    /// The table row of the group whose five inputs start at bit <paramref name="shift"/> of the packed masks (bits
    /// beyond the input count must be clear, as <see cref="TernaryInput.ValidatePacked(ulong, ulong, int)"/> ensures).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Row(ulong positive, ulong negative, int shift) =>
        Base3[(int)(positive >> shift) & 31] + (2 * Base3[(int)(negative >> shift) & 31]);

    /// <summary>
    /// The ten-bit key of the group whose five inputs start at bit <paramref name="shift"/>: its positive bits, then its
    /// negative bits above them. <see cref="KeyOrigin"/> maps it to the group's row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Key(ulong positive, ulong negative, int shift) =>
        (int)((positive >> shift) & 31) | (int)(((negative >> shift) & 31) << 5);

    /// <summary>The base-3 value of five bits: bit i counts 3^i.</summary>
    private static ReadOnlySpan<byte> Base3 =>
    [
        0, 1, 3, 4, 9, 10, 12, 13, 27, 28, 30, 31, 36, 37, 39, 40,
        81, 82, 84, 85, 90, 91, 93, 94, 108, 109, 111, 112, 117, 118, 120, 121,
    ];
}
