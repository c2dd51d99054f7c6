using System;
using System.Linq;
using Xunit;

namespace GenBias.Tests.Training;

/// <summary>
/// The trainer on several threads: the kernel's passes and whole training runs give the same bits for any thread
/// count (rows in fixed shards, each summed in row order, the shards' sums added in shard order), and the thread count
/// is validated.
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
        // 75 rows: shards of 37 and 38 rows; two passes accumulate before the gradient is collected.
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
        // Every job on the workers (more threads than shards included): the same bits as one thread.
        TrainingWorkers.NeverAlone = true;
        try
        {
            foreach (int threads in new[] { 2, 3, 4, 16 })
            {
                (float[] a, float[] g) = Run(threads);
                Assert.Equal(Bits(values), Bits(a));
                Assert.Equal(Bits(gradient), Bits(g));
            }
        }
        finally
        {
            TrainingWorkers.NeverAlone = false;
        }
    }

    /// <summary>
    /// A pass's gradient is its shards' gradients added in shard order: each segment of the pass (here 75 rows, then 9,
    /// then 2, then 0) cut into <see cref="TrainingKernel.Shards"/> parts at ⌊length · s / shards⌋, shard s taking part s
    /// of every segment in segment order. Each shard is run alone on a kernel of its own (its rows in that order, one
    /// segment) and their gradients added in shard order: the same bits as the pass on one thread and on several.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_pass_is_its_shards_gradients_added_in_shard_order(int threads)
    {
        NetworkShape shape = NetworkShape.Create(25, [(16, Activation.Tanh), (3, Activation.Sigmoid)]);
        var random = new Random(41);
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        int[] ends = [75, 84, 86, 86];
        int rows = ends[^1], chunks = TrainingKernel.Chunks(shape.InputCount);
        byte[] codes = new byte[rows * chunks];
        TrainingKernel.DrawUniform(new DeterministicRandom(5), shape.InputCount, codes);
        // A row's seed depends on the row (not on where the kernel keeps it), so that each shard alone sees the same.
        float[] seeds = [.. Enumerable.Range(0, rows * shape.ActivationCount).Select(_ => (float)(random.NextDouble() - 0.5))];

        void Seed(TrainingKernel kernel, int[] rowOf, int from, int to, int at)
        {
            for (int r = from; r < to; r++)
            {
                foreach (LayerShape layer in shape.Layers)
                {
                    for (int k = 0; k < layer.Width; k++)
                    {
                        kernel.Gradients[((at + r - from) * kernel.RowStride) + kernel.Offset(layer.Index) + k] = seeds[(rowOf[r] * shape.ActivationCount) + layer.ActivationOffset + k];
                    }
                }
            }
        }

        int[] identity = [.. Enumerable.Range(0, rows)];
        float[] whole = new float[shape.ParameterCount];
        TrainingWorkers.NeverAlone = true;
        try
        {
            using var workers = new TrainingWorkers(threads);
            var kernel = new TrainingKernel(shape) { Workers = workers };
            kernel.SetParameters(parameters);
            kernel.Pass(codes, rows, (from, to, at) => Seed(kernel, identity, from, to, at), last: true, ends, ends.Length);
            kernel.CollectGradient(whole);
        }
        finally
        {
            TrainingWorkers.NeverAlone = false;
        }

        float[] expected = new float[shape.ParameterCount];
        for (int shard = 0; shard < TrainingKernel.Shards; shard++)
        {
            var rowsOf = new System.Collections.Generic.List<int>();
            for (int k = 0, begin = 0; k < ends.Length; begin = ends[k++])
            {
                int length = ends[k] - begin;
                rowsOf.AddRange(Enumerable.Range(begin + (length * shard / TrainingKernel.Shards), (length * (shard + 1) / TrainingKernel.Shards) - (length * shard / TrainingKernel.Shards)));
            }

            float[] sum = ShardGradient(shape, parameters, codes, [.. rowsOf], seeds);
            for (int p = 0; p < sum.Length; p++)
            {
                expected[p] = shard == 0 ? sum[p] : expected[p] + sum[p];
            }
        }

        Assert.Equal(Bits(expected), Bits(whole));
    }


    /// <summary>
    /// The gradient of one shard alone: its rows (in its order) as the first shard of a one-segment pass on one thread,
    /// the second shard as many rows with no gradient at all (whose sums are zeros, and x + 0 is x).
    /// </summary>
    private static float[] ShardGradient(NetworkShape shape, float[] parameters, byte[] codes, int[] own, float[] seeds)
    {
        int n = own.Length, chunks = TrainingKernel.Chunks(shape.InputCount);
        byte[] pass = new byte[2 * n * chunks];
        for (int r = 0; r < n; r++)
        {
            codes.AsSpan(own[r] * chunks, chunks).CopyTo(pass.AsSpan(r * chunks));
        }

        var kernel = new TrainingKernel(shape);
        kernel.SetParameters(parameters);
        kernel.Pass(pass, 2 * n, (from, to, at) =>
        {
            for (int r = from; r < Math.Min(to, n); r++)
            {
                foreach (LayerShape layer in shape.Layers)
                {
                    for (int k = 0; k < layer.Width; k++)
                    {
                        kernel.Gradients[((at + r - from) * kernel.RowStride) + kernel.Offset(layer.Index) + k] = seeds[(own[r] * shape.ActivationCount) + layer.ActivationOffset + k];
                    }
                }
            }
        }, last: true);
        float[] gradient = new float[shape.ParameterCount];
        kernel.CollectGradient(gradient);
        return gradient;
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
    public void A_last_batch_of_one_row_odd_sample_counts_and_more_threads_than_shards_give_the_same_model()
    {
        // 431 rows in batches of 43: ten whole batches (shards of 21 and 22 rows) and a last batch of one row (shards of
        // 0 and 1); 33 cube samples a step (16 and 17) and 17 multiplier samples (a pass too small to hand over).
        TernaryDataset data = SeedProblem.Data(431, 25);
        var options = new TrainerOptions
        {
            Epochs = 2,
            BatchSize = 43,
            Seed = 7,
            Patience = 0,
            FreeBaseline = false,
            ValidationFraction = 0,
            SurrogateSamplesPerStep = 33,
            MultiplierSamplesPerStep = 17,
            Preferences = [Preference.OutputAbove(0.5, 0.6)],
        };
        TrainingWorkers.NeverAlone = true;
        try
        {
            int[][] models = [.. new[] { 1, 2, 3, 16 }.Select(threads =>
            {
                var network = new SeedHidden();
                PreferenceTrainer.Train(network, data, options with { Threads = threads });
                return Bits(network.Parameters.ToArray());
            })];
            Assert.Equal(models[0], models[1]);
            Assert.Equal(models[0], models[2]);
            Assert.Equal(models[0], models[3]);
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
