using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GenBias;

/// <summary>
/// Chunk codes, the training kernel's form of a ternary row: every five inputs one byte <c>v = Σ d_j·3^j</c>, digit
/// <c>d</c> 0 for an input of 0, 1 for +1 and 2 for −1; encoding, decoding and uniform draws over the cube.
/// </summary>
internal sealed partial class TrainingKernel
{
    /// <summary>Inputs per chunk code.</summary>
    public const int ChunkSize = 5;

    private const int RowsA = 27, ChunkRows = 36;

    /// <summary>Row of the 27-row table (times 1) and of the 9-row table (offset 27) for each chunk code.</summary>
    private static readonly int[] RowA = new int[243], RowB = new int[243];

    /// <summary>The input each digit of rows 0–26 stands for (0, +1, −1), three per row: g += row · sign is exact.</summary>
    private static readonly float[] Signs = new float[RowsA * 3];

    /// <summary>The five inputs (−1, 0, +1) of each chunk code.</summary>
    private static readonly sbyte[] Values = new sbyte[243 * ChunkSize];

    /// <summary>Each chunk code's five inputs as masks: the positive inputs' bits, then the negative inputs'.</summary>
    private static readonly ushort[] Masks = new ushort[243 * 2];

    /// <summary>For a chunk of k inputs, byte b's code b mod 3^k.</summary>
    private static readonly byte[][] Remainders = [.. Enumerable.Range(0, ChunkSize + 1).Select(k => Enumerable.Range(0, 256).Select(b => (byte)(b % (int)Math.Pow(3, k))).ToArray())];

    /// <summary>Chunk codes for <paramref name="inputs"/>.</summary>
    public static int Chunks(int inputs) => (inputs + ChunkSize - 1) / ChunkSize;

    /// <summary>Writes the chunk codes of one ternary row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Encode(ReadOnlySpan<sbyte> input, Span<byte> codes)
    {
        // Whole chunks unrolled; a last partial chunk (and any code beyond the inputs, 0) digit by digit.
        int whole = Math.Min(input.Length / ChunkSize, codes.Length);
        ref sbyte x = ref MemoryMarshal.GetReference(input);
        ref byte code = ref MemoryMarshal.GetReference(codes);
        for (int c = 0; c < whole; c++)
        {
            ref sbyte s = ref Unsafe.Add(ref x, c * ChunkSize);
            Unsafe.Add(ref code, c) = (byte)(Digit(s) + (3 * Digit(Unsafe.Add(ref s, 1))) + (9 * Digit(Unsafe.Add(ref s, 2))) +
                (27 * Digit(Unsafe.Add(ref s, 3))) + (81 * Digit(Unsafe.Add(ref s, 4))));
        }

        for (int c = whole; c < codes.Length; c++)
        {
            int v = 0, scale = 1;
            for (int j = c * ChunkSize; j < Math.Min(input.Length, (c + 1) * ChunkSize); j++)
            {
                v += Digit(input[j]) * scale;
                scale *= 3;
            }

            codes[c] = (byte)v;
        }
    }

    /// <summary>An input's digit without branches: 1 → 1, 0 → 0, −1 → 2 (x &amp; 3 is 1, 0 or 3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Digit(sbyte input)
    {
        int bits = input & 3;
        return bits - (bits >> 1);
    }

    /// <summary>The chunk codes of every row of <paramref name="inputs"/> (rows of <paramref name="width"/> values).</summary>
    public static byte[] EncodeRows(ReadOnlySpan<sbyte> inputs, int width)
    {
        int rows = width == 0 ? 0 : inputs.Length / width;
        byte[] codes = new byte[rows * Chunks(width)];
        EncodeRows(inputs, width, codes);
        return codes;
    }

    /// <summary>
    /// Writes the chunk codes of every row of <paramref name="inputs"/> (rows of <paramref name="width"/> values) into
    /// <paramref name="codes"/> (<see cref="Chunks"/>(width) a row): each chunk's five inputs read as one word, their
    /// digits found bytewise and weighted by one multiplication (<see cref="WordCode"/>); the last bytes of the
    /// inputs, where a word would read past them, input by input.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EncodeRows(ReadOnlySpan<sbyte> inputs, int width, Span<byte> codes)
    {
        int rows = width == 0 ? 0 : inputs.Length / width, chunks = Chunks(width);
        ArgumentOutOfRangeException.ThrowIfLessThan(codes.Length, rows * chunks, nameof(codes));
        ref byte x = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(inputs));
        ref byte code = ref MemoryMarshal.GetReference(codes);
        int last = width - ((chunks - 1) * ChunkSize);
        ulong lastMask = last == ChunkSize ? WordMask : (1UL << (8 * last)) - 1;
        int r = 0;
        // Rows whose every word (eight bytes from each chunk's start) lies within the inputs.
        for (; r < rows && (r * width) + ((chunks - 1) * ChunkSize) + 8 <= inputs.Length; r++)
        {
            ref byte row = ref Unsafe.Add(ref x, r * width);
            ref byte rowCode = ref Unsafe.Add(ref code, r * chunks);
            for (int c = 0; c < chunks - 1; c++)
            {
                Unsafe.Add(ref rowCode, c) = WordCode(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref row, c * ChunkSize)) & WordMask);
            }

            Unsafe.Add(ref rowCode, chunks - 1) = WordCode(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref row, (chunks - 1) * ChunkSize)) & lastMask);
        }

        for (; r < rows; r++)
        {
            Encode(inputs.Slice(r * width, width), codes.Slice(r * chunks, chunks));
        }
    }

    /// <summary>
    /// Copies the code rows <paramref name="rows"/> of <paramref name="codes"/> (<paramref name="chunks"/> a row) in that
    /// order into <paramref name="destination"/>: a row of up to sixteen codes as two overlapping words.
    /// </summary>
    public static void CopyRows(ReadOnlySpan<byte> codes, int chunks, ReadOnlySpan<int> rows, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, rows.Length * chunks, nameof(destination));
        ref byte source = ref MemoryMarshal.GetReference(codes);
        ref byte target = ref MemoryMarshal.GetReference(destination);
        for (int r = 0; r < rows.Length; r++)
        {
            int from = rows[r] * chunks;
            ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)from + (uint)chunks, (uint)codes.Length, nameof(rows));
            ref byte s = ref Unsafe.Add(ref source, from);
            ref byte t = ref Unsafe.Add(ref target, r * chunks);
            switch (chunks)
            {
                case >= 8 and <= 16:
                    Unsafe.WriteUnaligned(ref t, Unsafe.ReadUnaligned<ulong>(ref s));
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref t, chunks - 8), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref s, chunks - 8)));
                    break;
                case >= 4 and < 8:
                    Unsafe.WriteUnaligned(ref t, Unsafe.ReadUnaligned<uint>(ref s));
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref t, chunks - 4), Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref s, chunks - 4)));
                    break;
                default:
                    codes.Slice(from, chunks).CopyTo(destination.Slice(r * chunks, chunks));
                    break;
            }
        }
    }

    /// <summary>The five low bytes of a word: one chunk's inputs.</summary>
    private const ulong WordMask = 0xFF_FFFF_FFFFUL;

    /// <summary>
    /// The code of up to five inputs in the low bytes of <paramref name="word"/> (the other bytes zero): each byte's digit
    /// (x &amp; 3 is 1, 0 or 3; minus its upper bit: 1, 0, 2), then Σ d_j·3^j gathered in byte 4 by one multiplication —
    /// every other byte's partial sum stays below 256, so no carry reaches it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte WordCode(ulong word)
    {
        ulong bits = word & 0x03_0303_0303UL;
        ulong digits = bits - ((bits >> 1) & 0x01_0101_0101UL);
        return (byte)((digits * 0x01_0309_1B51UL) >> 32);
    }

    /// <summary>
    /// The packed form (<see cref="TernaryInput"/>: a positive and a negative mask a row) of rows of chunk codes,
    /// <paramref name="chunks"/> a row (at most 64 inputs).
    /// </summary>
    public static void Pack(ReadOnlySpan<byte> codes, int chunks, Span<ulong> packed)
    {
        int rows = codes.Length / chunks;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunks * ChunkSize, ShapeRules.MaxPackedInputs + ChunkSize - 1, nameof(chunks));
        ArgumentOutOfRangeException.ThrowIfLessThan(packed.Length, 2 * rows, nameof(packed));
        ref byte code = ref MemoryMarshal.GetReference(codes);
        ref ushort bits = ref MemoryMarshal.GetArrayDataReference(Masks);
        for (int r = 0; r < rows; r++)
        {
            ulong positive = 0, negative = 0;
            for (int c = 0; c < chunks; c++)
            {
                int v = Unsafe.Add(ref code, (r * chunks) + c);
                positive |= (ulong)Unsafe.Add(ref bits, 2 * v) << (ChunkSize * c);
                negative |= (ulong)Unsafe.Add(ref bits, (2 * v) + 1) << (ChunkSize * c);
            }

            packed[2 * r] = positive;
            packed[(2 * r) + 1] = negative;
        }
    }

    /// <summary>Writes the ternary row of chunk codes (the inverse of <see cref="Encode"/>).</summary>
    public static void Decode(ReadOnlySpan<byte> codes, Span<sbyte> input)
    {
        ReadOnlySpan<sbyte> values = Values;
        for (int c = 0, i = 0; i < input.Length; c++, i += ChunkSize)
        {
            int count = Math.Min(ChunkSize, input.Length - i);
            values.Slice(codes[c] * ChunkSize, count).CopyTo(input.Slice(i, count));
        }
    }

    /// <summary>
    /// Fills <paramref name="codes"/> with inputs uniform over the cube {−1, 0, 1}^n, as chunk codes: each chunk is uniform over
    /// its 3^k combinations, from one random byte (bytes at or above the largest multiple of 3^k below 256 are rejected,
    /// so the draw is exactly uniform).
    /// </summary>
    public static void DrawUniform(DeterministicRandom random, int inputs, Span<byte> codes)
    {
        int chunks = Chunks(inputs), lastCount = inputs - ((chunks - 1) * ChunkSize);
        int lastRange = lastCount == 5 ? 243 : lastCount == 4 ? 81 : lastCount == 3 ? 27 : lastCount == 2 ? 9 : 3;
        int lastLimit = 256 - (256 % lastRange);
        ReadOnlySpan<byte> lastCode = Remainders[lastCount];

        ulong bits = 0;
        int left = 0, chunk = 0, at = 0;
        if (lastCount == ChunkSize)
        {
            // Every chunk full: the accepted bytes in order are the codes. Eight bytes a draw, each written and kept
            // if below 243 (no branch); the tail below takes the same bytes the same way.
            ref byte code = ref MemoryMarshal.GetReference(codes);
            while (at <= codes.Length - 8)
            {
                bits = random.NextUInt64();
                for (int j = 0; j < 8; j++)
                {
                    byte b = (byte)(bits >> (8 * j));
                    Unsafe.Add(ref code, at) = b;
                    at += b < 243 ? 1 : 0;
                }
            }

            bits = 0;
        }

        for (; at < codes.Length; at++)
        {
            bool last = chunk == chunks - 1;
            int limit = last ? lastLimit : 243;
            while (true)
            {
                if (left == 0)
                {
                    bits = random.NextUInt64();
                    left = 8;
                }

                int b = (int)(bits & 0xFF);
                bits >>= 8;
                left--;
                if (b < limit)
                {
                    codes[at] = last ? lastCode[b] : (byte)b;
                    break;
                }
            }

            chunk = last ? 0 : chunk + 1;
        }
    }

    static TrainingKernel()
    {
        for (int v = 0; v < 243; v++)
        {
            RowA[v] = v % RowsA;
            RowB[v] = RowsA + (v / RowsA);
            for (int j = 0, digits = v; j < ChunkSize; j++, digits /= 3)
            {
                Values[(v * ChunkSize) + j] = digits % 3 == 1 ? (sbyte)1 : digits % 3 == 2 ? (sbyte)-1 : (sbyte)0;
                Masks[2 * v] |= (ushort)(digits % 3 == 1 ? 1 << j : 0);
                Masks[(2 * v) + 1] |= (ushort)(digits % 3 == 2 ? 1 << j : 0);
            }

            if (v < RowsA)
            {
                for (int j = 0, digits = v; j < 3; j++, digits /= 3)
                {
                    Signs[(3 * v) + j] = digits % 3 == 1 ? 1f : digits % 3 == 2 ? -1f : 0f;
                }
            }
        }
    }
}
