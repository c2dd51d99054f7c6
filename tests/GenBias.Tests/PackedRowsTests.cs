using System;
using System.Linq;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// Packed rows of any width: per block of 64 inputs the positive mask, then the negative mask; packing, unpacking,
/// validation and the packed batch of networks that unpack into the sbyte batch.
/// </summary>
public class PackedRowsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(100)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(784)]
    [InlineData(1024)]
    public void Pack_then_unpack_gives_the_row_back_and_the_masks_are_per_block_positive_then_negative(int n)
    {
        var random = new Random(n);
        const int Rows = 19;
        int words = TernaryInput.PackedWordsPerRow(n);
        Assert.Equal(2 * ((n + 63) / 64), words);
        sbyte[] rows = [.. Enumerable.Range(0, Rows * n).Select(_ => (sbyte)random.Next(-1, 2))];
        rows.AsSpan(0, n).Fill(1);
        rows.AsSpan(n, n).Fill(-1);
        ulong[] packed = new ulong[Rows * words];
        for (int r = 0; r < Rows; r++)
        {
            TernaryInput.Pack(rows.AsSpan(r * n, n), packed.AsSpan(r * words, words));
        }

        // The layout, bit by bit: input i of row r is bit i % 64 of word 2 · (i / 64) (+1) or 2 · (i / 64) + 1 (−1).
        for (int r = 0; r < Rows; r++)
        {
            for (int i = 0; i < n; i++)
            {
                ulong positive = packed[(r * words) + (2 * (i / 64))], negative = packed[(r * words) + (2 * (i / 64)) + 1];
                int value = (int)((positive >> (i % 64)) & 1) - (int)((negative >> (i % 64)) & 1);
                Assert.Equal(rows[(r * n) + i], value);
            }
        }

        // Up to 64 inputs the row is exactly the two masks of the one-row form.
        if (n <= 64)
        {
            Assert.Equal(TernaryInput.Pack(rows.AsSpan(2 * n, n)), (packed[2 * words], packed[(2 * words) + 1]));
        }

        // One row at a time (exactly n values written), and the batch unpack (vector and scalar rows alike).
        sbyte[] one = new sbyte[n + 3];
        one.AsSpan().Fill(7);
        for (int r = 0; r < Rows; r++)
        {
            TernaryInput.Unpack(packed.AsSpan(r * words, words), n, one);
            Assert.Equal(rows.AsSpan(r * n, n).ToArray(), one.AsSpan(0, n).ToArray());
            Assert.Equal(new sbyte[] { 7, 7, 7 }, one.AsSpan(n).ToArray());
        }

        sbyte[] all = new sbyte[Rows * n];
        TernaryInput.UnpackRows(packed, Rows, n, all);
        Assert.Equal(rows, all);
        sbyte[] roomy = new sbyte[(Rows * n) + 64];
        TernaryInput.UnpackRows(packed, Rows, n, roomy);
        Assert.Equal(rows, roomy.AsSpan(0, Rows * n).ToArray());
        Assert.Equal(Rows, TernaryInput.ValidatePackedBatch(packed, n, 2, Rows * 2));
    }

    [Fact]
    public void Packing_and_unpacking_reject_bad_values_and_lengths()
    {
        sbyte[] row = new sbyte[130];
        row[129] = 2;
        Assert.Contains("input[129] is 2", Assert.Throws<ArgumentException>(() => TernaryInput.Pack(row, new ulong[6])).Message);
        row[129] = 0;
        Assert.Contains("is 6 (a positive", Assert.Throws<ArgumentException>(() => TernaryInput.Pack(row, new ulong[4])).Message);
        Assert.Contains("130 inputs pack into 6", Assert.Throws<ArgumentException>(() => TernaryInput.Unpack(new ulong[5], 130, new sbyte[130])).Message);
        Assert.Contains("130 are needed", Assert.Throws<ArgumentException>(() => TernaryInput.Unpack(new ulong[6], 130, new sbyte[129])).Message);
        ulong[] bad = new ulong[6];
        bad[4] = 1UL << 1;
        bad[5] = 1UL << 1;
        Assert.Contains("Input 129 is set in both", Assert.Throws<ArgumentException>(() => TernaryInput.ValidatePacked(bad, 130)).Message);
        bad[4] = 0;
        bad[5] = 1UL << 2;
        Assert.Contains("Input 130 (bit 2 of the block from input 128) is set, but the network has only 130 inputs",
            Assert.Throws<ArgumentException>(() => TernaryInput.Unpack(bad, 130, new sbyte[130])).Message);
    }

    [Fact]
    public void A_packed_batch_of_any_width_names_the_row_and_the_input_of_a_bad_bit()
    {
        const int N = 200, Rows = 5;
        int words = TernaryInput.PackedWordsPerRow(N);
        Assert.Equal(8, words);
        ulong[] packed = new ulong[Rows * words];
        Assert.Equal(Rows, TernaryInput.ValidatePackedBatch(packed, N, 1, Rows));
        Assert.Contains("41 ulongs, which is not a whole number of rows of 8",
            Assert.Throws<ArgumentException>(() => TernaryInput.ValidatePackedBatch(new ulong[41], N, 1, 5)).Message);
        Assert.Contains("5 rows of 1 outputs need 5", Assert.Throws<ArgumentException>(() => TernaryInput.ValidatePackedBatch(packed, N, 1, 4)).Message);

        // Row 3, block 1 (inputs 64 to 127): input 64 + 10 in both masks.
        packed[(3 * words) + 2] = 1UL << 10;
        packed[(3 * words) + 3] = 1UL << 10;
        string message = Assert.Throws<ArgumentException>(() => TernaryInput.ValidatePackedBatch(packed, N, 1, Rows)).Message;
        Assert.Contains("Row 3 (packedInputs[26] and [27]): Input 74 is set in both", message);

        // Row 4, the last block (inputs 192 to 199): bit 8 is input 200, beyond the last.
        packed[(3 * words) + 3] = 0;
        packed[(4 * words) + 7] = 1UL << 8;
        message = Assert.Throws<ArgumentException>(() => TernaryInput.ValidatePackedBatch(packed, N, 1, Rows)).Message;
        Assert.Contains("Row 4 (packedInputs[38] and [39]): Input 200 (bit 8 of the block from input 192) is set, but the network has only 200 inputs", message);

        // A full last block (128 inputs) has no bit beyond; up to 64 inputs the two-mask messages are unchanged.
        Assert.Equal(1, TernaryInput.ValidatePackedBatch([ulong.MaxValue, 0, 0, ulong.MaxValue], 128, 1, 1));
        message = Assert.Throws<ArgumentException>(() => TernaryInput.ValidatePackedBatch([0, 0, 1UL << 25, 0], 25, 1, 2)).Message;
        Assert.Contains("Row 1 (packedInputs[2] and [3]): Bit 25 is set", message);
    }

    [Theory]
    [InlineData(70, 1, 7)]
    [InlineData(130, 3, 33)]
    [InlineData(784, 2, 17)]
    public void The_default_packed_batch_of_any_width_gives_the_bits_of_the_sbyte_batch(int n, int outputs, int rows)
    {
        NetworkShape shape = NetworkShape.Create(n, (5, Activation.ReLU), (outputs, Activation.Tanh));
        var random = new Random(n);
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) / Math.Sqrt(n)))];
        ITernaryNetwork network = new ReferenceNetwork(shape, parameters);
        sbyte[] inputs = [.. Enumerable.Range(0, rows * n).Select(_ => (sbyte)random.Next(-1, 2))];
        int words = TernaryInput.PackedWordsPerRow(n);
        ulong[] packed = new ulong[rows * words];
        for (int r = 0; r < rows; r++)
        {
            TernaryInput.Pack(inputs.AsSpan(r * n, n), packed.AsSpan(r * words, words));
        }

        float[] expected = new float[rows * outputs], actual = new float[rows * outputs];
        network.ForwardBatch(inputs, expected);
        network.ForwardBatch(packed, actual);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        packed[words] |= 1;
        packed[words + 1] |= 1;
        Assert.Contains("Row 1 (packedInputs[", Assert.Throws<ArgumentException>(() => network.ForwardBatch(packed, actual)).Message);
    }
}
