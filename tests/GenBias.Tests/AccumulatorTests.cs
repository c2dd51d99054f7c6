using System;
using GenBias.Tests.Coverage;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// The incremental accumulator against the network's own Forward: random walks of 10,000 single-input changes (a third
/// of them to the value the input already holds, and a few whole new inputs), bit for bit after every change, on
/// generated networks of several shapes and the reference; no allocation after creation.
/// </summary>
public class AccumulatorTests
{
    public static TheoryData<string> Networks() => ["Seed25x16x1", "Wide70", "Hidden12x9x2", "TwoHidden9x8x5x1", "TwoHidden13x10x12x1", "Neuron12HardTanh", "StepNetwork", "Reference", "Reference19x11x1", "Reference19x5x1", "Neuron25", "Neuron32", "Reference25x32x16x8x1", "Reference20x9x17x2"];

    private static ITernaryNetwork Create(string name) => name switch
    {
        "Seed25x16x1" => new Seed25x16x1(),
        "Wide70" => new Wide70(),
        "Hidden12x9x2" => new Hidden12x9x2(),
        "TwoHidden9x8x5x1" => new TwoHidden9x8x5x1(),
        "TwoHidden13x10x12x1" => new TwoHidden13x10x12x1(),
        "Neuron12HardTanh" => new Neuron12HardTanh(),
        "StepNetwork" => new StepNetwork(),
        // One hidden layer of 9 to 16 neurons and one output: one Vector512 where it is accelerated (padding lanes 11-15).
        "Reference19x11x1" => new ReferenceNetwork(NetworkShape.Create(19, (11, Activation.ReLU), (1, Activation.Sigmoid))),
        // A hidden layer of at most 8 neurons and one output: one Vector256 (padding lanes 5-7).
        "Reference19x5x1" => new ReferenceNetwork(NetworkShape.Create(19, (5, Activation.Tanh), (1, Activation.Tanh))),
        // One neuron: its activation from the accumulated pre-activation alone.
        "Neuron25" => new Neuron25(),
        "Neuron32" => new Neuron32(),
        // Later layers of 8 or more neurons, eight in lanes: full blocks, sigmoid (whose padding would not be zero), and
        // partial blocks (9 and 17 neurons: one and two full blocks, then one neuron).
        "Reference25x32x16x8x1" => new ReferenceNetwork(NetworkShape.Create(25, (32, Activation.Tanh), (16, Activation.Sigmoid), (8, Activation.Tanh), (1, Activation.Tanh))),
        "Reference20x9x17x2" => new ReferenceNetwork(NetworkShape.Create(20, (9, Activation.ReLU), (17, Activation.Sigmoid), (2, Activation.Linear))),
        _ => new ReferenceNetwork(NetworkShape.Create(19, (11, Activation.Sigmoid), (3, Activation.Tanh))),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void A_random_walk_of_ten_thousand_changes_keeps_the_bits_of_Forward(string name)
    {
        ITernaryNetwork network = Create(name);
        NetworkShape shape = network.Shape;
        var random = new Random(name.Length * 7919);
        float[] parameters = new float[shape.ParameterCount];
        for (int p = 0; p < parameters.Length; p++)
        {
            parameters[p] = (float)((random.NextDouble() * 2) - 1);
        }

        FixedPointGrid.SnapFirstLayer(shape, parameters);
        network.SetParameters(parameters);
        var accumulator = new TernaryAccumulator(network);
        sbyte[] input = new sbyte[shape.InputCount];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (sbyte)(random.Next(3) - 1);
        }

        accumulator.Reset(input);
        float[] expected = new float[shape.OutputCount], actual = new float[shape.OutputCount];
        for (int step = 0; step < 10_000; step++)
        {
            if (step % 2500 == 1250)
            {
                // A whole new input now and then: the next evaluation must not reuse the outputs of the old one.
                for (int i = 0; i < input.Length; i++)
                {
                    input[i] = (sbyte)(random.Next(3) - 1);
                }

                accumulator.Reset(input);
            }

            int index = random.Next(input.Length);
            sbyte value = (sbyte)(random.Next(3) - 1);
            input[index] = value;
            accumulator.Set(index, value);
            accumulator.Evaluate(actual);
            network.Forward(input, expected);
            for (int o = 0; o < expected.Length; o++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[o]) == BitConverter.SingleToInt32Bits(actual[o]),
                    $"step {step}, output {o}: {actual[o]:R} against Forward's {expected[o]:R}");
            }
        }

        Assert.Equal(input, accumulator.Input.ToArray());
    }

    [Fact]
    public void Updates_allocate_nothing_and_bad_input_is_rejected_clearly()
    {
        var network = new Seed25x16x1();
        float[] parameters = new float[Seed25x16x1.Shape.ParameterCount];
        for (int p = 0; p < parameters.Length; p++)
        {
            parameters[p] = (p % 7) * 0.01f;
        }

        FixedPointGrid.SnapFirstLayer(Seed25x16x1.Shape, parameters);
        network.SetParameters(parameters);
        var accumulator = new TernaryAccumulator(network);
        accumulator.Set(0, 1);
        accumulator.Evaluate();
        long before = GC.GetAllocatedBytesForCurrentThread();
        float sum = 0;
        for (int step = 0; step < 10_000; step++)
        {
            accumulator.Set(step % 25, (sbyte)((step % 3) - 1));
            sum += accumulator.Evaluate();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(float.IsFinite(sum));

        Assert.Contains("inputs 0 to 24", Assert.Throws<ArgumentOutOfRangeException>(() => accumulator.Set(25, 1)).Message);
        Assert.Contains("-1, 0 or +1", Assert.Throws<ArgumentOutOfRangeException>(() => accumulator.Set(3, 2)).Message);
        Assert.Throws<ArgumentException>(() => accumulator.Reset(new sbyte[24]));
        Assert.Contains("2 outputs", Assert.Throws<InvalidOperationException>(() =>
        {
            var two = new Hidden12x9x2();
            two.SetParameters(new float[Hidden12x9x2.Shape.ParameterCount]);
            new TernaryAccumulator(two).Evaluate();
        }).Message);

        // Off the grid, updates would round differently from a full pass: refused at creation.
        parameters[0] = 0.1f;
        network.SetParameters(parameters);
        Assert.Contains("exact grid", Assert.Throws<ArgumentException>(() => new TernaryAccumulator(network)).Message);
    }
}
