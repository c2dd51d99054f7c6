using System;
using System.Collections.Generic;
using System.Linq;
using GenBias.Tests.Coverage;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Tests.Training;

/// <summary>
/// Odd hidden activations, zero hidden biases and an output bias past <see cref="SymmetricProjection.BiasBound"/> put at
/// least half the cube inside the interval, whatever the weights: checked by brute force over every input.
/// </summary>
public class SymmetricProjectionTests(ITestOutputHelper output)
{
    public static TheoryData<Activation, bool, double> Bounds() => new()
    {
        { Activation.Tanh, true, 0.5 },
        { Activation.Tanh, true, 0 },
        { Activation.Tanh, false, -0.3 },
        { Activation.Sigmoid, true, 0.5 },
        { Activation.Sigmoid, false, 0.7 },
        { Activation.HardTanh, true, 0.25 },
        { Activation.Linear, true, 0.5 },
        { Activation.ReLU, true, 0.5 },
    };

    [Theory]
    [MemberData(nameof(Bounds))]
    public void The_bias_bound_is_the_least_float_past_which_every_pre_activation_is_inside(Activation activation, bool above, double threshold)
    {
        ActivationInterval interval = above ? ActivationInterval.Above(threshold) : ActivationInterval.Below(threshold);
        float bound = SymmetricProjection.BiasBound(activation, interval);
        float before = above ? MathF.BitDecrement(bound) : MathF.BitIncrement(bound);
        output.WriteLine($"{activation} {interval}: bound {bound:R}, f(bound) {ActivationMath.Apply(activation, bound):R}, one float before {ActivationMath.Apply(activation, before):R}");
        Assert.True(interval.Contains(ActivationMath.Apply(activation, bound)));
        Assert.False(interval.Contains(ActivationMath.Apply(activation, before)), "not the least such bias");

        // Every float from the bound on for 2^22 floats, then random floats up to 20 past it.
        float z = bound;
        for (int i = 0; i < 1 << 22; i++, z = above ? MathF.BitIncrement(z) : MathF.BitDecrement(z))
        {
            Assert.True(interval.Contains(ActivationMath.Apply(activation, z)), $"f({z:R}) = {ActivationMath.Apply(activation, z):R}");
        }

        var random = new DeterministicRandom(5);
        for (int i = 0; i < 1_000_000; i++)
        {
            float far = bound + ((above ? 1 : -1) * (float)(random.NextDouble() * 20));
            Assert.True(interval.Contains(ActivationMath.Apply(activation, far)), $"f({far:R}) = {ActivationMath.Apply(activation, far):R}");
        }
    }

    [Fact]
    public void Tanh_past_the_bound_is_inside_for_every_float_up_to_its_saturation()
    {
        // The whole range the wiggle could matter in: from the bound to tanh's clamp (constant beyond), every float.
        foreach (ActivationInterval interval in new[] { ActivationInterval.Above(0.5), ActivationInterval.Below(-0.5) })
        {
            float bound = SymmetricProjection.BiasBound(Activation.Tanh, interval);
            bool above = double.IsPositiveInfinity(interval.Upper);
            long checkedFloats = 0;
            for (float z = bound; Math.Abs(z) <= 8f; z = above ? MathF.BitIncrement(z) : MathF.BitDecrement(z), checkedFloats++)
            {
                if (!interval.Contains(ActivationMath.Tanh(z)))
                {
                    Assert.Fail($"{interval}: tanh({z:R}) = {ActivationMath.Tanh(z):R} past the bound {bound:R}");
                }
            }

            output.WriteLine($"{interval}: bound {bound:R}, {checkedFloats:N0} floats checked");
        }
    }

    public static TheoryData<string, bool> Networks() => new()
    {
        { nameof(TwoHidden9x8x5x1), true },
        { nameof(TwoHidden9x8x5x1), false },
        { nameof(Hidden10x6x1), true },
        { nameof(Leaf11x15x1), true },
        { "9 → 6 (Linear) → 4 (TernaryStep) → 1 (Sigmoid)", true },
        { "8 → 5 (HardTanh) → 1 (Tanh)", false },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Any_weights_with_zero_hidden_biases_and_the_bound_meet_half_the_cube_exactly(string name, bool above)
    {
        for (int seed = 1; seed <= 6; seed++)
        {
            ITernaryNetwork network = Create(name, seed);
            Activation outputActivation = network.Shape.OutputLayer.Activation;
            double threshold = outputActivation == Activation.Sigmoid ? 0.5 : above ? 0.3 : -0.3;
            Preference preference = new Preference
            {
                Interval = above ? ActivationInterval.Above(threshold) : ActivationInterval.Below(threshold),
                Target = 0.5,
                Method = EnforcementMethod.Projection,
            };
            preference.Validate(network.Shape);
            float[] parameters = network.Parameters.ToArray();
            // Push the output bias far to the wrong side, so that the projection has to move it.
            int outputBias = network.Shape.OutputLayer.BiasIndex(0);
            parameters[outputBias] = above ? -3 : 3;
            float[] before = (float[])parameters.Clone();
            SymmetricProjection.Apply(network.Shape, parameters, preference);
            network.SetParameters(parameters);

            long total = ExactCountTests.CubeSize(network.Shape.InputCount), count = ExactCountTests.BruteForce(network, preference);
            output.WriteLine($"{name}, seed {seed}, {preference.Interval}: {count:N0} of {total:N0} ({(double)count / total:P3}), output bias {parameters[outputBias]:R}");
            Assert.True(2 * count >= total + 1, $"{count} of {total}");
            Assert.Equal(SymmetricProjection.BiasBound(outputActivation, preference.Interval), parameters[outputBias]);
            for (int p = 0; p < parameters.Length; p++)
            {
                bool hiddenBias = network.Shape.Layers.SkipLast(1).Any(l => p >= l.BiasOffset && p < l.BiasOffset + l.Width);
                if (hiddenBias)
                {
                    Assert.Equal(0f, parameters[p]);
                }
                else if (p != outputBias)
                {
                    Assert.Equal(before[p], parameters[p]);
                }
            }
        }
    }

    [Fact]
    public void Hidden_biases_break_the_symmetry_a_projection_relies_on()
    {
        // The same construction with the hidden biases left as drawn: some networks fall below half the cube.
        int below = 0;
        for (int seed = 1; seed <= 20; seed++)
        {
            TwoHidden9x8x5x1 network = ExactCountTests.Network<TwoHidden9x8x5x1>(seed, scale: 2f);
            Preference preference = Preference.OutputAbove(0.3, 0.5);
            float[] parameters = network.Parameters.ToArray();
            parameters[TwoHidden9x8x5x1.Shape.OutputLayer.BiasIndex(0)] = SymmetricProjection.BiasBound(Activation.Tanh, preference.Interval);
            network.SetParameters(parameters);
            long count = ExactCountTests.BruteForce(network, preference), total = ExactCountTests.CubeSize(9);
            below += 2 * count < total ? 1 : 0;
        }

        output.WriteLine($"{below} of 20 networks with random hidden biases fall below half the cube");
        Assert.True(below > 0);
    }

    [Fact]
    public void Training_with_the_projection_meets_half_the_cube_in_every_epoch_where_free_training_does_not()
    {
        // 9 inputs labelled positive on about a fifth of the cube: free training puts well under half of it above 0.3.
        var random = new DeterministicRandom(4);
        var rows = new List<sbyte[]>();
        var labels = new List<int>();
        for (int r = 0; r < 800; r++)
        {
            sbyte[] row = [.. Enumerable.Range(0, 9).Select(_ => (sbyte)(random.Next(3) - 1))];
            rows.Add(row);
            labels.Add(row.Take(3).Sum(v => v) >= 2 ? 1 : 0);
        }

        TernaryDataset data = TernaryDataset.FromArrays(rows, labels);
        Preference preference = Preference.OutputAbove(0.3, 0.5) with { Method = EnforcementMethod.Projection };
        var options = new TrainerOptions { Epochs = 6, Seed = 3, FreeBaseline = false, DecisionThreshold = 0.3f };
        long total = ExactCountTests.CubeSize(9);

        var free = new TwoHidden9x8x5x1();
        PreferenceTrainer.Train(free, data, options);
        long freeCount = ExactCountTests.BruteForce(free, preference);

        var projected = new TwoHidden9x8x5x1();
        var epochs = new List<EpochReport>();
        TrainingReport report = PreferenceTrainer.Train(projected, data, options with { Preferences = [preference] }, new SynchronousProgress<EpochReport>(epochs.Add));
        long count = ExactCountTests.BruteForce(projected, preference);
        output.WriteLine($"free {freeCount:N0}/{total:N0}; projected {count:N0}/{total:N0}; {report}");
        Assert.True(2 * freeCount < total, "free training already meets it: the test shows nothing");
        Assert.True(2 * count > total, $"{count} of {total}");
        Assert.True(report.AllMet);
        Assert.All(epochs, e => Assert.True(e.Preferences[0].Rate >= 0.5, $"epoch {e.Epoch}: {e.Preferences[0].Rate}"));
        Assert.All(TwoHidden9x8x5x1.Shape.Layers.SkipLast(1), l => Assert.All(projected.Parameters.Slice(l.BiasOffset, l.Width).ToArray(), b => Assert.Equal(0f, b)));
        Assert.True(report.TrainAccuracy > 0.6, report.ToString());
    }

    [Fact]
    public void Projection_of_the_output_is_refused_where_symmetry_does_not_hold()
    {
        Preference Projection(double target) => Preference.OutputAbove(0.3, target) with { Method = EnforcementMethod.Projection };
        NetworkShape odd = TwoHidden9x8x5x1.Shape;
        Projection(0.5).Validate(odd);
        var aboveHalf = Assert.Throws<ArgumentException>(() => Projection(0.51).Validate(odd));
        Assert.Contains("odd hidden activations", aboveHalf.Message, StringComparison.Ordinal);
        // Sigmoid hidden neurons are not odd.
        Assert.Throws<ArgumentException>(() => Projection(0.5).Validate(TwoHidden13x10x12x1.Shape));
        // Nor ReLU; nor "at most"; nor the training data.
        Assert.Throws<ArgumentException>(() => Projection(0.5).Validate(NetworkShape.Create(6, (4, Activation.ReLU), (1, Activation.Tanh))));
        Assert.Throws<ArgumentException>(() => (Projection(0.5) with { Relation = PreferenceRelation.AtMost }).Validate(odd));
        Assert.Throws<ArgumentException>(() => (Projection(0.5) with { Distribution = PreferenceDistribution.TrainingData }).Validate(odd));
        Assert.Throws<ArgumentException>(() => SymmetricProjection.Apply(odd, new float[odd.ParameterCount], Projection(0.6)));
    }

    private static ITernaryNetwork Create(string name, int seed)
    {
        switch (name)
        {
            case nameof(TwoHidden9x8x5x1):
                return ExactCountTests.Network<TwoHidden9x8x5x1>(seed);
            case nameof(Hidden10x6x1):
                return ExactCountTests.Network<Hidden10x6x1>(seed);
            case nameof(Leaf11x15x1):
                return ExactCountTests.Network<Leaf11x15x1>(seed);
        }

        NetworkShape shape = name.StartsWith("9 ", StringComparison.Ordinal)
            ? NetworkShape.Create(9, (6, Activation.Linear), (4, Activation.TernaryStep), (1, Activation.Sigmoid))
            : NetworkShape.Create(8, (5, Activation.HardTanh), (1, Activation.Tanh));
        var random = new DeterministicRandom((ulong)seed);
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        return new ReferenceNetwork(shape, parameters);
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
