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
    [InlineData(64, 8, 1)]
    [InlineData(65, 31, 2)]
    [InlineData(100, 8, 3)]
    [InlineData(784, 20, 4)]
    [InlineData(201, 9, 5)]
    [InlineData(130, 17, 6)]
    public void Dot_products_equal_the_canonical_first_layer_bit_for_bit_on_the_grid(int inputs, int width, int seed)
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            sbyte[] zeros = new sbyte[16 * inputs];
            float[] weights = new float[inputs], bias = new float[1], sums = new float[16];
            Assert.Throws<ArgumentException>(() => WideFirstLayer.DotPreActivations(ref zeros[0], inputs, ref weights[0], ref bias[0], 1, ref sums[0]));
            return;
        }

        sbyte[] short16 = new sbyte[16 * 63];
        float[] few = new float[63 * 8], none = new float[8], out16 = new float[16 * 8];
        Assert.Throws<ArgumentException>(() => WideFirstLayer.DotPreActivations(ref short16[0], 63, ref few[0], ref none[0], 8, ref out16[0]));

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
        // Row 1 all +1, row 2 all −1: every column in, with each sign.
        rows.AsSpan(inputs, inputs).Fill(1);
        rows.AsSpan(2 * inputs, inputs).Fill(-1);
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

    [Fact]
    public void One_row_reads_the_triple_table_where_it_fits_and_the_pair_table_beyond()
    {
        Assert.True(ShapeRules.TriplesFirstLayer(784, 64));
        Assert.False(ShapeRules.PairsFirstLayer(784, 64));
        Assert.True(ShapeRules.TriplesFirstLayer(70, 112));
        // 400 → 160: the triple table (134 · 13 + 1) · 160 floats is above 1 MiB, the pair table (200 · 4 + 1) · 160 below 2 MiB.
        Assert.False(ShapeRules.TriplesFirstLayer(400, 160));
        Assert.True(ShapeRules.PairsFirstLayer(400, 160));
        Assert.True(ShapeRules.TripleTableFloats(400, 160) > ShapeRules.MaxTripleTableFloats);
        // Neither table beyond 2 MiB (1024 → 1024), nor for layers batches do not add by columns (201 → 9).
        Assert.False(ShapeRules.TriplesFirstLayer(1024, 1024) || ShapeRules.PairsFirstLayer(1024, 1024));
        Assert.False(ShapeRules.TriplesFirstLayer(201, 9) || ShapeRules.PairsFirstLayer(201, 9));
    }

    [Theory]
    [InlineData(7, 5)]
    [InlineData(8, 19)]
    [InlineData(9, 16)]
    public void Triple_table_entries_are_the_signed_sums_of_three_columns_for_any_row_length(int inputs, int padded)
    {
        // Row lengths that are not whole vectors (the lanes past the last whole vector are built one at a time), and
        // input counts with one, two and three inputs in the last triple.
        var random = new Random(inputs * padded);
        float[] columns = [.. Enumerable.Range(0, (inputs + 1) * padded).Select(_ => FixedPointGrid.Snap((float)((random.NextDouble() - 0.5) * 8)))];
        int count = (inputs + 2) / 3;
        float[] triples = new float[ShapeRules.TripleTableFloats(inputs, 1) / ShapeRules.PaddedWidth(1) * padded];
        triples.AsSpan().Fill(float.NaN);
        WideFirstLayer.BuildTriples(columns, inputs, padded, triples);
        for (int t = 0; t < count; t++)
        {
            for (int v = 1; v <= 13; v++)
            {
                // The balanced ternary digits of v: 9·x_a + 3·x_b + x_c = v.
                int xc = ((v + 1) % 3) - 1, xb = ((((v - xc) / 3) + 1) % 3) - 1, xa = (v - xc - (3 * xb)) / 9;
                for (int k = 0; k < padded; k++)
                {
                    double expected = 0;
                    int[] digits = [xa, xb, xc];
                    for (int d = 0; d < 3; d++)
                    {
                        int j = (3 * t) + d;
                        expected += j < inputs ? digits[d] * (double)columns[(j * padded) + k] : 0;
                    }

                    Assert.Equal(expected, (double)triples[(((13 * t) + v - 1) * padded) + k]);
                }
            }
        }

        Assert.Equal(columns.AsSpan(inputs * padded, padded).ToArray(), triples.AsSpan(13 * count * padded, padded).ToArray());
    }

    [Theory]
    [InlineData(65, 32, 1)]
    [InlineData(784, 64, 2)]
    [InlineData(130, 41, 3)]
    [InlineData(100, 112, 4)]
    [InlineData(1024, 256, 5)]
    [InlineData(16, 48, 6)]
    [InlineData(17, 16, 7)]
    [InlineData(95, 33, 8)]
    [InlineData(1023, 64, 9)]
    [InlineData(96, 32, 10)]
    [InlineData(50, 64, 11)]
    public void One_row_column_pair_and_triple_sums_equal_the_canonical_first_layer_bit_for_bit_on_the_grid(int inputs, int width, int seed)
    {
        int padded = ShapeRules.PaddedWidth(width);
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            sbyte[] zeros = new sbyte[inputs];
            float[] columns = new float[ShapeRules.PackedLayerSize(inputs, width)], sums = new float[padded];
            Assert.Throws<ArgumentException>(() => WideFirstLayer.RowPreActivations(ref zeros[0], inputs, ref columns[0], padded, width, ref sums[0]));
            return;
        }

        var random = new Random(seed);
        var shape = NetworkShape.Create(inputs, (width, Activation.Tanh));
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 4 / Math.Sqrt(inputs)))];
        // Edge cases: a bias of −0 (a row of zeros must still give +0), a zero column.
        parameters[shape.Layers[0].BiasIndex(0)] = -0f;
        for (int k = 0; k < width; k++)
        {
            parameters[shape.Layers[0].WeightIndex(k, 3)] = 0f;
        }

        FixedPointGrid.SnapFirstLayer(shape, parameters);
        var columnsAligned = new AlignedFloats(ShapeRules.PackedLayerSize(inputs, width));
        ParameterPacking.Pack(shape, parameters, columnsAligned.Span);
        var pairs = new AlignedFloats(ShapeRules.PairTableFloats(inputs, width));
        WideFirstLayer.BuildPairs(columnsAligned.Span, inputs, padded, pairs.Span);
        var triples = new AlignedFloats(ShapeRules.TripleTableFloats(inputs, width));
        WideFirstLayer.BuildTriples(columnsAligned.Span, inputs, padded, triples.Span);
        // Rows: zeros, all +1, all −1, then random ones with a share of zeros from none to most.
        const int Rows = 8;
        sbyte[] rows = new sbyte[Rows * inputs];
        rows.AsSpan(inputs, inputs).Fill(1);
        rows.AsSpan(2 * inputs, inputs).Fill(-1);
        for (int r = 3; r < Rows; r++)
        {
            double zeroShare = (r - 3) / 5.0;
            for (int i = 0; i < inputs; i++)
            {
                rows[(r * inputs) + i] = random.NextDouble() < zeroShare ? (sbyte)0 : (sbyte)((random.Next(2) * 2) - 1);
            }
        }

        float[] pre = new float[padded], x = new float[inputs];
        for (int r = 0; r < Rows; r++)
        {
            TernaryInput.ToFloats(rows.AsSpan(r * inputs, inputs), x);
            for (int form = 0; form < 3; form++)
            {
                pre.AsSpan().Fill(float.NaN);
                if (form == 0)
                {
                    WideFirstLayer.RowPreActivations(ref rows[r * inputs], inputs, ref columnsAligned.Origin, padded, width, ref pre[0]);
                }
                else if (form == 1)
                {
                    WideFirstLayer.RowPairPreActivations(ref rows[r * inputs], inputs, ref pairs.Origin, padded, width, ref pre[0]);
                }
                else
                {
                    WideFirstLayer.RowTriplePreActivations(ref rows[r * inputs], inputs, ref triples.Origin, padded, width, ref pre[0]);
                }

                for (int k = 0; k < width; k++)
                {
                    float expected = CanonicalSum.FirstLayer(x, parameters.AsSpan(shape.Layers[0].WeightIndex(k, 0), inputs), parameters[shape.Layers[0].BiasIndex(k)]);
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(pre[k]),
                        $"{(form == 0 ? "columns" : form == 1 ? "pairs" : "triples")}, row {r}, neuron {k}: canonical {expected:R}, got {pre[k]:R}");
                }

                Assert.All(pre.AsSpan(width).ToArray(), v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v)));
                if (r == 0)
                {
                    Assert.Equal(0, BitConverter.SingleToInt32Bits(pre[0]));  // all-zero row, bias −0: +0
                }
            }
        }
    }

    [Theory]
    [InlineData(65, 32, 1)]
    [InlineData(784, 64, 2)]
    [InlineData(130, 41, 3)]
    [InlineData(100, 112, 4)]
    [InlineData(1024, 256, 5)]
    [InlineData(201, 48, 6)]
    public void Register_tiles_equal_the_canonical_first_layer_bit_for_bit_on_the_grid(int inputs, int width, int seed)
    {
        int padded = ShapeRules.PaddedWidth(width);
        const int Rows = 16;
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            sbyte[] zeros = new sbyte[Rows * inputs];
            float[] columns = new float[ShapeRules.PackedLayerSize(inputs, width)], sums = new float[Rows * padded];
            Assert.Throws<ArgumentException>(() => WideFirstLayer.TilePreActivations(ref zeros[0], inputs, ref columns[0], padded, width, ref sums[0]));
            return;
        }

        var random = new Random(seed);
        var shape = NetworkShape.Create(inputs, (width, Activation.Tanh));
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 4 / Math.Sqrt(inputs)))];
        // Edge cases: a bias of −0 (a row of zeros must still give +0), a zero column, a negative weight times 0 (−0).
        parameters[shape.Layers[0].BiasIndex(0)] = -0f;
        for (int k = 0; k < width; k++)
        {
            parameters[shape.Layers[0].WeightIndex(k, 3)] = 0f;
        }

        FixedPointGrid.SnapFirstLayer(shape, parameters);
        var columnsAligned = new AlignedFloats(ShapeRules.PackedLayerSize(inputs, width));
        ParameterPacking.Pack(shape, parameters, columnsAligned.Span);
        // Rows 0-3 zeros (a whole tile skips every input), 4 all +1, 5 all −1, 6-7 sparse, the rest random with shares of zeros.
        sbyte[] rows = new sbyte[Rows * inputs];
        rows.AsSpan(4 * inputs, inputs).Fill(1);
        rows.AsSpan(5 * inputs, inputs).Fill(-1);
        for (int r = 6; r < Rows; r++)
        {
            double zeroShare = r < 8 ? 0.95 : (r - 8) / 8.0;
            for (int i = 0; i < inputs; i++)
            {
                rows[(r * inputs) + i] = random.NextDouble() < zeroShare ? (sbyte)0 : (sbyte)((random.Next(2) * 2) - 1);
            }
        }

        float[] pre = new float[Rows * padded], x = new float[inputs];
        pre.AsSpan().Fill(float.NaN);
        WideFirstLayer.TilePreActivations(ref rows[0], inputs, ref columnsAligned.Origin, padded, width, ref pre[0]);
        for (int r = 0; r < Rows; r++)
        {
            TernaryInput.ToFloats(rows.AsSpan(r * inputs, inputs), x);
            for (int k = 0; k < width; k++)
            {
                float expected = CanonicalSum.FirstLayer(x, parameters.AsSpan(shape.Layers[0].WeightIndex(k, 0), inputs), parameters[shape.Layers[0].BiasIndex(k)]);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(pre[(r * padded) + k]),
                    $"row {r}, neuron {k}: canonical {expected:R}, tiles {pre[(r * padded) + k]:R}");
            }

            Assert.All(pre.AsSpan((r * padded) + width, padded - width).ToArray(), v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v)));
        }

        Assert.Equal(0, BitConverter.SingleToInt32Bits(pre[0]));  // all-zero row, bias −0: +0
    }

    [Fact]
    public void Aligned_floats_start_on_a_64_byte_boundary()
    {
        for (int length = 0; length < 40; length += 13)
        {
            var floats = new AlignedFloats(length);
            Assert.Equal(length, floats.Length);
            Assert.Equal(length, floats.Span.Length);
            nint address = System.Runtime.CompilerServices.Unsafe.ByteOffset(ref System.Runtime.CompilerServices.Unsafe.NullRef<float>(), ref floats.Origin);
            Assert.Equal(0, address % 64);

            Assert.All(floats.Span.ToArray(), v => Assert.Equal(0f, v));
        }
    }

    /// <summary>Each network on and off the grid; a few also with one first-layer weight beyond 16 bits (0.75), which the int16 kernels leave to the float ones.</summary>
    public static TheoryData<string, bool, bool> Networks => new()
    {
        { nameof(Wide100x8x1), true, true }, { nameof(Wide100x8x1), false, true }, { nameof(Wide100x8x1), true, false },
        { nameof(Wide130x41x3), true, true }, { nameof(Wide130x41x3), false, true },
        { nameof(Wide200x32), true, true },
        { nameof(Wide65x31x1), true, true }, { nameof(Wide65x31x1), false, true }, { nameof(Wide65x31x1), true, false },
        { nameof(Wide784x20x3x1), true, true }, { nameof(Wide784x20x3x1), false, true },
        { nameof(Deep130x16x33x8x1), true, true }, { nameof(Deep130x16x33x8x1), false, true },
        { nameof(Wide784x64x1), true, true }, { nameof(Wide784x64x1), false, true }, { nameof(Wide784x64x1), true, false },
        { nameof(Wide70x112x2), true, true }, { nameof(Wide70x112x2), false, true },
        { nameof(Wide201x9x1), true, true }, { nameof(Wide201x9x1), false, true }, { nameof(Wide201x9x1), true, false },
        { nameof(Wide97x48x1), true, true }, { nameof(Wide97x48x1), false, true }, { nameof(Wide97x48x1), true, false },
        { nameof(Wide400x160x1), true, true }, { nameof(Wide400x160x1), false, true },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Generated_batches_give_the_bits_of_forward_on_and_off_the_grid(string name, bool onGrid, bool fitsInt16)
    {
        ITernaryNetwork network = name switch
        {
            nameof(Wide100x8x1) => new Wide100x8x1(),
            nameof(Wide130x41x3) => new Wide130x41x3(),
            nameof(Wide65x31x1) => new Wide65x31x1(),
            nameof(Wide784x20x3x1) => new Wide784x20x3x1(),
            nameof(Deep130x16x33x8x1) => new Deep130x16x33x8x1(),
            nameof(Wide784x64x1) => new Wide784x64x1(),
            nameof(Wide70x112x2) => new Wide70x112x2(),
            nameof(Wide201x9x1) => new Wide201x9x1(),
            nameof(Wide97x48x1) => new Wide97x48x1(),
            nameof(Wide400x160x1) => new Wide400x160x1(),
            _ => new Wide200x32(),
        };
        NetworkShape shape = network.Shape;
        var random = new Random(name.Length + (onGrid ? 1 : 0) + (fitsInt16 ? 0 : 2));
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 3 / Math.Sqrt(shape.InputCount)))];
        if (!fitsInt16)
        {
            parameters[shape.Layers[0].WeightIndex(Math.Min(2, shape.Layers[0].Width - 1), 5)] = 0.75f;
        }

        if (onGrid)
        {
            FixedPointGrid.SnapFirstLayer(shape, parameters);
        }

        network.SetParameters(parameters);
        Assert.Equal(onGrid, FixedPointGrid.IsFirstLayerOnGrid(shape, parameters));
        // Which first-layer kernel the batch takes on the grid: the int16 one exactly where every weight fits 16 bits.
        System.Reflection.FieldInfo? fits = network.GetType().GetField("_shortPairsFit", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);
        Assert.NotNull(fits);
        Assert.Equal(onGrid && fitsInt16 && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, (bool)fits.GetValue(network)!);
        const int Rows = 29;
        int n = shape.InputCount, outputs = shape.OutputCount;
        sbyte[] rows = [.. Enumerable.Range(0, Rows * n).Select(_ => (sbyte)random.Next(-1, 2))];
        // Row 3 all zeros, row 20 mostly zeros (as images are), row 27 all −1.
        rows.AsSpan(3 * n, n).Clear();
        for (int i = 0; i < n; i++)
        {
            rows[(20 * n) + i] = random.Next(5) == 0 ? (sbyte)1 : (sbyte)0;
        }

        rows.AsSpan(27 * n, n).Fill(-1);
        int words = TernaryInput.PackedWordsPerRow(n);
        ulong[] packed = new ulong[Rows * words];
        for (int r = 0; r < Rows; r++)
        {
            TernaryInput.Pack(rows.AsSpan(r * n, n), packed.AsSpan(r * words, words));
        }

        var reference = new ReferenceNetwork(shape, parameters);
        float[] expected = new float[outputs], single = new float[outputs];
        float[] activations = new float[shape.ActivationCount], expectedActivations = new float[shape.ActivationCount];
        foreach (ComputePath path in Enum.GetValues<ComputePath>())
        {
            network.ComputePath = path;
            float[] batch = new float[Rows * outputs];
            network.ForwardBatch(rows, batch);
            // The packed batch (16 rows at a time through the sbyte batch's kernels), 29 and 13 rows: the sbyte batch's bits.
            foreach (int count in new[] { Rows, 13 })
            {
                float[] fromPacked = new float[count * outputs];
                network.ForwardBatch(packed.AsSpan(0, count * words), fromPacked);
                Assert.True(fromPacked.Select(BitConverter.SingleToInt32Bits).SequenceEqual(batch.Take(count * outputs).Select(BitConverter.SingleToInt32Bits)),
                    $"{name} {path}, {count} packed rows: the packed batch differs from the sbyte batch");
            }

            for (int r = 0; r < Rows; r++)
            {
                reference.Forward(rows.AsSpan(r * n, n), expected);
                network.Forward(rows.AsSpan(r * n, n), single);
                for (int o = 0; o < outputs; o++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(expected[o]) == BitConverter.SingleToInt32Bits(batch[(r * outputs) + o]),
                        $"{name} {path}, row {r}, output {o}: reference {expected[o]:R}, batch {batch[(r * outputs) + o]:R}");
                    Assert.True(BitConverter.SingleToInt32Bits(expected[o]) == BitConverter.SingleToInt32Bits(single[o]),
                        $"{name} {path}, row {r}, output {o}: reference {expected[o]:R}, Forward {single[o]:R}");
                }

                network.ForwardActivations(rows.AsSpan(r * n, n), activations);
                reference.ForwardActivations(rows.AsSpan(r * n, n), expectedActivations);
                Assert.True(activations.Select(BitConverter.SingleToInt32Bits).SequenceEqual(expectedActivations.Select(BitConverter.SingleToInt32Bits)),
                    $"{name} {path}, row {r}: activations differ from the reference");
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
