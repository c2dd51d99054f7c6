using System;
using System.Linq;
using Xunit;

namespace GenBias.Tests.Training;

/// <summary>
/// The trainer's fused batch kernel against the reference network: forward activations (the first layer bit for bit
/// on the grid), gradients summed over a batch, chunk codes and the uniform draw.
/// </summary>
public class TrainingKernelTests
{
    public static TheoryData<int, int[], Activation[]> Shapes() => new()
    {
        { 25, [16, 1], [Activation.Tanh, Activation.Tanh] },
        { 25, [1], [Activation.Tanh] },
        { 7, [3, 2], [Activation.Sigmoid, Activation.Linear] },
        { 12, [9, 8, 1], [Activation.ReLU, Activation.HardTanh, Activation.Sigmoid] },
        { 64, [33, 1], [Activation.Tanh, Activation.Tanh] },
        { 100, [8, 1], [Activation.Tanh, Activation.Sigmoid] },
        { 25, [32, 16, 8, 1], [Activation.Tanh, Activation.Tanh, Activation.Tanh, Activation.Tanh] },
        { 3, [1], [Activation.TernaryStep] },
        { 11, [20, 3], [Activation.HardTanh, Activation.ReLU] },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_and_gradients_match_the_reference(int inputs, int[] widths, Activation[] activations)
    {
        NetworkShape shape = NetworkShape.Create(inputs, [.. widths.Zip(activations)]);
        var random = new Random(inputs * 31 + widths.Length);
        float[] parameters = Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() * 2 - 1) * 0.6)).ToArray();
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        var reference = new ReferenceNetwork(shape, parameters);
        var kernel = new TrainingKernel(shape);
        kernel.SetParameters(parameters);

        const int Rows = 37;
        sbyte[] x = Enumerable.Range(0, Rows * inputs).Select(_ => (sbyte)(random.Next(3) - 1)).ToArray();
        byte[] codes = new byte[Rows * kernel.ChunkCount];
        for (int r = 0; r < Rows; r++)
        {
            TrainingKernel.Encode(x.AsSpan(r * inputs, inputs), codes.AsSpan(r * kernel.ChunkCount, kernel.ChunkCount));
        }

        kernel.Forward(codes, Rows);
        kernel.ClearGradients(Rows);
        float[] expected = new float[shape.ActivationCount];
        float[] seeds = new float[shape.ActivationCount];
        double[] gradient = new double[shape.ParameterCount];
        float[] rowGradient = new float[shape.ParameterCount];
        for (int r = 0; r < Rows; r++)
        {
            ReadOnlySpan<sbyte> row = x.AsSpan(r * inputs, inputs);
            reference.ForwardActivations(row, expected);
            foreach (LayerShape layer in shape.Layers)
            {
                for (int k = 0; k < layer.Width; k++)
                {
                    float actual = kernel.Activations[(r * kernel.RowStride) + kernel.Offset(layer.Index) + k];
                    float want = expected[layer.ActivationOffset + k];
                    if (layer.Index == 0)
                    {
                        // The first layer on the grid: every partial sum exact, so the same bits in any order.
                        Assert.Equal(BitConverter.SingleToInt32Bits(want), BitConverter.SingleToInt32Bits(actual));
                    }
                    else
                    {
                        Assert.True(Math.Abs(actual - want) <= 2e-6 * Math.Max(1, Math.Abs(want)), $"row {r}, layer {layer.Index}, neuron {k}: {actual} against {want}");
                    }

                    // A gradient seed on every activation (hidden-neuron preferences put them there too).
                    float seed = (float)(random.NextDouble() - 0.5);
                    seeds[layer.ActivationOffset + k] = seed;
                    kernel.Gradients[(r * kernel.RowStride) + kernel.Offset(layer.Index) + k] = seed;
                }
            }

            Array.Clear(rowGradient);
            reference.BackwardActivations(row, seeds, rowGradient);
            for (int p = 0; p < gradient.Length; p++)
            {
                gradient[p] += rowGradient[p];
            }
        }

        kernel.Backward(codes, Rows);
        float[] actualGradient = new float[shape.ParameterCount];
        kernel.CollectGradient(actualGradient);
        double scale = gradient.Max(Math.Abs);
        for (int p = 0; p < gradient.Length; p++)
        {
            Assert.True(Math.Abs(actualGradient[p] - gradient[p]) <= 1e-5 * Math.Max(1, scale), $"parameter {p}: {actualGradient[p]} against {gradient[p]}");
        }

        // Collecting clears: a second collection without a backward pass is all zero.
        kernel.CollectGradient(actualGradient);
        Assert.All(actualGradient, g => Assert.Equal(0f, g));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(23)]
    [InlineData(64)]
    public void Codes_round_trip_and_the_uniform_draw_is_uniform_per_input(int inputs)
    {
        int chunks = TrainingKernel.Chunks(inputs);
        var random = new Random(inputs);
        sbyte[] row = Enumerable.Range(0, inputs).Select(_ => (sbyte)(random.Next(3) - 1)).ToArray();
        byte[] codes = new byte[chunks];
        TrainingKernel.Encode(row, codes);
        sbyte[] back = new sbyte[inputs];
        TrainingKernel.Decode(codes, back);
        Assert.Equal(row, back);

        const int Samples = 30_000;
        byte[] drawn = new byte[Samples * chunks];
        TrainingKernel.DrawUniform(new DeterministicRandom(9), inputs, drawn);
        int[,] counts = new int[inputs, 3];
        for (int s = 0; s < Samples; s++)
        {
            TrainingKernel.Decode(drawn.AsSpan(s * chunks, chunks), back);
            byte[] again = new byte[chunks];
            TrainingKernel.Encode(back, again);
            // Digits beyond the input count are never drawn: the codes are exactly those of a ternary row.
            Assert.Equal(drawn.AsSpan(s * chunks, chunks).ToArray(), again);
            for (int i = 0; i < inputs; i++)
            {
                counts[i, back[i] + 1]++;
            }
        }

        // Each input −1, 0, +1 a third of the time: 30,000 draws put a count within 5 standard deviations (±408).
        for (int i = 0; i < inputs; i++)
        {
            for (int v = 0; v < 3; v++)
            {
                Assert.InRange(counts[i, v], 10_000 - 408, 10_000 + 408);
            }
        }

        // Pairs of inputs are independent too: (input 0, last input) uniform over its nine combinations.
        if (inputs > 1)
        {
            int[] pairs = new int[9];
            for (int s = 0; s < Samples; s++)
            {
                TrainingKernel.Decode(drawn.AsSpan(s * chunks, chunks), back);
                pairs[((back[0] + 1) * 3) + back[inputs - 1] + 1]++;
            }

            Assert.All(pairs, c => Assert.InRange(c, 3333 - 289, 3333 + 289));
        }
    }

    [Fact]
    public void Training_a_generated_network_and_the_reference_gives_the_same_bits()
    {
        // The steps run in the kernel; the network is used only where results must be exact (evaluation,
        // certificates), where every implementation has the same bits. So the model is the implementation's too.
        TernaryDataset data = SeedProblem.Data(600, seed: 4);
        var options = new TrainerOptions { Epochs = 3, Seed = 5, DecisionThreshold = 0.5f, Preferences = [Preference.OutputAbove(0.5, 0.6)] };
        var generated = new SeedHidden();
        var reference = new ReferenceNetwork(SeedHidden.Shape);
        TrainingReport a = PreferenceTrainer.Train(generated, data, options);
        TrainingReport b = PreferenceTrainer.Train(reference, data, options);
        Assert.Equal(generated.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits), reference.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(a.Epochs.Select(e => e.ValidationLoss), b.Epochs.Select(e => e.ValidationLoss));
    }
}
