using System;
using System.Linq;
using System.Runtime.Intrinsics;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// The int16 kernels of wide first layers (WideFirstLayer.BuildShortPairs, TileShortPreActivations,
/// DotShortPreActivations): the bits of the float kernels and of the canonical sum on the grid, for any width and
/// input count, the extreme grid values included, and the rule for which layers fit.
/// </summary>
public class WideFirstLayerShortTests
{
    private const int Rows = 16;
    private const int MaxUnits = short.MaxValue;

    [Fact]
    public void A_layer_fits_the_int16_table_only_with_every_weight_on_the_grid_and_within_32767_steps()
    {
        const int Inputs = 5, Width = 3;
        int padded = ShapeRules.PaddedWidth(Width);
        var shape = NetworkShape.Create(Inputs, (Width, Activation.Tanh));
        int[] table = new int[ShapeRules.ShortPairTableInts(Inputs, Width)];
        float[] layer = new float[shape.ParameterCount];
        layer[shape.Layers[0].WeightIndex(1, 4)] = MaxUnits * FixedPointGrid.Step;
        layer[shape.Layers[0].WeightIndex(2, 0)] = -MaxUnits * FixedPointGrid.Step;
        layer[shape.Layers[0].WeightIndex(0, 3)] = -0f;
        layer[shape.Layers[0].BiasIndex(2)] = 200f;  // biases are not in 16 bits
        Assert.True(WideFirstLayer.BuildShortPairs(layer, Inputs, Width, padded, table));
        // Input 4 is the low half of pair 2 (its high half, the missing input 5, is 0); input 0 the low half of pair 0.
        Assert.Equal(MaxUnits, table[(2 * padded) + 1]);
        Assert.Equal(unchecked((int)0x0000_8001), table[2]);
        Assert.Equal(0, table[(1 * padded) + 0]);  // −0 is 0 steps
        Assert.Equal(BitConverter.SingleToInt32Bits(200f), table[(3 * padded) + 2]);
        Assert.All(Enumerable.Range(0, 4).SelectMany(p => Enumerable.Range(Width, padded - Width).Select(k => table[(p * padded) + k])), v => Assert.Equal(0, v));

        foreach (float bad in new[] { (MaxUnits + 1) * FixedPointGrid.Step, -(MaxUnits + 1) * FixedPointGrid.Step, 0.5f * FixedPointGrid.Step, 1e-9f, 3f })
        {
            float[] copy = [.. layer];
            copy[shape.Layers[0].WeightIndex(2, 3)] = bad;
            Assert.False(WideFirstLayer.BuildShortPairs(copy, Inputs, Width, padded, table), $"weight {bad:R}");
        }

        Assert.Throws<ArgumentException>(() => WideFirstLayer.BuildShortPairs(layer, Inputs, Width, padded, new int[table.Length - 1]));
        Assert.Throws<ArgumentException>(() => WideFirstLayer.BuildShortPairs(layer.AsSpan(1), Inputs, Width, padded, table));
    }

    [Theory]
    [InlineData(70, 3)]
    [InlineData(33, 17)]
    [InlineData(1023, 2)]
    public void The_int16_table_holds_every_weight_in_steps_in_pairs_of_inputs_for_any_input_count(int inputs, int width)
    {
        int padded = ShapeRules.PaddedWidth(width), pairs = (inputs + 1) / 2;
        var shape = NetworkShape.Create(inputs, (width, Activation.Tanh));
        var random = new Random(inputs);
        float[] layer = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => random.Next(-MaxUnits, MaxUnits + 1) * FixedPointGrid.Step)];
        layer[shape.Layers[0].WeightIndex(0, 0)] = MaxUnits * FixedPointGrid.Step;
        layer[shape.Layers[0].WeightIndex(width - 1, inputs - 1)] = -MaxUnits * FixedPointGrid.Step;
        int[] table = new int[ShapeRules.ShortPairTableInts(inputs, width)];
        table.AsSpan().Fill(-1);
        Assert.True(WideFirstLayer.BuildShortPairs(layer, inputs, width, padded, table));
        for (int k = 0; k < padded; k++)
        {
            for (int p = 0; p < pairs; p++)
            {
                int low = k < width ? (int)Math.Round(layer[shape.Layers[0].WeightIndex(k, 2 * p)] * 65536f) : 0;
                int high = k < width && (2 * p) + 1 < inputs ? (int)Math.Round(layer[shape.Layers[0].WeightIndex(k, (2 * p) + 1)] * 65536f) : 0;
                Assert.True((short)table[(p * padded) + k] == low && (table[(p * padded) + k] >> 16) == high, $"neuron {k}, pair {p}");
            }

            Assert.Equal(k < width ? BitConverter.SingleToInt32Bits(layer[shape.Layers[0].BiasIndex(k)]) : 0, table[(pairs * padded) + k]);
        }

        // One weight beyond 16 bits or off the grid anywhere, in the first 32 inputs or the last, and the layer does not fit.
        foreach (int i in new[] { 0, 31, 32, inputs - 1 }.Where(i => i < inputs))
        {
            foreach (float bad in new[] { (MaxUnits + 1) * FixedPointGrid.Step, -(MaxUnits + 1) * FixedPointGrid.Step, 0.5f * FixedPointGrid.Step, float.NaN })
            {
                float[] copy = [.. layer];
                copy[shape.Layers[0].WeightIndex(width - 1, i)] = bad;
                Assert.False(WideFirstLayer.BuildShortPairs(copy, inputs, width, padded, table), $"input {i}, weight {bad:R}");
            }
        }
    }

    [Theory]
    [InlineData(64, 64, 1)]
    [InlineData(65, 32, 2)]
    [InlineData(784, 64, 3)]
    [InlineData(130, 41, 4)]
    [InlineData(100, 112, 5)]
    [InlineData(1024, 256, 6)]
    [InlineData(1023, 48, 7)]
    [InlineData(201, 80, 8)]
    [InlineData(97, 16, 9)]
    public void Int16_register_tiles_give_the_bits_of_the_float_tiles_and_the_canonical_sum(int inputs, int width, int seed)
    {
        int padded = ShapeRules.PaddedWidth(width);
        int[] table = new int[ShapeRules.ShortPairTableInts(inputs, width)];
        sbyte[] rows = Rows16(inputs, new Random(seed));
        float[] pre = new float[Rows * padded];
        if (!Vector512.IsHardwareAccelerated)
        {
            Assert.Throws<ArgumentException>(() => WideFirstLayer.TileShortPreActivations(ref rows[0], inputs, ref table[0], padded, width, ref pre[0]));
            return;
        }

        (NetworkShape shape, float[] parameters) = Layer(inputs, width, seed);
        Assert.True(WideFirstLayer.BuildShortPairs(parameters, inputs, width, padded, table));
        var columns = new AlignedFloats(ShapeRules.PackedLayerSize(inputs, width));
        ParameterPacking.Pack(shape, parameters, columns.Span);
        float[] floats = new float[Rows * padded];
        WideFirstLayer.TilePreActivations(ref rows[0], inputs, ref columns.Origin, padded, width, ref floats[0]);
        pre.AsSpan().Fill(float.NaN);
        WideFirstLayer.TileShortPreActivations(ref rows[0], inputs, ref table[0], padded, width, ref pre[0]);
        float[] x = new float[inputs];
        for (int r = 0; r < Rows; r++)
        {
            TernaryInput.ToFloats(rows.AsSpan(r * inputs, inputs), x);
            for (int k = 0; k < width; k++)
            {
                float expected = CanonicalSum.FirstLayer(x, parameters.AsSpan(shape.Layers[0].WeightIndex(k, 0), inputs), parameters[shape.Layers[0].BiasIndex(k)]);
                int at = (r * padded) + k;
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(pre[at]),
                    $"row {r}, neuron {k}: canonical {expected:R}, int16 tiles {pre[at]:R}");
                Assert.Equal(BitConverter.SingleToInt32Bits(floats[at]), BitConverter.SingleToInt32Bits(pre[at]));
            }

            Assert.All(pre.AsSpan((r * padded) + width, padded - width).ToArray(), v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v)));
        }

        Assert.Equal(0, BitConverter.SingleToInt32Bits(pre[0]));  // all-zero row, bias −0: +0
        CheckExtremes(shape, parameters, rows, pre, padded, 1, inputs);
    }

    [Theory]
    [InlineData(64, 8, 1)]
    [InlineData(65, 31, 2)]
    [InlineData(100, 8, 3)]
    [InlineData(784, 20, 4)]
    [InlineData(201, 9, 5)]
    [InlineData(130, 17, 6)]
    [InlineData(1023, 12, 7)]
    [InlineData(1024, 8, 8)]
    [InlineData(99, 3, 9)]
    public void Int16_dot_products_give_the_bits_of_the_float_dot_products_and_the_canonical_sum(int inputs, int width, int seed)
    {
        int padded = ShapeRules.PaddedWidth(width);
        int[] table = new int[ShapeRules.ShortPairTableInts(inputs, width)];
        sbyte[] rows = Rows16(inputs, new Random(seed));
        float[] pre = new float[Rows * width];
        if (!Vector512.IsHardwareAccelerated)
        {
            Assert.Throws<ArgumentException>(() => WideFirstLayer.DotShortPreActivations(ref rows[0], inputs, ref table[0], padded, width, ref pre[0]));
            return;
        }

        (NetworkShape shape, float[] parameters) = Layer(inputs, width, seed);
        Assert.True(WideFirstLayer.BuildShortPairs(parameters, inputs, width, padded, table));
        float[] floats = new float[Rows * width];
        WideFirstLayer.DotPreActivations(ref rows[0], inputs, ref parameters[0], ref parameters[shape.Layers[0].BiasIndex(0)], width, ref floats[0]);
        pre.AsSpan().Fill(float.NaN);
        WideFirstLayer.DotShortPreActivations(ref rows[0], inputs, ref table[0], padded, width, ref pre[0]);
        float[] x = new float[inputs];
        for (int r = 0; r < Rows; r++)
        {
            TernaryInput.ToFloats(rows.AsSpan(r * inputs, inputs), x);
            for (int k = 0; k < width; k++)
            {
                float expected = CanonicalSum.FirstLayer(x, parameters.AsSpan(shape.Layers[0].WeightIndex(k, 0), inputs), parameters[shape.Layers[0].BiasIndex(k)]);
                int at = (k * Rows) + r;
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(pre[at]),
                    $"row {r}, neuron {k}: canonical {expected:R}, int16 dot products {pre[at]:R}");
                Assert.Equal(BitConverter.SingleToInt32Bits(floats[at]), BitConverter.SingleToInt32Bits(pre[at]));
            }
        }

        Assert.Equal(0, BitConverter.SingleToInt32Bits(pre[0]));  // all-zero row, bias −0: +0
        CheckExtremes(shape, parameters, rows, pre, 1, Rows, inputs);
    }

    [Theory]
    [InlineData(41, 48)]
    [InlineData(64, 64)]
    [InlineData(1, 16)]
    [InlineData(250, 256)]
    public void Sums_of_16_rows_move_into_lanes_neuron_by_neuron(int width, int padded)
    {
        float[] sums = [.. Enumerable.Range(0, Rows * padded).Select(i => (float)i)];
        float[] lanes = new float[(Rows * width) + 16];
        lanes.AsSpan().Fill(float.NaN);
        if (!Vector512.IsHardwareAccelerated)
        {
            Assert.Throws<ArgumentException>(() => WideFirstLayer.TransposeSums16(ref sums[0], padded, width, ref lanes[0]));
            return;
        }

        WideFirstLayer.TransposeSums16(ref sums[0], padded, width, ref lanes[0]);
        for (int k = 0; k < width; k++)
        {
            for (int t = 0; t < Rows; t++)
            {
                Assert.Equal(sums[(t * padded) + k], lanes[(16 * k) + t]);
            }
        }

        Assert.All(lanes.AsSpan(Rows * width).ToArray(), v => Assert.True(float.IsNaN(v)));  // nothing past the last neuron
        Assert.Throws<ArgumentException>(() => WideFirstLayer.TransposeSums16(ref sums[0], padded - 16, padded, ref lanes[0]));
    }

    [Fact]
    public void Int16_kernels_reject_what_they_cannot_compute()
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return;
        }

        sbyte[] rows = new sbyte[Rows * 63];
        int[] table = new int[ShapeRules.ShortPairTableInts(63, 64)];
        float[] pre = new float[Rows * 64];
        Assert.Throws<ArgumentException>(() => WideFirstLayer.TileShortPreActivations(ref rows[0], 63, ref table[0], 64, 64, ref pre[0]));
        Assert.Throws<ArgumentException>(() => WideFirstLayer.DotShortPreActivations(ref rows[0], 63, ref table[0], 64, 8, ref pre[0]));
        Assert.Throws<ArgumentException>(() => WideFirstLayer.TileShortPreActivations(ref rows[0], 64, ref table[0], 48, 64, ref pre[0]));
    }

    /// <summary>
    /// A random first layer on the grid whose weights fit 16 bits, with the extremes: neuron 0's bias −0; input 3 zero in
    /// every neuron; neuron 1 at Σ|w| + |b| = 2^24 − 1 steps (just under 256: up to 512 weights of ±32767 steps, the rest
    /// of the budget in the bias); neuron 2's weights ±1 step; neuron 3 every weight −32767 steps and its bias −1 step
    /// (where that stays under the bound).
    /// </summary>
    private static (NetworkShape Shape, float[] Parameters) Layer(int inputs, int width, int seed)
    {
        var random = new Random(seed);
        var shape = NetworkShape.Create(inputs, (width, Activation.Tanh));
        LayerShape first = shape.Layers[0];
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 2 / Math.Sqrt(inputs)))];
        parameters[first.BiasIndex(0)] = -0f;
        for (int k = 0; k < width; k++)
        {
            parameters[first.WeightIndex(k, 3)] = 0f;
        }

        FixedPointGrid.SnapFirstLayer(shape, parameters);
        if (width > 1)
        {
            long budget = FixedPointGrid.MaxAbsoluteUnits - 1;
            for (int i = 0; i < inputs; i++)
            {
                long units = Math.Min(MaxUnits, budget);
                int sign = random.Next(2) == 0 ? -1 : 1;
                parameters[first.WeightIndex(1, i)] = sign * units * FixedPointGrid.Step;
                budget -= units;
            }

            parameters[first.BiasIndex(1)] = Math.Min(budget, 200L * FixedPointGrid.UnitsPerOne) * FixedPointGrid.Step;
        }

        if (width > 2)
        {
            for (int i = 0; i < inputs; i++)
            {
                parameters[first.WeightIndex(2, i)] = (random.Next(2) == 0 ? -1 : 1) * FixedPointGrid.Step;
            }
        }

        if (width > 3 && ((long)inputs * MaxUnits) + 1 < FixedPointGrid.MaxAbsoluteUnits)
        {
            parameters.AsSpan(first.WeightIndex(3, 0), inputs).Fill(-MaxUnits * FixedPointGrid.Step);
            parameters[first.BiasIndex(3)] = -FixedPointGrid.Step;
        }

        Assert.True(FixedPointGrid.IsFirstLayerOnGrid(shape, parameters));
        return (shape, parameters);
    }

    /// <summary>
    /// Sixteen rows: 0 zeros, 1 all +1, 2 all −1, 3 only the last input (−1, the odd pair's single input where the count is
    /// odd), 4 only the first (+1), 5 and 6 sparse, the rest random with shares of zeros; rows 8-11 as a whole tile sparse.
    /// </summary>
    private static sbyte[] Rows16(int inputs, Random random)
    {
        sbyte[] rows = new sbyte[Rows * inputs];
        rows.AsSpan(1 * inputs, inputs).Fill(1);
        rows.AsSpan(2 * inputs, inputs).Fill(-1);
        rows[(4 * inputs) - 1] = -1;
        rows[4 * inputs] = 1;
        for (int r = 5; r < Rows; r++)
        {
            double zeroShare = r < 7 || (r >= 8 && r < 12) ? 0.95 : (r - 7) / 9.0;
            for (int i = 0; i < inputs; i++)
            {
                rows[(r * inputs) + i] = random.NextDouble() < zeroShare ? (sbyte)0 : (sbyte)((random.Next(2) * 2) - 1);
            }
        }

        return rows;
    }

    /// <summary>Rows 1 and 2 of neuron 1 and 3 (all inputs ±1): the sums at the grid's extremes are exact.</summary>
    private static void CheckExtremes(NetworkShape shape, float[] parameters, sbyte[] rows, float[] pre, int rowStride, int neuronStride, int inputs)
    {
        LayerShape first = shape.Layers[0];
        for (int k = 1; k < Math.Min(4, first.Width); k += 2)
        {
            double sum = parameters[first.BiasIndex(k)];
            for (int i = 0; i < inputs; i++)
            {
                sum += parameters[first.WeightIndex(k, i)];
            }

            Assert.Equal((float)sum, pre[(1 * rowStride) + (k * neuronStride)]);
            Assert.Equal((float)(((2 * parameters[first.BiasIndex(k)]) - sum)), pre[(2 * rowStride) + (k * neuronStride)]);
        }
    }
}
