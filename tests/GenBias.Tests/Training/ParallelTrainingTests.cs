using System;
using System.Linq;
using Xunit;

namespace GenBias.Tests.Training;

/// <summary>
/// The trainer on several threads: the kernel's passes and whole training runs give the same bits for any thread
/// count (rows in fixed blocks, every gradient summed in row order), and the thread count is validated.
/// </summary>
public class ParallelTrainingTests
{
    [Theory]
    [MemberData(nameof(TrainingKernelTests.Shapes), MemberType = typeof(TrainingKernelTests))]
    public void The_kernel_gives_the_same_bits_on_any_number_of_threads(int inputs, int[] widths, Activation[] activations)
    {
        NetworkShape shape = NetworkShape.Create(inputs, [.. widths.Zip(activations)]);
        var random = new Random((inputs * 17) + widths.Length);
        float[] parameters = Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        // 75 rows: four whole blocks and a partial one; two passes accumulate before the gradient is collected.
        const int Rows = 75;
        int chunks = TrainingKernel.Chunks(inputs);
        byte[] first = new byte[Rows * chunks], second = new byte[Rows * chunks];
        TrainingKernel.DrawUniform(new DeterministicRandom(3), inputs, first);
        TrainingKernel.DrawUniform(new DeterministicRandom(4), inputs, second);
        float[] seeds = Enumerable.Range(0, 2 * Rows * shape.ActivationCount).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();

        (float[] Activations, float[] Gradient) Run(int threads)
        {
            using var workers = new TrainingWorkers(threads);
            var kernel = new TrainingKernel(shape) { Workers = workers };
            kernel.SetParameters(parameters);
            float[] kept = [];
            int seed = 0;
            foreach (byte[] codes in new[] { first, second })
            {
                kernel.Forward(codes, Rows);
                kept = [.. kept, .. kernel.Activations[..(Rows * kernel.RowStride)]];
                kernel.ClearGradients(Rows);
                for (int r = 0; r < Rows; r++)
                {
                    foreach (LayerShape layer in shape.Layers)
                    {
                        for (int k = 0; k < layer.Width; k++)
                        {
                            kernel.Gradients[(r * kernel.RowStride) + kernel.Offset(layer.Index) + k] = seeds[seed++];
                        }
                    }
                }

                kernel.Backward(codes, Rows);
            }

            float[] gradient = new float[shape.ParameterCount];
            kernel.CollectGradient(gradient);
            return (kept, gradient);
        }

        (float[] values, float[] gradient) = Run(1);
        Assert.Contains(gradient, g => g != 0);
        foreach (int threads in new[] { 2, 3, 4, 16 })
        {
            (float[] a, float[] g) = Run(threads);
            Assert.Equal(Bits(values), Bits(a));
            Assert.Equal(Bits(gradient), Bits(g));
        }
    }

    [Fact]
    public void Training_on_one_two_or_three_threads_gives_the_same_model_bit_for_bit()
    {
        TernaryDataset data = SeedProblem.Data(1500, 21);
        // A batch of 100 rows: six whole blocks and a partial one; the cube preference adds sample passes to every step.
        var options = new TrainerOptions
        {
            Epochs = 2,
            BatchSize = 100,
            Seed = 5,
            Patience = 0,
            FreeBaseline = false,
            Preferences = [Preference.OutputAbove(0.5, 0.6)],
        };
        // Every job on the workers (a busy machine would otherwise run most of them on the calling thread, which has
        // the same bits anyway); other tests running meanwhile are only slowed, never changed.
        TrainingWorkers.NeverAlone = true;
        try
        {
            foreach (TrainerOptions run in new[] { options, options with { Preferences = [] } })
            {
                string[] models = [.. new[] { 1, 2, 3 }.Select(threads =>
                {
                    var network = new SeedHidden();
                    PreferenceTrainer.Train(network, data, run with { Threads = threads });
                    return CoverageCounter.NetworkHash(network);
                })];
                Assert.Equal(models[0], models[1]);
                Assert.Equal(models[0], models[2]);
            }
        }
        finally
        {
            TrainingWorkers.NeverAlone = false;
        }
    }

    [Fact]
    public void A_step_over_the_batch_and_two_distributions_gives_the_same_model_on_one_two_or_three_threads()
    {
        TernaryDataset data = SeedProblem.Data(700, 23);
        // One pass a step over the batch (100 rows: six whole blocks and a partial one), then the cube's and a product's
        // samples (64 each: blocks across the two groups' rows and the batch's), with a reward over the hidden layer.
        var options = new TrainerOptions
        {
            Epochs = 2,
            BatchSize = 100,
            Seed = 6,
            Patience = 0,
            FreeBaseline = false,
            Preferences =
            [
                Preference.OutputAbove(0.5, 0.6),
                Preference.OutputAbove(0.5, 0.5) with { Distribution = PreferenceDistribution.Product, InputProbabilities = [0.2, 0.5, 0.3] },
            ],
            Rewards = [new ActivationReward { Layer = 0, Neuron = null, Ranges = [(ActivationInterval.Above(0.9), 1.0)], Weight = 0.1 }],
        };
        TrainingWorkers.NeverAlone = true;
        try
        {
            int[][] models = [.. new[] { 1, 2, 3 }.Select(threads =>
            {
                var network = new SeedHidden();
                PreferenceTrainer.Train(network, data, options with { Threads = threads });
                return Bits(network.Parameters.ToArray());
            })];
            Assert.Equal(models[0], models[1]);
            Assert.Equal(models[0], models[2]);
        }
        finally
        {
            TrainingWorkers.NeverAlone = false;
        }
    }

    [Fact]
    public void The_update_inside_the_kernel_gives_the_bits_of_the_update_after_the_step()
    {
        TernaryDataset data = SeedProblem.Data(600, 24);
        // A learning rate this large drives first-layer neurons to the grid's bound, where they are scaled down.
        var plain = new TrainerOptions { Epochs = 2, BatchSize = 50, Seed = 8, Patience = 0, FreeBaseline = false, LearningRate = 4, ValidationFraction = 0 };
        TrainerOptions[] runs =
        [
            plain,
            plain with { LearningRate = 0.02, Preferences = [Preference.OutputAbove(0.5, 0.6)], WeightDecay = 1e-3 },
            plain with { LearningRate = 0.05, Optimizer = OptimizerKind.Sgd, Rewards = [new ActivationReward { Layer = 0, Neuron = null, Ranges = [(ActivationInterval.Above(0.9), 1.0)], Weight = 0.1 }] },
        ];
        bool scaled = false;
        foreach (TrainerOptions options in runs)
        {
            int[][] models = [.. new[] { true, false }.Select(inKernel =>
            {
                PreferenceTrainer.UpdateInKernel = inKernel;
                try
                {
                    var network = new SeedHidden();
                    PreferenceTrainer.Train(network, data, options with { Threads = 2 });
                    return Bits(network.Parameters.ToArray());
                }
                finally
                {
                    PreferenceTrainer.UpdateInKernel = true;
                }
            })];
            Assert.Equal(models[1], models[0]);
            scaled |= FirstLayerAtTheBound(models[0]);
        }

        // The first run reached the bound: the scaling path ran.
        Assert.True(scaled);
    }

    /// <summary>Whether a first-layer neuron's Σ|w| + |b| is within 1% of the grid's bound.</summary>
    private static bool FirstLayerAtTheBound(int[] bits)
    {
        LayerShape first = SeedHidden.Shape.Layers[0];
        float[] values = [.. bits.Select(BitConverter.Int32BitsToSingle)];
        return Enumerable.Range(0, first.Width).Any(k =>
            Math.Abs(values[first.BiasIndex(k)]) + Enumerable.Range(0, first.InputCount).Sum(i => Math.Abs(values[first.WeightIndex(k, i)])) > 0.99 * FixedPointGrid.MaxAbsoluteSum);
    }

    [Fact]
    public void The_same_seed_on_several_threads_gives_the_same_model()
    {
        TernaryDataset data = SeedProblem.Data(800, 22);
        var options = new TrainerOptions { Epochs = 2, Seed = 9, Threads = 2, Preferences = [Preference.OutputAbove(0.5, 0.6)] };
        var a = new SeedHidden();
        var b = new SeedHidden();
        PreferenceTrainer.Train(a, data, options);
        PreferenceTrainer.Train(b, data, options);
        Assert.Equal(Bits(a.Parameters.ToArray()), Bits(b.Parameters.ToArray()));
        var other = new SeedHidden();
        PreferenceTrainer.Train(other, data, options with { Seed = 10 });
        Assert.NotEqual(Bits(a.Parameters.ToArray()), Bits(other.Parameters.ToArray()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(TrainerOptions.MaxThreads + 1)]
    public void A_thread_count_out_of_range_is_refused(int threads)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            PreferenceTrainer.Train(new SeedHidden(), SeedProblem.Data(50, 1), new TrainerOptions { Threads = threads }));
        Assert.Contains("TrainerOptions.Threads must be between 1 and", e.Message, StringComparison.Ordinal);
        Assert.Contains($"(it is {threads})", e.Message, StringComparison.Ordinal);
    }

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
}
