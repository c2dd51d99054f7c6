using System;
using System.Linq;
using Xunit;

namespace GenBias.Tests.Training;

/// <summary>
/// The trainer's fast paths against their plain forms: codes encoded a word at a time, packed from codes, rows of codes
/// copied as words, the grid snap with its float bound and vector rounding, and the random bound without a division.
/// </summary>
public class TrainingFastPathTests
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 9)]
    [InlineData(5, 11)]
    [InlineData(7, 4)]
    [InlineData(23, 13)]
    [InlineData(25, 40)]
    [InlineData(64, 9)]
    [InlineData(100, 3)]
    public void Rows_encoded_a_word_at_a_time_have_the_codes_of_the_row_by_row_encoding(int inputs, int rows)
    {
        var random = new Random(inputs + rows);
        sbyte[] values = [.. Enumerable.Range(0, inputs * rows).Select(_ => (sbyte)(random.Next(3) - 1))];
        int chunks = TrainingKernel.Chunks(inputs);
        byte[] expected = new byte[rows * chunks];
        for (int r = 0; r < rows; r++)
        {
            TrainingKernel.Encode(values.AsSpan(r * inputs, inputs), expected.AsSpan(r * chunks, chunks));
        }

        Assert.Equal(expected, TrainingKernel.EncodeRows(values, inputs));
        // Into a larger buffer (as from the array pool): the codes first, the rest untouched.
        byte[] larger = Enumerable.Repeat((byte)0xEE, (rows * chunks) + 9).ToArray();
        TrainingKernel.EncodeRows(values, inputs, larger);
        Assert.Equal(expected, larger[..(rows * chunks)]);
        Assert.All(larger[(rows * chunks)..], b => Assert.Equal(0xEE, b));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(25)]
    [InlineData(33)]
    [InlineData(64)]
    public void Packed_rows_from_codes_are_the_packed_form_of_the_decoded_rows(int inputs)
    {
        const int Rows = 50;
        int chunks = TrainingKernel.Chunks(inputs);
        byte[] codes = new byte[Rows * chunks];
        TrainingKernel.DrawUniform(new DeterministicRandom(5), inputs, codes);
        ulong[] packed = new ulong[2 * Rows];
        TrainingKernel.Pack(codes, chunks, packed);
        sbyte[] row = new sbyte[inputs];
        for (int r = 0; r < Rows; r++)
        {
            TrainingKernel.Decode(codes.AsSpan(r * chunks, chunks), row);
            (ulong positive, ulong negative) = TernaryInput.Pack(row);
            Assert.Equal(positive, packed[2 * r]);
            Assert.Equal(negative, packed[(2 * r) + 1]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(16)]
    [InlineData(21)]
    public void Rows_of_codes_copied_as_words_are_the_rows_in_order(int chunks)
    {
        const int Rows = 30;
        var random = new Random(chunks);
        byte[] codes = [.. Enumerable.Range(0, Rows * chunks).Select(_ => (byte)random.Next(243))];
        int[] order = [.. Enumerable.Range(0, Rows).OrderBy(_ => random.Next())];
        byte[] copied = new byte[Rows * chunks];
        TrainingKernel.CopyRows(codes, chunks, order.AsSpan(0, 20), copied);
        for (int r = 0; r < 20; r++)
        {
            Assert.Equal(codes.AsSpan(order[r] * chunks, chunks).ToArray(), copied.AsSpan(r * chunks, chunks).ToArray());
        }

        Assert.All(copied[(20 * chunks)..], b => Assert.Equal(0, b));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingKernel.CopyRows(codes, chunks, [Rows], copied));
    }

    [Theory]
    [InlineData(25, 16, 0.5)]     // far below the bound: the float bound decides, values rounded sixteen at a time
    [InlineData(7, 3, 0.9)]
    [InlineData(40, 5, 12.0)]     // neurons about the bound: those at it scaled in double first
    [InlineData(100, 8, 5.0)]
    public void The_snap_has_the_bits_of_the_double_sum_and_the_scalar_rounding(int inputs, int width, double size)
    {
        NetworkShape shape = NetworkShape.Create(inputs, [(width, Activation.Tanh), (1, Activation.Tanh)]);
        var random = new Random(inputs * width);
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)(((random.NextDouble() * 2) - 1) * size))];
        // Halfway points and a negative zero.
        parameters[shape.Layers[0].WeightIndex(0, 0)] = 2.5f * FixedPointGrid.Step;
        parameters[shape.Layers[0].WeightIndex(0, 1)] = -0.5f * FixedPointGrid.Step;
        parameters[shape.Layers[0].WeightIndex(width - 1, inputs - 1)] = -0f;
        float[] expected = (float[])parameters.Clone();
        SnapAsBefore(shape, expected);
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), parameters.Select(BitConverter.SingleToInt32Bits));
        Assert.True(FixedPointGrid.IsFirstLayerOnGrid(shape, parameters));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(60_000)]
    [InlineData(int.MaxValue)]
    [InlineData((1 << 30) + 12_345)]
    public void Next_draws_what_the_threshold_on_every_draw_drew(int bound)
    {
        var a = new DeterministicRandom(77);
        var b = new DeterministicRandom(77);
        for (int i = 0; i < 20_000; i++)
        {
            Assert.Equal(NextAsBefore(b, bound), a.Next(bound));
        }
    }

    /// <summary>The snap as written before its fast path: every neuron's Σ|w| + |b| in double, then the scalar rounding.</summary>
    private static void SnapAsBefore(NetworkShape shape, float[] parameters)
    {
        LayerShape first = shape.Layers[0];
        for (int k = 0; k < first.Width; k++)
        {
            double sum = Math.Abs(parameters[first.BiasIndex(k)]);
            for (int i = 0; i < first.InputCount; i++)
            {
                sum += Math.Abs(parameters[first.WeightIndex(k, i)]);
            }

            double limit = FixedPointGrid.MaxAbsoluteSum - ((first.InputCount + 1) * FixedPointGrid.Step);
            float scale = sum >= limit ? (float)(limit / sum * 0.999) : 1f;
            for (int i = 0; i < first.InputCount; i++)
            {
                parameters[first.WeightIndex(k, i)] = FixedPointGrid.Snap(parameters[first.WeightIndex(k, i)] * scale);
            }

            parameters[first.BiasIndex(k)] = FixedPointGrid.Snap(parameters[first.BiasIndex(k)] * scale);
        }
    }

    /// <summary>The bounded draw as written before: the threshold found by a division on every call.</summary>
    private static int NextAsBefore(DeterministicRandom random, int bound)
    {
        ulong threshold = (ulong)-(long)bound % (ulong)bound;
        while (true)
        {
            ulong m = (random.NextUInt64() & 0xFFFFFFFF) * (ulong)bound;
            if ((m & 0xFFFFFFFF) >= threshold)
            {
                return (int)(m >> 32);
            }
        }
    }
}
