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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static byte[] EncodeRows(ReadOnlySpan<sbyte> inputs, int width)
    {
        int rows = width == 0 ? 0 : inputs.Length / width, chunks = Chunks(width);
        byte[] codes = new byte[rows * chunks];
        for (int r = 0; r < rows; r++)
        {
            Encode(inputs.Slice(r * width, width), codes.AsSpan(r * chunks, chunks));
        }

        return codes;
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
