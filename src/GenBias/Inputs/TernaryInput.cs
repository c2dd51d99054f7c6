using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenBias;

/// <summary>Checks and converts ternary inputs: spans of <see cref="sbyte"/> and the packed two-mask form.</summary>
/// <remarks>
/// The packed form of an input with at most 64 values is two masks: bit <c>i</c> of <c>positive</c> set means
/// input <c>i</c> is +1, bit <c>i</c> of <c>negative</c> set means -1, neither means 0. A packed row of any width is
/// <see cref="PackedWordsPerRow"/> ulongs: for each block of 64 inputs (the last may be shorter) its positive mask, then
/// its negative mask, so up to 64 inputs it is exactly the two masks.
/// </remarks>
public static class TernaryInput
{
    /// <summary>
    /// Throws unless <paramref name="input"/> has <paramref name="expectedLength"/> values, each -1, 0 or +1.
    /// </summary>
    /// <exception cref="ArgumentException">The length is wrong, or a value is not ternary (the message names its index).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Validate(ReadOnlySpan<sbyte> input, int expectedLength, [CallerArgumentExpression(nameof(input))] string? paramName = null)
    {
        if (input.Length != expectedLength)
        {
            ThrowWrongLength(input.Length, expectedLength, paramName);
        }

        if (!AllTernary(input))
        {
            ThrowNotTernary(input, 0, paramName);
        }
    }

    /// <summary>Throws unless the batch holds whole rows of <paramref name="width"/> ternary values; returns the row count.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static int ValidateBatch(ReadOnlySpan<sbyte> inputs, int width, int outputWidth, int outputLength,
        [CallerArgumentExpression(nameof(inputs))] string? paramName = null)
    {
        if (inputs.Length % width != 0)
        {
            throw new ArgumentException(
                $"The batch has {inputs.Length} values, which is not a whole number of rows of {width} inputs.", paramName);
        }

        int rows = inputs.Length / width;
        if (outputLength != rows * outputWidth)
        {
            throw new ArgumentException(
                $"The output span has {outputLength} values; {rows} rows of {outputWidth} outputs need {rows * outputWidth}.", "outputs");
        }

        if (!AllTernary(inputs))
        {
            ThrowNotTernary(inputs, width, paramName);
        }

        return rows;
    }

    /// <summary>
    /// Throws unless <paramref name="packedInputs"/> holds whole rows of (positive, negative) mask pairs, each valid for
    /// <paramref name="inputCount"/> inputs, and the outputs fit; returns the row count.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static int ValidatePackedBatch(ReadOnlySpan<ulong> packedInputs, int inputCount, int outputWidth, int outputLength,
        [CallerArgumentExpression(nameof(packedInputs))] string? paramName = null)
    {
        if (inputCount > ShapeRules.MaxPackedInputs)
        {
            return ValidateWidePackedBatch(packedInputs, inputCount, outputWidth, outputLength, paramName);
        }

        if (packedInputs.Length % 2 != 0)
        {
            throw new ArgumentException(
                $"The packed batch has {packedInputs.Length} masks; each row is two (positive, then negative).", paramName);
        }

        int rows = packedInputs.Length / 2;
        if (outputLength != rows * outputWidth)
        {
            throw new ArgumentException(
                $"The output span has {outputLength} values; {rows} rows of {outputWidth} outputs need {rows * outputWidth}.", "outputs");
        }

        ulong outside = inputCount >= 64 ? 0 : ~0UL << inputCount;
        if (Vector256.IsHardwareAccelerated && rows >= 2)
        {
            // Two rows per vector, (p0, n0, p1, n1): a mask and its partner swapped give p & n; any bad bit anywhere sends
            // the batch to the loop below, which names the row.
            ref ulong first = ref MemoryMarshal.GetReference(packedInputs);
            Vector256<ulong> bad = Vector256<ulong>.Zero, beyond = Vector256.Create(outside);
            int i = 0;
            for (; i + 4 <= packedInputs.Length; i += 4)
            {
                Vector256<ulong> v = Vector256.LoadUnsafe(ref first, (nuint)i);
                bad |= (v & Vector256.Shuffle(v, Vector256.Create(1UL, 0, 3, 2))) | (v & beyond);
            }

            for (; i < packedInputs.Length; i += 2)
            {
                ulong p = Unsafe.Add(ref first, i), n = Unsafe.Add(ref first, i + 1);
                bad |= Vector256.CreateScalar((p & n) | ((p | n) & outside));
            }

            if (bad == Vector256<ulong>.Zero)
            {
                return rows;
            }
        }

        for (int r = 0; r < rows; r++)
        {
            ulong positive = packedInputs[2 * r], negative = packedInputs[(2 * r) + 1];
            if ((positive & negative) != 0 || ((positive | negative) & outside) != 0)
            {
                try
                {
                    ValidatePacked(positive, negative, inputCount);
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException($"Row {r} (packedInputs[{2 * r}] and [{(2 * r) + 1}]): {e.Message}", paramName, e);
                }
            }
        }

        return rows;
    }

    /// <summary>The ulongs of one packed row of <paramref name="inputCount"/> inputs: two per block of 64 inputs.</summary>
    public static int PackedWordsPerRow(int inputCount) => ShapeRules.PackedWordsPerRow(inputCount);

    /// <summary>
    /// Packs a ternary span of any length into <see cref="PackedWordsPerRow"/>(input.Length) ulongs: for each block of
    /// 64 inputs its positive mask, then its negative mask.
    /// </summary>
    /// <exception cref="ArgumentException">The destination's length is not the packed row's, or a value is not ternary (the message names its index).</exception>
    public static void Pack(ReadOnlySpan<sbyte> input, Span<ulong> destination)
    {
        int words = ShapeRules.PackedWordsPerRow(input.Length);
        if (destination.Length != words)
        {
            throw new ArgumentException(
                $"The destination has {destination.Length} ulongs; a packed row of {input.Length} inputs is {words} (a positive and a negative mask per 64 inputs).",
                nameof(destination));
        }

        ref sbyte start = ref MemoryMarshal.GetReference(input);
        for (int c = 0; 2 * c < words; c++)
        {
            int length = Math.Min(64, input.Length - (64 * c));
            if (!TryPack(ref Unsafe.Add(ref start, 64 * c), length, out ulong positive, out ulong negative))
            {
                ThrowNotTernary(input, 0, nameof(input));
            }

            destination[2 * c] = positive;
            destination[(2 * c) + 1] = negative;
        }
    }

    /// <summary>
    /// Throws unless <paramref name="packed"/> is one valid packed row of <paramref name="inputCount"/> inputs (any
    /// width): <see cref="PackedWordsPerRow"/> ulongs, no input set in both masks, no bit beyond the last input.
    /// </summary>
    /// <exception cref="ArgumentException">The length is wrong, or a bit is invalid (the message names the input).</exception>
    public static void ValidatePacked(ReadOnlySpan<ulong> packed, int inputCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputCount);
        int words = ShapeRules.PackedWordsPerRow(inputCount);
        if (packed.Length != words)
        {
            throw new ArgumentException(
                $"The packed row has {packed.Length} ulongs; {inputCount} inputs pack into {words} (a positive and a negative mask per 64 inputs).",
                nameof(packed));
        }

        int bad = FirstBadBlock(packed, inputCount);
        if (bad >= 0)
        {
            throw new ArgumentException(BadPackedMessage(packed[2 * bad], packed[(2 * bad) + 1], 64 * bad, inputCount), nameof(packed));
        }
    }

    /// <summary>
    /// Expands one packed row of <paramref name="inputCount"/> inputs (any width, see <see cref="Pack(ReadOnlySpan{sbyte}, Span{ulong})"/>)
    /// into one sbyte per input (-1, 0, +1); exactly the first <paramref name="inputCount"/> values of the destination are written.
    /// </summary>
    /// <exception cref="ArgumentException">The row is invalid (see <see cref="ValidatePacked(ReadOnlySpan{ulong}, int)"/>), or the destination is shorter than <paramref name="inputCount"/>.</exception>
    public static void Unpack(ReadOnlySpan<ulong> packed, int inputCount, Span<sbyte> destination)
    {
        ValidatePacked(packed, inputCount);
        if (destination.Length < inputCount)
        {
            throw new ArgumentException($"The destination has {destination.Length} values; {inputCount} are needed.", nameof(destination));
        }

        UnpackRow(ref MemoryMarshal.GetReference(packed), inputCount, ref MemoryMarshal.GetReference(destination));
    }

    /// <summary>
    /// Expands a validated packed row of <paramref name="inputCount"/> inputs into exactly <paramref name="inputCount"/>
    /// sbytes at <paramref name="destination"/>, eight inputs per bit deposit where BMI2 is available.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void UnpackRow(ref ulong packed, int inputCount, ref sbyte destination)
    {
        ref byte dst = ref Unsafe.As<sbyte, byte>(ref destination);
        int i = 0;
        if (Bmi2.X64.IsSupported)
        {
            for (; i + 8 <= inputCount; i += 8)
            {
                // Eight inputs never straddle two blocks (blocks start at multiples of 64).
                ulong positive = Unsafe.Add(ref packed, 2 * (i >> 6)), negative = Unsafe.Add(ref packed, (2 * (i >> 6)) + 1);
                int shift = i & 63;
                ulong pos = Bmi2.X64.ParallelBitDeposit((positive >> shift) & 0xFF, 0x0101010101010101UL);
                ulong neg = Bmi2.X64.ParallelBitDeposit((negative >> shift) & 0xFF, 0x0101010101010101UL);
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, i), pos | (neg * 0xFF));
            }
        }

        for (; i < inputCount; i++)
        {
            ulong positive = Unsafe.Add(ref packed, 2 * (i >> 6)), negative = Unsafe.Add(ref packed, (2 * (i >> 6)) + 1);
            int shift = i & 63;
            Unsafe.Add(ref dst, i) = (byte)(sbyte)((int)((positive >> shift) & 1) - (int)((negative >> shift) & 1));
        }
    }

    /// <summary>
    /// Expands <paramref name="rowCount"/> validated packed rows of <paramref name="inputCount"/> inputs (rows of
    /// <see cref="PackedWordsPerRow"/> ulongs) into rows of sbytes (-1, 0, +1) at the start of
    /// <paramref name="destination"/>. With AVX-512 VBMI each 64 inputs take a few vector instructions: the mask broadcast,
    /// byte i/8 spread to byte i (vpermb), an AND with 1, 2, 4, …, 128 and a compare give 0 or −1 per byte, and the value
    /// is the negative bytes minus the positive bytes. Bytes past a row's end may be written before the next row
    /// overwrites them; nothing is written outside <paramref name="destination"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for <paramref name="rowCount"/> rows.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void UnpackRows(ReadOnlySpan<ulong> packed, int rowCount, int inputCount, Span<sbyte> destination)
    {
        int words = ShapeRules.PackedWordsPerRow(inputCount);
        if (rowCount < 0 || inputCount < 0 || packed.Length < rowCount * words || destination.Length < rowCount * inputCount)
        {
            throw new ArgumentException(
                $"{rowCount} packed rows of {inputCount} inputs need {rowCount * words} ulongs (given {packed.Length}) and {rowCount * inputCount} values (given {destination.Length}).",
                nameof(destination));
        }

        ref ulong source = ref MemoryMarshal.GetReference(packed);
        ref sbyte target = ref MemoryMarshal.GetReference(destination);
        if (!Avx512Vbmi.IsSupported)
        {
            for (int r = 0; r < rowCount; r++)
            {
                UnpackRow(ref Unsafe.Add(ref source, r * words), inputCount, ref Unsafe.Add(ref target, r * inputCount));
            }

            return;
        }

        Vector512<byte> spread = Vector512.Create(
            (byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3,
            4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7);
        Vector512<byte> bits = Vector512.Create(0x8040201008040201UL).AsByte();
        Span<sbyte> last = stackalloc sbyte[64];
        for (int r = 0; r < rowCount; r++)
        {
            ref ulong row = ref Unsafe.Add(ref source, r * words);
            int start = r * inputCount;
            for (int c = 0; 64 * c < inputCount; c++)
            {
                Vector512<byte> positive = Avx512Vbmi.PermuteVar64x8(Vector512.Create(Unsafe.Add(ref row, 2 * c)).AsByte(), spread);
                Vector512<byte> negative = Avx512Vbmi.PermuteVar64x8(Vector512.Create(Unsafe.Add(ref row, (2 * c) + 1)).AsByte(), spread);
                Vector512<sbyte> value = Vector512.Equals(negative & bits, bits).AsSByte() - Vector512.Equals(positive & bits, bits).AsSByte();
                int at = start + (64 * c);
                if (at + 64 <= destination.Length)
                {
                    value.StoreUnsafe(ref target, (nuint)at);
                }
                else
                {
                    value.StoreUnsafe(ref MemoryMarshal.GetReference(last));
                    last[..(inputCount - (64 * c))].CopyTo(destination[at..]);
                }
            }
        }
    }

    /// <summary>Whether every value is -1, 0 or +1.</summary>
    public static bool AllTernary(ReadOnlySpan<sbyte> input)
    {
        // v is ternary exactly when (byte)(v + 1) <= 2: the largest (byte)(v + 1) of the input is at most 2 (one add and
        // one unsigned maximum per vector; a batch validates every byte before its kernels run).
        ref sbyte start = ref MemoryMarshal.GetReference(input);
        int length = input.Length;
        if (Vector512.IsHardwareAccelerated && length >= Vector512<sbyte>.Count)
        {
            Vector512<byte> largest = Vector512<byte>.Zero;
            int i = 0;
            for (; i <= length - Vector512<sbyte>.Count; i += Vector512<sbyte>.Count)
            {
                largest = Vector512.Max(largest, (Vector512.LoadUnsafe(ref start, (nuint)i) + Vector512<sbyte>.One).AsByte());
            }

            // The final, overlapping vector covers the tail.
            largest = Vector512.Max(largest, (Vector512.LoadUnsafe(ref start, (nuint)(length - Vector512<sbyte>.Count)) + Vector512<sbyte>.One).AsByte());
            return Vector512.LessThanOrEqualAll(largest, Vector512.Create((byte)2));
        }

        if (Vector128.IsHardwareAccelerated && length >= Vector128<sbyte>.Count)
        {
            Vector128<byte> largest = Vector128<byte>.Zero;
            int i = 0;
            for (; i <= length - Vector128<sbyte>.Count; i += Vector128<sbyte>.Count)
            {
                largest = Vector128.Max(largest, (Vector128.LoadUnsafe(ref start, (nuint)i) + Vector128<sbyte>.One).AsByte());
            }

            largest = Vector128.Max(largest, (Vector128.LoadUnsafe(ref start, (nuint)(length - Vector128<sbyte>.Count)) + Vector128<sbyte>.One).AsByte());
            return Vector128.LessThanOrEqualAll(largest, Vector128.Create((byte)2));
        }

        for (int i = 0; i < length; i++)
        {
            if ((byte)(Unsafe.Add(ref start, i) + 1) > 2)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Converts ternary values to floats; <paramref name="destination"/> may be longer (the rest is untouched).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void ToFloats(ReadOnlySpan<sbyte> input, Span<float> destination)
    {
        if (destination.Length < input.Length)
        {
            throw new ArgumentException($"The destination has {destination.Length} values; {input.Length} are needed.", nameof(destination));
        }

        ref sbyte src = ref MemoryMarshal.GetReference(input);
        ref float dst = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= input.Length - 8; i += 8)
            {
                // Eight sbytes → eight ints → eight floats.
                Vector128<sbyte> bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref src, i)))).AsSByte();
                Vector128<short> shorts = Vector128.WidenLower(bytes);
                Vector256<int> ints = Vector256.Create(Vector128.WidenLower(shorts), Vector128.WidenUpper(shorts));
                Vector256.ConvertToSingle(ints).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < input.Length; i++)
        {
            Unsafe.Add(ref dst, i) = Unsafe.Add(ref src, i);
        }
    }

    /// <summary>
    /// Throws unless the packed input is valid for <paramref name="inputCount"/> inputs: no bit set in both masks,
    /// none at or above <paramref name="inputCount"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void ValidatePacked(ulong positive, ulong negative, int inputCount)
    {
        ulong allowed = inputCount >= 64 ? ulong.MaxValue : (1UL << inputCount) - 1;
        if (((positive & negative) | ((positive | negative) & ~allowed)) != 0)
        {
            ThrowBadPacked(positive, negative, inputCount);
        }
    }

    /// <summary>Expands the packed form into floats (-1, 0, +1) for the first <paramref name="inputCount"/> positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void PackedToFloats(ulong positive, ulong negative, int inputCount, Span<float> destination)
    {
        if (destination.Length < inputCount)
        {
            throw new ArgumentException($"The destination has {destination.Length} values; {inputCount} are needed.", nameof(destination));
        }

        ref float dst = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<uint> bits = Vector256.Create(1u, 2u, 4u, 8u, 16u, 32u, 64u, 128u);
            for (; i <= inputCount - 8; i += 8)
            {
                Vector256<uint> pos = Vector256.Create((uint)(positive >> i) & 0xFF) & bits;
                Vector256<uint> neg = Vector256.Create((uint)(negative >> i) & 0xFF) & bits;
                Vector256<float> value = (Vector256<float>.One & Vector256.Equals(pos, bits).AsSingle())
                    - (Vector256<float>.One & Vector256.Equals(neg, bits).AsSingle());
                value.StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < inputCount; i++)
        {
            Unsafe.Add(ref dst, i) = (int)((positive >> i) & 1) - (int)((negative >> i) & 1);
        }
    }

    /// <summary>
    /// Expands the packed form into one sbyte per input (-1, 0, +1) for the first <paramref name="inputCount"/>
    /// positions; the destination's length is rounded up to whole groups of 8, which receive zeros.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inputCount"/> is outside 0..64 (two masks hold at most 64 inputs).</exception>
    /// <exception cref="ArgumentException">A bit is set in both masks, or at or above <paramref name="inputCount"/> (see <see cref="ValidatePacked(ulong, ulong, int)"/>).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(ulong positive, ulong negative, int inputCount, Span<sbyte> destination)
    {
        if ((uint)inputCount > ShapeRules.MaxPackedInputs)
        {
            ThrowPackedInputCount(inputCount);
        }

        ValidatePacked(positive, negative, inputCount);
        int groups = (inputCount + 7) / 8;
        if (destination.Length < groups * 8)
        {
            throw new ArgumentException($"The destination has {destination.Length} values; {groups * 8} are needed.", nameof(destination));
        }

        ref byte dst = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(destination));
        if (Bmi2.X64.IsSupported)
        {
            for (int g = 0; g < groups; g++)
            {
                // pdep spreads 8 mask bits into the low bit of 8 bytes; a -1 byte is 1 · 0xFF (no carries: bytes are 0 or 1).
                ulong pos = Bmi2.X64.ParallelBitDeposit((positive >> (g * 8)) & 0xFF, 0x0101010101010101UL);
                ulong neg = Bmi2.X64.ParallelBitDeposit((negative >> (g * 8)) & 0xFF, 0x0101010101010101UL);
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, g * 8), pos | (neg * 0xFF));
            }

            return;
        }

        destination.Slice(0, groups * 8).Clear();
        for (int i = 0; i < inputCount; i++)
        {
            Unsafe.Add(ref dst, i) = (byte)(sbyte)((int)((positive >> i) & 1) - (int)((negative >> i) & 1));
        }
    }

    /// <summary>Inputs <paramref name="offset"/> to offset + 7 as floats (all eight must exist).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector256<float> LoadVector256(ref sbyte input, int offset)
    {
        Vector128<sbyte> bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref input, offset)))).AsSByte();
        if (Avx2.IsSupported)
        {
            return Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(bytes));
        }

        Vector128<short> shorts = Vector128.WidenLower(bytes);
        return Vector256.ConvertToSingle(Vector256.Create(Vector128.WidenLower(shorts), Vector128.WidenUpper(shorts)));
    }

    /// <summary>
    /// The last, partial group of eight inputs of a span of <paramref name="length"/> ≥ 8 values: lane t holds input
    /// length - r + t for t &lt; r = length % 8 (r &gt; 0), and the other lanes hold zero. It reads the last eight values
    /// and rotates them into place, so nothing beyond the span is read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector256<float> LoadVector256Tail(ref sbyte input, int length)
    {
        int r = length & 7;
        Vector256<float> last = LoadVector256(ref input, length - 8);
        // Lane t takes lane 8 - r + t; indices of 8 or more select zero.
        Vector256<int> lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        Vector256<int> index = lane + Vector256.Create(8 - r);
        index = Vector256.ConditionalSelect(Vector256.LessThan(lane, Vector256.Create(r)), index, Vector256.Create(8));
        return Vector256.Shuffle(last, index);
    }

    /// <summary>A span of fewer than 8 inputs as floats in the low lanes, zeros above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static Vector256<float> LoadVector256Short(ref sbyte input, int length)
    {
        Span<float> lanes = stackalloc float[8];
        lanes.Clear();
        for (int i = 0; i < length; i++)
        {
            lanes[i] = Unsafe.Add(ref input, i);
        }

        return Vector256.Create<float>(lanes);
    }

    /// <summary>
    /// Transposes rows of <paramref name="width"/> ternary values into floats by input: destination[i * rows + t] is
    /// input i of row t, for destination.Length / width rows read from <paramref name="rows"/>.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static unsafe void Transpose(ref sbyte rows, int width, Span<float> destination)
    {
        int count = destination.Length / width;
        ref float dst = ref MemoryMarshal.GetReference(destination);
        if ((count == 8 || count == 16) && width >= 8 && Avx2.IsSupported)
        {
            // Gathers of 8 dwords per input: the byte of row t sits at t * width + i. A dword read from there would
            // pass the last row's end, so inputs 0..2 read forwards (low byte) and the others backwards (high byte):
            // every byte read belongs to the rows.
            fixed (sbyte* start = &rows)
            {
                for (int half = 0; half < count; half += 8)
                {
                    Vector256<int> offsets = (Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) + Vector256.Create(half)) * width;
                    for (int i = 0; i < width; i++)
                    {
                        Vector256<int> words = i < 3
                            ? Avx2.GatherVector256((int*)(start + i), offsets, 1) << 24
                            : Avx2.GatherVector256((int*)(start + i - 3), offsets, 1);
                        Vector256.ConvertToSingle(words >> 24).StoreUnsafe(ref dst, (nuint)((i * count) + half));
                    }
                }
            }

            return;
        }

        // A table instead of an int → float conversion: cvtsi2ss writes only part of its register, which chains
        // every conversion to the previous one.
        ReadOnlySpan<float> values = [-1f, 0f, 1f];
        ref float value = ref MemoryMarshal.GetReference(values);
        for (int t = 0; t < count; t++)
        {
            ref sbyte row = ref Unsafe.Add(ref rows, t * width);
            for (int i = 0; i < width; i++)
            {
                Unsafe.Add(ref dst, (i * count) + t) = Unsafe.Add(ref value, Unsafe.Add(ref row, i) + 1);
            }
        }
    }

    /// <summary>Packs a ternary span of at most 64 values into the two-mask form.</summary>
    public static (ulong Positive, ulong Negative) Pack(ReadOnlySpan<sbyte> input)
    {
        if (input.Length > ShapeRules.MaxPackedInputs)
        {
            throw new ArgumentException($"The packed form holds at most 64 inputs; the span has {input.Length}.", nameof(input));
        }

        ulong positive = 0, negative = 0;
        for (int i = 0; i < input.Length; i++)
        {
            switch (input[i])
            {
                case 1: positive |= 1UL << i; break;
                case -1: negative |= 1UL << i; break;
                case 0: break;
                default: throw NotTernary(input[i], i, nameof(input));
            }
        }

        return (positive, negative);
    }

    /// <summary>
    /// Packs the <paramref name="length"/> (at most 64) values at <paramref name="input"/> into the two-mask form with
    /// vector compares and movemasks (overlapping loads, nothing read past the end); false if a value is not ternary.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryPack(ref sbyte input, int length, out ulong positive, out ulong negative)
    {
        if (length >= 32 && Vector256.IsHardwareAccelerated)
        {
            Vector256<sbyte> a = Vector256.LoadUnsafe(ref input), b = Vector256.LoadUnsafe(ref input, (nuint)(length - 32));
            int shift = length - 32;
            positive = Vector256.Equals(a, Vector256<sbyte>.One).ExtractMostSignificantBits()
                | ((ulong)Vector256.Equals(b, Vector256<sbyte>.One).ExtractMostSignificantBits() << shift);
            negative = Vector256.Equals(a, Vector256<sbyte>.AllBitsSet).ExtractMostSignificantBits()
                | ((ulong)Vector256.Equals(b, Vector256<sbyte>.AllBitsSet).ExtractMostSignificantBits() << shift);
            Vector256<byte> two = Vector256.Create((byte)2);
            return (Vector256.GreaterThan((a + Vector256<sbyte>.One).AsByte(), two) | Vector256.GreaterThan((b + Vector256<sbyte>.One).AsByte(), two))
                == Vector256<byte>.Zero;
        }

        if (length is >= 16 and <= 32 && Vector128.IsHardwareAccelerated)
        {
            int shift = length - 16;
            Vector128<sbyte> a = Vector128.LoadUnsafe(ref input), b = Vector128.LoadUnsafe(ref input, (nuint)shift);
            positive = Vector128.Equals(a, Vector128<sbyte>.One).ExtractMostSignificantBits()
                | ((ulong)Vector128.Equals(b, Vector128<sbyte>.One).ExtractMostSignificantBits() << shift);
            negative = Vector128.Equals(a, Vector128<sbyte>.AllBitsSet).ExtractMostSignificantBits()
                | ((ulong)Vector128.Equals(b, Vector128<sbyte>.AllBitsSet).ExtractMostSignificantBits() << shift);
            Vector128<byte> two = Vector128.Create((byte)2);
            return (Vector128.GreaterThan((a + Vector128<sbyte>.One).AsByte(), two) | Vector128.GreaterThan((b + Vector128<sbyte>.One).AsByte(), two))
                == Vector128<byte>.Zero;
        }

        // Short inputs, and more than 32 values where Vector256 is not accelerated: one value at a time.
        positive = 0;
        negative = 0;
        bool valid = true;
        for (int i = 0; i < length; i++)
        {
            sbyte v = Unsafe.Add(ref input, i);
            positive |= (ulong)(v == 1 ? 1 : 0) << i;
            negative |= (ulong)(v == -1 ? 1 : 0) << i;
            valid &= (byte)(v + 1) <= 2;
        }

        return valid;
    }

    /// <summary>Throws unless a caller's span has the length the network needs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void CheckLength(int length, int expected, string paramName)
    {
        if (length != expected)
        {
            ThrowLength(length, expected, paramName);
        }
    }

    /// <summary>The exception for the packed form on a network with more than 64 inputs.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static InvalidOperationException PackedUnavailable(int inputCount) =>
        new($"The packed form holds at most {ShapeRules.MaxPackedInputs} inputs; this network has {inputCount}. Use the span overload.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLength(int length, int expected, string paramName) =>
        throw new ArgumentException($"{paramName} has {length} values; the network needs {expected}.", paramName);

    private static ArgumentException NotTernary(sbyte value, int index, string? paramName) =>
        new($"{paramName}[{index}] is {value}; ternary inputs must be -1, 0 or +1.", paramName);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWrongLength(int length, int expected, string? paramName) =>
        throw new ArgumentException($"{paramName} has {length} values; the network expects {expected} ternary inputs.", paramName);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotTernary(ReadOnlySpan<sbyte> input, int rowWidth, string? paramName)
    {
        for (int i = 0; i < input.Length; i++)
        {
            if ((byte)(input[i] + 1) > 2)
            {
                if (rowWidth > 0)
                {
                    throw new ArgumentException(
                        $"{paramName}[{i}] (row {i / rowWidth}, input {i % rowWidth}) is {input[i]}; ternary inputs must be -1, 0 or +1.", paramName);
                }

                throw NotTernary(input[i], i, paramName);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowPackedInputCount(int inputCount) =>
        throw new ArgumentOutOfRangeException(nameof(inputCount), inputCount,
            $"The packed form holds 0 to {ShapeRules.MaxPackedInputs} inputs (one bit each in two 64-bit masks); {inputCount} do not fit. Use the span form.");

    private static int ValidateWidePackedBatch(ReadOnlySpan<ulong> packedInputs, int inputCount, int outputWidth, int outputLength, string? paramName)
    {
        int words = ShapeRules.PackedWordsPerRow(inputCount);
        if (packedInputs.Length % words != 0)
        {
            throw new ArgumentException(
                $"The packed batch has {packedInputs.Length} ulongs, which is not a whole number of rows of {words} ({inputCount} inputs: a positive and a negative mask per 64 inputs).",
                paramName);
        }

        int rows = packedInputs.Length / words;
        if (outputLength != rows * outputWidth)
        {
            throw new ArgumentException(
                $"The output span has {outputLength} values; {rows} rows of {outputWidth} outputs need {rows * outputWidth}.", "outputs");
        }

        // Any bad bit anywhere sends the batch to the loop below, which names the row and the input.
        // Rows have an even number of words, so the batch is a sequence of (positive, negative) pairs: four pairs per
        // vector, each mask ANDed with its partner; then the last block of each row against the bits beyond the inputs.
        ulong outside = (inputCount & 63) == 0 ? 0 : ~0UL << (inputCount & 63), bad = 0;
        ref ulong first = ref MemoryMarshal.GetReference(packedInputs);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<ulong> both = Vector512<ulong>.Zero, partner = Vector512.Create(1UL, 0, 3, 2, 5, 4, 7, 6);
            for (; i + 8 <= packedInputs.Length; i += 8)
            {
                Vector512<ulong> v = Vector512.LoadUnsafe(ref first, (nuint)i);
                both |= v & Vector512.Shuffle(v, partner);
            }

            bad = both == Vector512<ulong>.Zero ? 0UL : 1UL;
        }

        for (; i < packedInputs.Length; i += 2)
        {
            bad |= Unsafe.Add(ref first, i) & Unsafe.Add(ref first, i + 1);
        }

        if (outside != 0)
        {
            for (int r = 0; r < rows; r++)
            {
                ref ulong row = ref Unsafe.Add(ref first, r * words);
                bad |= (Unsafe.Add(ref row, words - 2) | Unsafe.Add(ref row, words - 1)) & outside;
            }
        }

        if (bad != 0)
        {
            for (int r = 0; r < rows; r++)
            {
                int block = FirstBadBlock(packedInputs.Slice(r * words, words), inputCount);
                if (block >= 0)
                {
                    int at = (r * words) + (2 * block);
                    throw new ArgumentException(
                        $"Row {r} (packedInputs[{at}] and [{at + 1}]): {BadPackedMessage(packedInputs[at], packedInputs[at + 1], 64 * block, inputCount)}",
                        paramName);
                }
            }
        }

        return rows;
    }

    /// <summary>The first block of a packed row of the right length with a bit in both masks or beyond the last input; -1 if none.</summary>
    private static int FirstBadBlock(ReadOnlySpan<ulong> packed, int inputCount)
    {
        for (int c = 0; 2 * c < packed.Length; c++)
        {
            int length = inputCount - (64 * c);
            ulong outside = length >= 64 ? 0 : ~0UL << length, positive = packed[2 * c], negative = packed[(2 * c) + 1];
            if (((positive & negative) | ((positive | negative) & outside)) != 0)
            {
                return c;
            }
        }

        return -1;
    }

    /// <summary>What is wrong with the block of masks for inputs <paramref name="offset"/> to offset + 63, which has a bad bit.</summary>
    private static string BadPackedMessage(ulong positive, ulong negative, int offset, int inputCount)
    {
        ulong both = positive & negative;
        if (both != 0)
        {
            int index = System.Numerics.BitOperations.TrailingZeroCount(both) + offset;
            return $"Input {index} is set in both the positive and the negative mask; it must be one of -1, 0, +1.";
        }

        int length = inputCount - offset;
        int bit = System.Numerics.BitOperations.TrailingZeroCount((positive | negative) >> length) + length;
        return offset == 0
            ? $"Bit {bit} is set, but the network has only {inputCount} inputs (bits 0 to {inputCount - 1})."
            : $"Input {offset + bit} (bit {bit} of the block from input {offset}) is set, but the network has only {inputCount} inputs (0 to {inputCount - 1}).";
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadPacked(ulong positive, ulong negative, int inputCount) =>
        throw new ArgumentException(BadPackedMessage(positive, negative, 0, inputCount), (positive & negative) != 0 ? nameof(negative) : nameof(positive));
}
