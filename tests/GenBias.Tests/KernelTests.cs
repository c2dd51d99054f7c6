using System;
using System.Linq;
using System.Runtime.Intrinsics;
using Xunit;

namespace GenBias.Tests;

public class KernelTests
{
    [Fact]
    public void The_vector_tree_equals_the_scalar_tree()
    {
        var random = new Random(2);
        for (int trial = 0; trial < 1000; trial++)
        {
            float[] p = [.. Enumerable.Range(0, 8).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 4))))];
            Assert.Equal(
                BitConverter.SingleToInt32Bits(CanonicalSum.Tree(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7])),
                BitConverter.SingleToInt32Bits(CanonicalSum.Tree(Vector256.Create(p))));
        }
    }

    [Fact]
    public void On_the_grid_a_first_layer_neuron_has_the_same_bits_in_any_order()
    {
        var random = new Random(3);
        NetworkShape shape = NetworkShape.Create(25, (4, Activation.Tanh));
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 8))];
        Assert.False(FixedPointGrid.IsFirstLayerOnGrid(shape, parameters));
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        Assert.True(FixedPointGrid.IsFirstLayerOnGrid(shape, parameters));

        LayerShape layer = shape.Layers[0];
        for (int trial = 0; trial < 500; trial++)
        {
            float[] x = [.. Enumerable.Range(0, 25).Select(_ => (float)random.Next(-1, 2))];
            for (int k = 0; k < layer.Width; k++)
            {
                float[] w = parameters.AsSpan(layer.WeightIndex(k, 0), 25).ToArray();
                float canonical = CanonicalSum.PreActivation(x, w, parameters[layer.BiasIndex(k)]);
                // A shuffled sequential order, as a Gray-code or table enumerator would use.
                int[] order = [.. Enumerable.Range(0, 25).OrderBy(_ => random.Next())];
                float sum = parameters[layer.BiasIndex(k)];
                foreach (int i in order)
                {
                    sum += x[i] * w[i];
                }

                Assert.Equal(BitConverter.SingleToInt32Bits(canonical), BitConverter.SingleToInt32Bits(sum));
            }
        }
    }

    [Fact]
    public void Snapping_scales_down_a_neuron_whose_weights_exceed_the_bound()
    {
        NetworkShape shape = NetworkShape.Create(64, (1, Activation.Tanh));
        float[] parameters = [.. Enumerable.Repeat(10f, shape.ParameterCount)];
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        Assert.True(FixedPointGrid.IsFirstLayerOnGrid(shape, parameters));
        Assert.True(parameters.Sum(MathF.Abs) < FixedPointGrid.MaxAbsoluteSum);
    }

    [Fact]
    public void Input_conversion_matches_the_scalar_definition()
    {
        var random = new Random(4);
        for (int n = 1; n <= 64; n++)
        {
            sbyte[] input = [.. Enumerable.Range(0, n).Select(_ => (sbyte)random.Next(-1, 2))];
            float[] floats = new float[n], packed = new float[n];
            TernaryInput.ToFloats(input, floats);
            (ulong positive, ulong negative) = TernaryInput.Pack(input);
            TernaryInput.PackedToFloats(positive, negative, n, packed);
            Assert.Equal(input.Select(v => (float)v), floats);
            Assert.Equal(floats, packed);
            Assert.True(TernaryInput.AllTernary(input));
            input[random.Next(n)] = 2;
            Assert.False(TernaryInput.AllTernary(input));
        }
    }

    [Fact]
    public void A_value_outside_minus_one_to_one_is_found_at_every_position_of_every_length()
    {
        // Lengths across every vector width's loop and overlapping tail.
        for (int n = 1; n <= 200; n++)
        {
            sbyte[] input = [.. Enumerable.Range(0, n).Select(i => (sbyte)((i % 3) - 1))];
            Assert.True(TernaryInput.AllTernary(input));
            for (int at = 0; at < n; at++)
            {
                sbyte kept = input[at];
                foreach (sbyte bad in new sbyte[] { 2, -2, sbyte.MaxValue, sbyte.MinValue })
                {
                    input[at] = bad;
                    Assert.False(TernaryInput.AllTernary(input), $"length {n}, value {bad} at {at}");
                }

                input[at] = kept;
            }
        }
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public void Transposition_puts_input_i_of_row_t_at_i_times_rows_plus_t(int rows)
    {
        var random = new Random(6);
        foreach (int width in new[] { 1, 3, 7, 8, 9, 16, 25, 64 })
        {
            sbyte[] data = [.. Enumerable.Range(0, rows * width).Select(_ => (sbyte)random.Next(-1, 2))];
            float[] transposed = new float[rows * width];
            TernaryInput.Transpose(ref data[0], width, transposed);
            for (int t = 0; t < rows; t++)
            {
                for (int i = 0; i < width; i++)
                {
                    Assert.Equal(data[(t * width) + i], transposed[(i * rows) + t]);
                }
            }
        }
    }

    [Fact]
    public void Shapes_reject_out_of_range_specs_with_clear_messages()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NetworkShape.Create(0, (1, Activation.Tanh)));
        Assert.Contains("width 0", Assert.Throws<ArgumentException>(() => NetworkShape.Create(4, (0, Activation.Tanh))).Message);
        Assert.Contains("undefined activation", Assert.Throws<ArgumentException>(() => NetworkShape.Create(4, (1, (Activation)9))).Message);
        Assert.Throws<ArgumentException>(() => NetworkShape.Create(4));
        NetworkShape shape = NetworkShape.Create(25, (16, Activation.Tanh), (1, Activation.Tanh));
        Assert.Equal(433, shape.ParameterCount);
        Assert.Equal(17, shape.ActivationCount);
        Assert.Equal(400, shape.Layers[0].BiasOffset);
        Assert.Equal(416, shape.Layers[1].WeightOffset);
        Assert.Equal("25 → Dense(16, Tanh) → Dense(1, Tanh)", shape.ToString());
        Assert.Equal(Seed25x16x1.Shape, shape);
    }
}
