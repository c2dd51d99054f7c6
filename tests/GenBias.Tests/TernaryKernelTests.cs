using System;
using System.Linq;
using System.Runtime.Intrinsics;
using Xunit;

namespace GenBias.Tests;

/// <summary>The ternary kernels: the group order of the first layer, its tables, packing, and the tree of eight rows.</summary>
public class TernaryKernelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(9)]
    [InlineData(25)]
    [InlineData(41)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(1024)]
    public void The_group_order_is_the_sum_to_float_rounding_and_follows_its_definition(int n)
    {
        var random = new Random(n);
        for (int trial = 0; trial < 200; trial++)
        {
            float[] x = [.. Enumerable.Range(0, n).Select(_ => (float)random.Next(-1, 2))];
            float[] w = [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() - 0.5) * 4))];
            float bias = (float)(random.NextDouble() - 0.5);
            float actual = CanonicalSum.FirstLayer(x, w, bias);

            // Against exact arithmetic: within the rounding of n additions.
            double exact = bias + x.Zip(w, (a, b) => (double)a * b).Sum();
            double magnitude = Math.Abs(bias) + w.Sum(v => Math.Abs((double)v));
            Assert.True(Math.Abs(actual - exact) <= (n + 1) * magnitude * 6e-8, $"n {n}: {actual} against {exact}");

            // Against the definition written out independently: group sums, eight interleaved partials, the tree.
            int groups = (n + 4) / 5;
            float[] s = new float[groups];
            for (int g = 0; g < groups; g++)
            {
                s[g] = g == 0 ? bias : 0f;
                for (int i = 5 * g; i < Math.Min(5 * g + 5, n); i++)
                {
                    s[g] = MathF.FusedMultiplyAdd(x[i], w[i], s[g]);
                }
            }

            float?[] p = new float?[8];
            for (int g = 0; g < groups; g++)
            {
                p[g % 8] = p[g % 8] is { } previous ? previous + s[g] : s[g];
            }

            static float? Add(float? a, float? b) => a is null ? b : b is null ? a : a + b;
            float expected = Add(Add(Add(p[0], p[4]), Add(p[2], p[6])), Add(Add(p[1], p[5]), Add(p[3], p[7])))!.Value;
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));
        }
    }

    [Fact]
    public void On_the_grid_the_group_order_equals_the_interleaved_order()
    {
        var random = new Random(4);
        NetworkShape shape = NetworkShape.Create(64, (3, Activation.Tanh));
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 8))];
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        LayerShape layer = shape.Layers[0];
        for (int trial = 0; trial < 300; trial++)
        {
            float[] x = [.. Enumerable.Range(0, 64).Select(_ => (float)random.Next(-1, 2))];
            for (int k = 0; k < 3; k++)
            {
                float[] w = parameters.AsSpan(layer.WeightIndex(k, 0), 64).ToArray();
                Assert.Equal(
                    BitConverter.SingleToInt32Bits(CanonicalSum.PreActivation(x, w, parameters[layer.BiasIndex(k)])),
                    BitConverter.SingleToInt32Bits(CanonicalSum.FirstLayer(x, w, parameters[layer.BiasIndex(k)])));
            }
        }
    }

    [Theory]
    [InlineData(25, 16)]
    [InlineData(25, 1)]
    [InlineData(7, 3)]
    [InlineData(64, 33)]
    public void Every_table_row_is_the_group_sum_of_its_inputs(int n, int width)
    {
        var random = new Random(n * width);
        NetworkShape shape = NetworkShape.Create(n, (width, Activation.Tanh));
        // Off the grid on purpose: the tables give the canonical bits for any parameters.
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 3))];
        var tables = new FirstLayerTables(shape);
        tables.Build(parameters);
        LayerShape layer = shape.Layers[0];
        ReadOnlySpan<float> values = tables.Values;
        for (int trial = 0; trial < 500; trial++)
        {
            sbyte[] input = [.. Enumerable.Range(0, n).Select(_ => (sbyte)random.Next(-1, 2))];
            (ulong positive, ulong negative) = TernaryInput.Pack(input);
            for (int g = 0; g < (n + 4) / 5; g++)
            {
                int row = FirstLayerTables.Row(positive, negative, 5 * g);
                int key = FirstLayerTables.Key(positive, negative, 5 * g);
                Assert.Equal(row * tables.Stride, System.Runtime.CompilerServices.Unsafe.Add(ref tables.KeyOrigin, key));
                for (int k = 0; k < width; k++)
                {
                    float s = g == 0 ? parameters[layer.BiasIndex(k)] : 0f;
                    for (int i = 5 * g; i < Math.Min(5 * g + 5, n); i++)
                    {
                        s = MathF.FusedMultiplyAdd(input[i], parameters[layer.WeightIndex(k, i)], s);
                    }

                    float fromTable = values[((g * 243) + row) * tables.Stride + k];
                    Assert.Equal(BitConverter.SingleToInt32Bits(s), BitConverter.SingleToInt32Bits(fromTable));
                }
            }
        }
    }

    [Fact]
    public void Tables_are_refused_where_the_generated_code_computes_the_first_layer()
    {
        var e = Assert.Throws<ArgumentException>(() => new FirstLayerTables(NetworkShape.Create(100, (8, Activation.Tanh))));
        Assert.Contains("without tables", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryPack_equals_Pack_for_every_length_and_rejects_what_is_not_ternary()
    {
        var random = new Random(6);
        for (int n = 1; n <= 64; n++)
        {
            for (int trial = 0; trial < 50; trial++)
            {
                // The span sits inside a larger buffer, so reading past its end would see non-ternary bytes.
                sbyte[] buffer = [.. Enumerable.Range(0, n + 64).Select(_ => (sbyte)77)];
                Span<sbyte> input = buffer.AsSpan(0, n);
                for (int i = 0; i < n; i++)
                {
                    input[i] = (sbyte)random.Next(-1, 2);
                }

                (ulong positive, ulong negative) = TernaryInput.Pack(input);
                Assert.True(TernaryInput.TryPack(ref input[0], n, out ulong p, out ulong q), $"n {n}");
                Assert.Equal(positive, p);
                Assert.Equal(negative, q);

                int bad = random.Next(n);
                sbyte keep = input[bad];
                input[bad] = (sbyte)(random.Next(2) == 0 ? 2 : -128);
                Assert.False(TernaryInput.TryPack(ref input[0], n, out _, out _), $"n {n}, bad index {bad}");
                input[bad] = keep;
            }
        }
    }

    [Fact]
    public void The_tree_of_eight_rows_equals_eight_trees()
    {
        var random = new Random(8);
        for (int trial = 0; trial < 1000; trial++)
        {
            Vector256<float>[] rows = new Vector256<float>[8];
            for (int r = 0; r < 8; r++)
            {
                rows[r] = Vector256.Create([.. Enumerable.Range(0, 8).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 4))))]);
            }

            Vector256<float> all = CanonicalSum.TreeOfRows(rows[0], rows[1], rows[2], rows[3], rows[4], rows[5], rows[6], rows[7]);
            for (int r = 0; r < 8; r++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(CanonicalSum.Tree(rows[r])), BitConverter.SingleToInt32Bits(all.GetElement(r)));
            }
        }
    }

    [Fact]
    public void The_tree_of_sixteen_rows_in_pairs_equals_sixteen_trees()
    {
        var random = new Random(16);
        for (int trial = 0; trial < 1000; trial++)
        {
            Vector256<float>[] rows = new Vector256<float>[16];
            for (int r = 0; r < 16; r++)
            {
                rows[r] = Vector256.Create([.. Enumerable.Range(0, 8).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 4))))]);
            }

            Vector512<float> Pair(int q) => Vector512.Create(rows[2 * q], rows[(2 * q) + 1]);
            Vector512<float> all = CanonicalSum.TreeOfRowPairs(Pair(0), Pair(1), Pair(2), Pair(3), Pair(4), Pair(5), Pair(6), Pair(7));
            for (int r = 0; r < 16; r++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(CanonicalSum.Tree(rows[r])), BitConverter.SingleToInt32Bits(all.GetElement(r)));
            }
        }
    }

    [Fact]
    public void Sixteen_rows_transposed_into_lanes_keep_every_value()
    {
        var random = new Random(17);
        float[] block = [.. Enumerable.Range(0, 256).Select(_ => (float)random.NextDouble())];
        float[] original = [.. block];
        RowsInLanes.Transpose16(ref block[0]);
        for (int r = 0; r < 16; r++)
        {
            for (int i = 0; i < 16; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(original[(16 * r) + i]), BitConverter.SingleToInt32Bits(block[(16 * i) + r]));
            }
        }
    }

    [Fact]
    public void The_halves_of_sixteen_rows_masks_go_to_their_lanes()
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return; // AVX-512F only; the batch tests cover the kernels that call it
        }

        var random = new Random(18);
        ulong[] masks = [.. Enumerable.Range(0, 32).Select(_ => (ulong)random.NextInt64())];
        FirstLayerTables.GatherHalves16(ref masks[0], out Vector512<int> positiveLow, out Vector512<int> positiveHigh, out Vector512<int> negativeLow, out Vector512<int> negativeHigh);
        for (int r = 0; r < 16; r++)
        {
            Assert.Equal((int)masks[2 * r], positiveLow.GetElement(r));
            Assert.Equal((int)(masks[2 * r] >> 32), positiveHigh.GetElement(r));
            Assert.Equal((int)masks[(2 * r) + 1], negativeLow.GetElement(r));
            Assert.Equal((int)(masks[(2 * r) + 1] >> 32), negativeHigh.GetElement(r));
        }
    }

    [Fact]
    public void The_packed_batch_equals_the_sbyte_batch_and_names_a_bad_row()
    {
        var network = new Seed25x16x1();
        var random = new Random(9);
        float[] parameters = [.. Enumerable.Range(0, Seed25x16x1.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 0.8))];
        network.SetParameters(parameters);
        const int Rows = 173; // two chunks of 64 sbyte rows in bit streams, then 16-row and 8-row blocks and single rows
        sbyte[] inputs = [.. Enumerable.Range(0, Rows * 25).Select(_ => (sbyte)random.Next(-1, 2))];
        ulong[] packed = new ulong[2 * Rows];
        for (int r = 0; r < Rows; r++)
        {
            (packed[2 * r], packed[(2 * r) + 1]) = TernaryInput.Pack(inputs.AsSpan(r * 25, 25));
        }

        foreach (ComputePath path in Enum.GetValues<ComputePath>())
        {
            network.ComputePath = path;
            float[] fromRows = new float[Rows], fromPacked = new float[Rows];
            network.ForwardBatch(inputs, fromRows);
            network.ForwardBatch(packed, fromPacked);
            for (int r = 0; r < Rows; r++)
            {
                float single = network.Forward(inputs.AsSpan(r * 25, 25));
                Assert.Equal(BitConverter.SingleToInt32Bits(single), BitConverter.SingleToInt32Bits(fromRows[r]));
                Assert.Equal(BitConverter.SingleToInt32Bits(single), BitConverter.SingleToInt32Bits(fromPacked[r]));
            }
        }

        packed[2 * 7] |= 1UL << 3;
        packed[(2 * 7) + 1] |= 1UL << 3;
        var e = Assert.Throws<ArgumentException>(() => network.ForwardBatch(packed, new float[Rows]));
        Assert.Contains("Row 7", e.Message, StringComparison.Ordinal);
        Assert.Contains("Input 3", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => network.ForwardBatch(packed.AsSpan(0, 3), new float[1]));
        Assert.Contains("two", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bit_streams_of_64_sbyte_rows_unpack_to_every_row_s_packed_masks()
    {
        if (!FirstLayerTables.CanUnpackLanes16(25))
        {
            return; // no AVX-512 VBMI here: the batch kernels pack row by row (the sbyte batch tests cover that path)
        }

        var random = new Random(10);
        for (int inputs = 1; inputs <= 25; inputs++)
        {
            sbyte[] rows = [.. Enumerable.Range(0, 64 * inputs).Select(_ => (sbyte)random.Next(-1, 2))];
            ulong[] plus = new ulong[inputs + 8], minus = new ulong[inputs + 8];
            FirstLayerTables.PackRows64(ref rows[0], inputs, ref plus[0], ref minus[0]);
            (Vector512<byte> bytes, Vector512<uint> shifts) = FirstLayerTables.UnpackConstants(inputs);
            for (int block = 0; block < 4; block++)
            {
                Vector512<int> positive = FirstLayerTables.UnpackLanes16(ref plus[0], inputs, block, bytes, shifts);
                Vector512<int> negative = FirstLayerTables.UnpackLanes16(ref minus[0], inputs, block, bytes, shifts);
                for (int j = 0; j < 16; j++)
                {
                    (ulong p, ulong n) = TernaryInput.Pack(rows.AsSpan(((16 * block) + j) * inputs, inputs));
                    Assert.Equal((int)p, positive.GetElement(j));
                    Assert.Equal((int)n, negative.GetElement(j));
                }
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => FirstLayerTables.UnpackConstants(26));
        Assert.False(FirstLayerTables.CanUnpackLanes16(26));
    }

    [Fact]
    public void The_keys_of_sixteen_rows_in_lanes_are_each_row_s_key()
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return; // the sixteen-row kernels run only where Vector512 is accelerated
        }

        var random = new Random(11);
        for (int trial = 0; trial < 100; trial++)
        {
            ulong[] masks = new ulong[32];
            for (int r = 0; r < 16; r++)
            {
                sbyte[] row = [.. Enumerable.Range(0, 32).Select(_ => (sbyte)random.Next(-1, 2))];
                (masks[2 * r], masks[(2 * r) + 1]) = TernaryInput.Pack(row);
            }

            FirstLayerTables.GatherLanes16(ref masks[0], out Vector512<int> positive, out Vector512<int> negative);
            for (int g = 0; g < 7; g++)
            {
                Vector512<int> keys = FirstLayerTables.Keys16(positive, negative, g);
                for (int r = 0; r < 16; r++)
                {
                    Assert.Equal(FirstLayerTables.Key(masks[2 * r], masks[(2 * r) + 1], 5 * g), keys.GetElement(r));
                }
            }
        }
    }

    /// <summary>
    /// A single neuron over at most 32 inputs gathers its eight rows' group sums from a keyed copy of the tables: the
    /// batches (packed and sbyte rows, every path, on the grid and off it, 173 rows so that bit streams, blocks and a tail
    /// row by row all run) and single calls (whose output kernels read the keyed copy as well) equal the reference bit
    /// for bit, and the vectorised check of a packed batch still names a bad row — in the
    /// vector part and in the odd tail, for overlapping masks and for a bit beyond the inputs.
    /// </summary>
    [Theory]
    [InlineData(25, false)]
    [InlineData(25, true)]
    [InlineData(32, false)]
    [InlineData(32, true)]
    public void A_single_neuron_batch_gathers_the_bits_of_forward_and_names_a_bad_row(int inputs, bool onGrid)
    {
        ITernaryNetwork network = inputs == 25 ? new Neuron25() : new Neuron32();
        var random = new Random(inputs + (onGrid ? 1 : 0));
        float[] parameters = [.. Enumerable.Range(0, network.Shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 0.7))];
        if (onGrid)
        {
            FixedPointGrid.SnapFirstLayer(network.Shape, parameters);
        }

        network.SetParameters(parameters);
        Assert.Equal(onGrid, FixedPointGrid.IsFirstLayerOnGrid(network.Shape, parameters));
        const int Rows = 173; // two chunks of 64 sbyte rows in bit streams, then 16-row and 8-row blocks and single rows
        sbyte[] rows = [.. Enumerable.Range(0, Rows * inputs).Select(_ => (sbyte)random.Next(-1, 2))];
        ulong[] packed = new ulong[2 * Rows];
        for (int r = 0; r < Rows; r++)
        {
            (packed[2 * r], packed[(2 * r) + 1]) = TernaryInput.Pack(rows.AsSpan(r * inputs, inputs));
        }

        var reference = new ReferenceNetwork(network.Shape, parameters);
        float[] expected = new float[1];
        // The row-by-row path that a machine without AVX2 takes, too (the tables are the generated class's own).
        var tables = (FirstLayerTables)network.GetType().GetField("_tables", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(network)!;
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, tables.CanGather);
        foreach ((ComputePath path, bool gathers) in Enum.GetValues<ComputePath>().SelectMany(p => new[] { (p, true), (p, false) }))
        {
            tables.GathersDisabled = !gathers;
            network.ComputePath = path;
            float[] fromRows = new float[Rows], fromPacked = new float[Rows];
            network.ForwardBatch(rows, fromRows);
            network.ForwardBatch(packed, fromPacked);
            float[] single = new float[1], singlePacked = new float[1];
            for (int r = 0; r < Rows; r++)
            {
                reference.Forward(rows.AsSpan(r * inputs, inputs), expected);
                Assert.Equal(BitConverter.SingleToInt32Bits(expected[0]), BitConverter.SingleToInt32Bits(fromRows[r]));
                Assert.Equal(BitConverter.SingleToInt32Bits(expected[0]), BitConverter.SingleToInt32Bits(fromPacked[r]));
                // One input at a time: the output kernels read the keyed copy too.
                network.Forward(rows.AsSpan(r * inputs, inputs), single);
                network.Forward(packed[2 * r], packed[(2 * r) + 1], singlePacked);
                Assert.Equal(BitConverter.SingleToInt32Bits(expected[0]), BitConverter.SingleToInt32Bits(single[0]));
                Assert.Equal(BitConverter.SingleToInt32Bits(expected[0]), BitConverter.SingleToInt32Bits(singlePacked[0]));
            }
        }

        tables.GathersDisabled = false;
        foreach (int bad in new[] { 5, 44 })
        {
            ulong[] overlap = (ulong[])packed.Clone();
            overlap[2 * bad] |= 1UL << 4;
            overlap[(2 * bad) + 1] |= 1UL << 4;
            var e = Assert.Throws<ArgumentException>(() => network.ForwardBatch(overlap, new float[Rows]));
            Assert.Contains($"Row {bad}", e.Message, StringComparison.Ordinal);
            Assert.Contains("Input 4", e.Message, StringComparison.Ordinal);
            ulong[] beyond = (ulong[])packed.Clone();
            beyond[(2 * bad) + 1] |= 1UL << inputs;
            e = Assert.Throws<ArgumentException>(() => network.ForwardBatch(beyond, new float[Rows]));
            Assert.Contains($"Row {bad}", e.Message, StringComparison.Ordinal);
        }
    }
}
