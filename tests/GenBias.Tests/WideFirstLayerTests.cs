using System;
using System.Linq;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// First layers above the table limit by adding weight columns (WideFirstLayer): the bits of the canonical sum on the
/// grid, the canonical path off it, in every generated batch.
/// </summary>
public class WideFirstLayerTests
{
    [Theory]
    [InlineData(65, 8, 1)]
    [InlineData(100, 8, 2)]
    [InlineData(130, 41, 3)]
    [InlineData(784, 64, 4)]
    public void Column_sums_equal_the_canonical_first_layer_bit_for_bit_on_the_grid(int inputs, int width, int seed)
    {
        var random = new Random(seed);
        var shape = NetworkShape.Create(inputs, (width, Activation.Tanh));
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 4 / Math.Sqrt(inputs)))];
        // Edge cases: a bias of −0 (a row of zeros must still give +0, as the canonical order does), a zero column.
        parameters[shape.Layers[0].BiasIndex(0)] = -0f;
        for (int k = 0; k < width; k++)
        {
            parameters[shape.Layers[0].WeightIndex(k, 3)] = 0f;
        }

        FixedPointGrid.SnapFirstLayer(shape, parameters);
        Assert.True(FixedPointGrid.IsFirstLayerOnGrid(shape, parameters));
        int padded = ShapeRules.PaddedWidth(width);
        float[] packed = new float[ShapeRules.PackedLayerSize(inputs, width)];
        ParameterPacking.Pack(shape, parameters, packed);

        const int Rows = 11;
        sbyte[] rows = [.. Enumerable.Range(0, Rows * inputs).Select(i => i < inputs ? (sbyte)0 : (sbyte)random.Next(-1, 2))];
        ulong[] masks = new ulong[Rows * WideFirstLayer.WordsPerRow(inputs)];
        WideFirstLayer.PackRows(ref rows[0], Rows, inputs, ref masks[0]);
        float[] pre = new float[Rows * padded];
        WideFirstLayer.PreActivations(ref masks[0], Rows, inputs, ref packed[0], padded, width, ref pre[0]);

        float[] x = new float[inputs];
        for (int r = 0; r < Rows; r++)
        {
            TernaryInput.ToFloats(rows.AsSpan(r * inputs, inputs), x);
            for (int k = 0; k < width; k++)
            {
                float expected = CanonicalSum.FirstLayer(x, parameters.AsSpan(shape.Layers[0].WeightIndex(k, 0), inputs), parameters[shape.Layers[0].BiasIndex(k)]);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(pre[(r * padded) + k]),
                    $"row {r}, neuron {k}: canonical {expected:R}, columns {pre[(r * padded) + k]:R}");
            }

            Assert.All(pre.AsSpan((r * padded) + ((width + 7) / 8 * 8), padded - ((width + 7) / 8 * 8)).ToArray(), v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v)));
        }

        Assert.Equal(0, BitConverter.SingleToInt32Bits(pre[0]));  // all-zero row, bias −0: +0
        sbyte[] bad = new sbyte[inputs];
        bad[inputs - 1] = 2;
        Assert.Throws<ArgumentException>(() => WideFirstLayer.PackRows(ref bad[0], 1, inputs, ref masks[0]));
    }

    [Theory]
    [InlineData(16, 8, 1)]
    [InlineData(65, 31, 2)]
    [InlineData(100, 8, 3)]
    [InlineData(784, 20, 4)]
    public void Dot_products_equal_the_canonical_first_layer_bit_for_bit_on_the_grid(int inputs, int width, int seed)
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            sbyte[] zeros = new sbyte[16 * inputs];
            float[] weights = new float[inputs], bias = new float[1], sums = new float[16];
            Assert.Throws<ArgumentException>(() => WideFirstLayer.DotPreActivations(ref zeros[0], inputs, ref weights[0], ref bias[0], 1, ref sums[0]));
            return;
        }

        var random = new Random(seed);
        var shape = NetworkShape.Create(inputs, (width, Activation.Tanh));
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 4 / Math.Sqrt(inputs)))];
        // Edge cases: a bias of −0 (a row of zeros must still give +0, as the canonical order does), a zero weight.
        parameters[shape.Layers[0].BiasIndex(0)] = -0f;
        parameters[shape.Layers[0].WeightIndex(1, inputs - 1)] = 0f;
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        Assert.True(FixedPointGrid.IsFirstLayerOnGrid(shape, parameters));

        const int Rows = 16;
        sbyte[] rows = [.. Enumerable.Range(0, Rows * inputs).Select(i => i < inputs ? (sbyte)0 : (sbyte)random.Next(-1, 2))];
        // The last row's last input is −1: with weight +0 its product is −0, which must not turn a zero sum negative.
        rows[^1] = -1;
        float[] pre = new float[Rows * width];
        WideFirstLayer.DotPreActivations(ref rows[0], inputs, ref parameters[0], ref parameters[shape.Layers[0].BiasIndex(0)], width, ref pre[0]);
        float[] x = new float[inputs];
        for (int r = 0; r < Rows; r++)
        {
            TernaryInput.ToFloats(rows.AsSpan(r * inputs, inputs), x);
            for (int k = 0; k < width; k++)
            {
                float expected = CanonicalSum.FirstLayer(x, parameters.AsSpan(shape.Layers[0].WeightIndex(k, 0), inputs), parameters[shape.Layers[0].BiasIndex(k)]);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(pre[(k * Rows) + r]),
                    $"row {r}, neuron {k}: canonical {expected:R}, dot products {pre[(k * Rows) + r]:R}");
            }
        }

        Assert.Equal(0, BitConverter.SingleToInt32Bits(pre[0]));  // all-zero row, bias −0: +0
    }

    public static TheoryData<string, bool> Networks => new()
    {
        { nameof(Wide100x8x1), true }, { nameof(Wide100x8x1), false },
        { nameof(Wide130x41x3), true }, { nameof(Wide130x41x3), false },
        { nameof(Wide200x32), true },
        { nameof(Wide65x31x1), true }, { nameof(Wide65x31x1), false },
        { nameof(Wide784x20x3x1), true }, { nameof(Wide784x20x3x1), false },
        { nameof(Deep130x16x33x8x1), true }, { nameof(Deep130x16x33x8x1), false },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Generated_batches_give_the_bits_of_forward_on_and_off_the_grid(string name, bool onGrid)
    {
        ITernaryNetwork network = name switch
        {
            nameof(Wide100x8x1) => new Wide100x8x1(),
            nameof(Wide130x41x3) => new Wide130x41x3(),
            nameof(Wide65x31x1) => new Wide65x31x1(),
            nameof(Wide784x20x3x1) => new Wide784x20x3x1(),
            nameof(Deep130x16x33x8x1) => new Deep130x16x33x8x1(),
            _ => new Wide200x32(),
        };
        NetworkShape shape = network.Shape;
        var random = new Random(name.Length + (onGrid ? 1 : 0));
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 3 / Math.Sqrt(shape.InputCount)))];
        if (onGrid)
        {
            FixedPointGrid.SnapFirstLayer(shape, parameters);
        }

        network.SetParameters(parameters);
        Assert.Equal(onGrid, FixedPointGrid.IsFirstLayerOnGrid(shape, parameters));
        const int Rows = 29;
        int n = shape.InputCount, outputs = shape.OutputCount;
        sbyte[] rows = [.. Enumerable.Range(0, Rows * n).Select(_ => (sbyte)random.Next(-1, 2))];
        var reference = new ReferenceNetwork(shape, parameters);
        float[] expected = new float[outputs];
        foreach (ComputePath path in Enum.GetValues<ComputePath>())
        {
            network.ComputePath = path;
            float[] batch = new float[Rows * outputs];
            network.ForwardBatch(rows, batch);
            for (int r = 0; r < Rows; r++)
            {
                reference.Forward(rows.AsSpan(r * n, n), expected);
                for (int o = 0; o < outputs; o++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(expected[o]) == BitConverter.SingleToInt32Bits(batch[(r * outputs) + o]),
                        $"{name} {path}, row {r}, output {o}: reference {expected[o]:R}, batch {batch[(r * outputs) + o]:R}");
                }
            }
        }

        // New parameters (a new version) are checked again: off the grid after the change, the batch stays exact.
        parameters[shape.Layers[0].WeightIndex(0, 0)] += 1e-7f;
        network.SetParameters(parameters);
        network.ComputePath = ComputePath.Auto;
        float[] again = new float[Rows * outputs];
        network.ForwardBatch(rows, again);
        reference = new ReferenceNetwork(shape, parameters);
        for (int r = 0; r < Rows; r++)
        {
            reference.Forward(rows.AsSpan(r * n, n), expected);
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[0]), BitConverter.SingleToInt32Bits(again[r * outputs]));
        }

        int bad = Math.Min(70, n - 1);
        var e = Assert.Throws<ArgumentException>(() => { rows[(5 * n) + bad] = 3; network.ForwardBatch(rows, new float[Rows * outputs]); });
        Assert.Contains($"input {bad})", e.Message, StringComparison.Ordinal);
    }
}
