using System;
using System.Linq;
using Xunit;

namespace GenBias.Tests;

/// <summary>Bad input to a generated network is an exception that says what is wrong and where.</summary>
public class RuntimeInputTests
{
    private static Seed25x16x1 Network()
    {
        var network = new Seed25x16x1();
        network.SetParameters(Enumerable.Range(0, Seed25x16x1.ParameterCount).Select(i => (i % 7 - 3) * 0.05f).ToArray());
        return network;
    }

    [Theory]
    [InlineData(24)]
    [InlineData(26)]
    [InlineData(0)]
    public void Wrong_length_names_both_lengths(int length)
    {
        var error = Assert.Throws<ArgumentException>(() => Network().Forward(new sbyte[length]));
        Assert.Contains($"has {length} values", error.Message);
        Assert.Contains("25 ternary inputs", error.Message);
        Assert.Equal("input", error.ParamName);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(13, -3)]
    [InlineData(24, 127)]
    [InlineData(17, -128)]
    public void A_value_that_is_not_ternary_is_named_with_its_index(int index, int value)
    {
        sbyte[] input = new sbyte[25];
        input[index] = (sbyte)value;
        Seed25x16x1 network = Network();
        foreach (Action call in new Action[]
        {
            () => network.Forward(input),
            () => network.Forward(input, new float[1]),
            () => network.ForwardActivations(input, new float[Seed25x16x1.ActivationCount]),
            () => network.Backward(input, new float[1], new float[Seed25x16x1.ParameterCount]),
        })
        {
            var error = Assert.Throws<ArgumentException>(call);
            Assert.Contains($"input[{index}] is {value}", error.Message);
            Assert.Contains("-1, 0 or +1", error.Message);
        }
    }

    [Fact]
    public void A_bad_value_in_a_batch_names_its_row_and_column()
    {
        sbyte[] batch = new sbyte[25 * 4];
        batch[(2 * 25) + 6] = 2;
        var error = Assert.Throws<ArgumentException>(() => Network().ForwardBatch(batch, new float[4]));
        Assert.Contains("inputs[56] (row 2, input 6) is 2", error.Message);
        Assert.Throws<ArgumentException>(() => Network().ForwardBatch(new sbyte[25 * 4 + 1], new float[4]));
        Assert.Throws<ArgumentException>(() => Network().ForwardBatch(new sbyte[25 * 4], new float[3]));
    }

    [Fact]
    public void Wrong_output_and_gradient_lengths_are_rejected()
    {
        Seed25x16x1 network = Network();
        Assert.Contains("output has 2 values", Assert.Throws<ArgumentException>(() => network.Forward(new sbyte[25], new float[2])).Message);
        Assert.Throws<ArgumentException>(() => network.ForwardActivations(new sbyte[25], new float[16]));
        Assert.Throws<ArgumentException>(() => network.Backward(new sbyte[25], new float[1], new float[10]));
        Assert.Throws<ArgumentException>(() => network.Backward(new sbyte[25], new float[2], new float[Seed25x16x1.ParameterCount]));
    }

    [Fact]
    public void Packed_inputs_reject_overlapping_and_out_of_range_bits()
    {
        Seed25x16x1 network = Network();
        Assert.Contains("Input 3 is set in both", Assert.Throws<ArgumentException>(() => network.Forward(0b1000UL, 0b1000UL)).Message);
        Assert.Contains("Bit 25 is set", Assert.Throws<ArgumentException>(() => network.Forward(1UL << 25, 0UL)).Message);
        ITernaryNetwork wide = new Wide70();
        Assert.Throws<InvalidOperationException>(() => wide.Forward(0UL, 0UL, new float[3]));
    }

    [Fact]
    public void Parameters_of_the_wrong_length_or_not_finite_are_rejected_and_nothing_changes()
    {
        Seed25x16x1 network = Network();
        float[] before = network.Parameters.ToArray();
        Assert.Contains("433 parameters", Assert.Throws<ArgumentException>(() => network.SetParameters(new float[432])).Message);

        float[] bad = (float[])before.Clone();
        bad[Seed25x16x1.Layer1BiasOffset] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => network.SetParameters(bad));
        Assert.Contains("layer 1, bias of neuron 0", error.Message);
        bad[Seed25x16x1.Layer1BiasOffset] = 0;
        bad[Seed25x16x1.Layer0WeightOffset + (3 * 25) + 4] = float.PositiveInfinity;
        Assert.Contains("layer 0, neuron 3, weight of input 4", Assert.Throws<ArgumentException>(() => network.SetParameters(bad)).Message);
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void Wide_networks_take_spans_beyond_the_packed_limit()
    {
        var network = new Wide70();
        network.SetParameters(Enumerable.Range(0, Wide70.ParameterCount).Select(i => (i % 5 - 2) * 0.1f).ToArray());
        sbyte[] input = Enumerable.Range(0, 70).Select(i => (sbyte)((i % 3) - 1)).ToArray();
        float[] output = new float[3], expected = new float[3];
        network.Forward(input, output);
        new ReferenceNetwork(Wide70.Shape, network.Parameters).Forward(input, expected);
        Assert.Equal(expected, output);
    }
}
