using System;
using System.Linq;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// Batches of networks with several hidden layers and odd widths (tables in the first layer; layers of more than 8
/// neurons 16 per Vector512 with two rows per tile): every path, sbyte and packed rows, the bits of the reference.
/// </summary>
public class DeepBatchTests
{
    public static TheoryData<string> Networks => new() { nameof(Deep25x32x16x8x1), nameof(Deep64x65x130x33x2) };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Batches_give_the_bits_of_the_reference_on_every_path(string name)
    {
        ITernaryNetwork network = name == nameof(Deep25x32x16x8x1) ? new Deep25x32x16x8x1() : new Deep64x65x130x33x2();
        NetworkShape shape = network.Shape;
        var random = new Random(name.Length);
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() - 0.5) * 3 / Math.Sqrt(shape.InputCount)))];
        network.SetParameters(parameters);
        var reference = new ReferenceNetwork(shape, parameters);
        // 45 rows: two 16-row blocks or five 8-row ones, and the rows left over one at a time.
        const int Rows = 45;
        int n = shape.InputCount, outputs = shape.OutputCount;
        sbyte[] rows = [.. Enumerable.Range(0, Rows * n).Select(_ => (sbyte)random.Next(-1, 2))];
        ulong[] packed = new ulong[2 * Rows];
        for (int r = 0; r < Rows; r++)
        {
            (packed[2 * r], packed[(2 * r) + 1]) = TernaryInput.Pack(rows.AsSpan(r * n, n));
        }

        float[] expected = new float[Rows * outputs];
        for (int r = 0; r < Rows; r++)
        {
            reference.Forward(rows.AsSpan(r * n, n), expected.AsSpan(r * outputs, outputs));
        }

        foreach (ComputePath path in Enum.GetValues<ComputePath>())
        {
            network.ComputePath = path;
            float[] fromRows = new float[Rows * outputs], fromMasks = new float[Rows * outputs];
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
