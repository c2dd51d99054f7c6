using System;
using System.Linq;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// Batches of networks with several hidden layers and odd widths (tables in the first layer; the sixteen-row Vector512
/// kernel with its scalar and padded first-layer neurons, the eight-row kernels): every path, sbyte and packed rows,
/// several row counts, the bits of the reference.
/// </summary>
public class DeepBatchTests
{
    public static TheoryData<string, int> Networks
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (string name in Factories.Keys)
            {
                // 45 rows: two 16-row blocks and an 8-row one (or five 8-row ones), and the rows left over one at a time;
                // 130: sbyte rows packed 64 at a time before the 16-row kernel calls.
                data.Add(name, 45);
                data.Add(name, 130);
            }

            foreach (int rows in new[] { 1, 15, 16, 17, 31, 33 })
            {
                data.Add(nameof(Deep25x32x16x8x1), rows);
            }

            return data;
        }
    }

    private static readonly System.Collections.Generic.Dictionary<string, Func<ITernaryNetwork>> Factories = new()
    {
        [nameof(Deep25x32x16x8x1)] = () => new Deep25x32x16x8x1(),
        [nameof(Deep64x65x130x33x2)] = () => new Deep64x65x130x33x2(),
        [nameof(Rows16x9x2)] = () => new Rows16x9x2(),
        [nameof(Rows30x16x16x1)] = () => new Rows30x16x16x1(),
        [nameof(Rows25x20x7x3)] = () => new Rows25x20x7x3(),
        [nameof(Rows40x21x1)] = () => new Rows40x21x1(),
        [nameof(Rows64x33x1)] = () => new Rows64x33x1(),
        [nameof(Rows32x24x5x1)] = () => new Rows32x24x5x1(),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Batches_give_the_bits_of_the_reference_on_every_path(string name, int rowCount)
    {
        ITernaryNetwork network = Factories[name]();
        NetworkShape shape = network.Shape;
        var random = new Random(name.Length + rowCount);
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 3 / Math.Sqrt(shape.InputCount)))];
        network.SetParameters(parameters);
        var reference = new ReferenceNetwork(shape, parameters);
        int n = shape.InputCount, outputs = shape.OutputCount;
        sbyte[] rows = [.. Enumerable.Range(0, rowCount * n).Select(_ => (sbyte)random.Next(-1, 2))];
        ulong[] packed = new ulong[2 * rowCount];
        for (int r = 0; r < rowCount; r++)
        {
            (packed[2 * r], packed[(2 * r) + 1]) = TernaryInput.Pack(rows.AsSpan(r * n, n));
        }

        float[] expected = new float[rowCount * outputs];
        for (int r = 0; r < rowCount; r++)
        {
            reference.Forward(rows.AsSpan(r * n, n), expected.AsSpan(r * outputs, outputs));
        }

        foreach (ComputePath path in Enum.GetValues<ComputePath>())
        {
            network.ComputePath = path;
            float[] fromRows = new float[rowCount * outputs], fromMasks = new float[rowCount * outputs];
            network.ForwardBatch(rows, fromRows);
            network.ForwardBatch(packed, fromMasks);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(fromRows[i]),
                    $"{name} {path} sbyte rows, row {i / outputs}, output {i % outputs}: reference {expected[i]:R}, batch {fromRows[i]:R}");
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(fromMasks[i]),
                    $"{name} {path} packed rows, row {i / outputs}, output {i % outputs}: reference {expected[i]:R}, batch {fromMasks[i]:R}");
            }
        }
    }
}
