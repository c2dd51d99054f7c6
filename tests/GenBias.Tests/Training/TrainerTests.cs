using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Tests.Training;

/// <summary>The trainer's preferences, methods, determinism, progress and cancellation, with real thresholds.</summary>
public class TrainerTests(ITestOutputHelper output)
{
    private static readonly TernaryDataset Data = SeedProblem.Data(2000, seed: 2);

    private static TrainerOptions Options => new() { Epochs = 25, Seed = 11, DecisionThreshold = 0.5f };

    [Fact]
    public void A_hidden_neuron_preference_is_met()
    {
        var network = new SeedHidden();
        var preference = new Preference { Layer = 0, Neuron = 3, Interval = ActivationInterval.Above(0.5), Target = 0.7 };
        TrainingReport report = PreferenceTrainer.Train(network, Data, Options with { Preferences = [preference] });
        output.WriteLine(report.ToString());

        Assert.True(report.Preferences[0].Met, report.ToString());
        Assert.True(report.Preferences[0].Rate.Lower >= 0.7);
        // The hidden neuron's preference leaves the task itself to the other neurons.
        Assert.True(report.ValidationAccuracy > 0.9, report.ToString());
        RateInterval check = RateEstimator.Estimate(network, preference, 20_000, 0.99, seed: 5);
        Assert.True(check.Lower >= 0.69, check.ToString());
    }

    [Fact]
    public void Two_preferences_at_once_are_both_met()
    {
        var network = new SeedHidden();
        Preference[] preferences =
        [
            Preference.OutputAbove(0.5, 0.5),
            new Preference { Layer = 0, Neuron = null, Interval = ActivationInterval.Below(0), Target = 0.6 },
        ];
        TrainingReport report = PreferenceTrainer.Train(network, Data, Options with { Epochs = 40, Preferences = preferences });
        output.WriteLine(report.ToString());
        Assert.All(report.Preferences, p => Assert.True(p.Met, p.ToString()));
    }

    [Fact]
    public void An_at_most_preference_is_met()
    {
        var network = new SeedNeuron();
        var preference = Preference.OutputAbove(0.5, 0.1) with { Relation = PreferenceRelation.AtMost };
        TrainingReport report = PreferenceTrainer.Train(network, Data, Options with { Epochs = 40, Preferences = [preference] });
        output.WriteLine(report.ToString());
        Assert.True(report.Preferences[0].Met, report.ToString());
        Assert.True(report.Preferences[0].Rate.Upper <= 0.1);
    }

    [Fact]
    public void Penalty_and_calibration_also_reach_the_seed_target()
    {
        var penalized = new SeedNeuron();
        TrainingReport penalty = PreferenceTrainer.Train(penalized, Data,
            Options with { Preferences = [Preference.OutputAbove(0.5, 0.6) with { Method = EnforcementMethod.Penalty, PenaltyWeight = 20 }] });
        output.WriteLine("penalty: " + penalty);
        Assert.True(penalty.Preferences[0].Rate.Estimate >= 0.6, penalty.ToString());

        var calibrated = new SeedNeuron();
        TrainingReport calibration = PreferenceTrainer.Train(calibrated, Data,
            Options with { Preferences = [Preference.OutputAbove(0.5, 0.6) with { Method = EnforcementMethod.Calibration }] });
        output.WriteLine("calibration: " + calibration);
        PreferenceResult result = calibration.Preferences[0];
        Assert.True(result.Met, result.ToString());
        Assert.True(result.BiasShift > 0, "the free neuron is below target, so the bias must rise");
        Assert.Empty(result.MultiplierTrace);
    }

    [Theory]
    [InlineData(0.6, PreferenceRelation.AtLeast, 0.55)]
    [InlineData(0.99, PreferenceRelation.AtLeast, 0.0)]   // 99% of the cube positive leaves the data's negatives no room
    [InlineData(0.1, PreferenceRelation.AtMost, 0.55)]
    public void Projection_keeps_every_epoch_of_a_neuron_exactly_feasible(double target, PreferenceRelation relation, double accuracy)
    {
        // The 25-input neuron of the majority problem (counted by meet in the middle): every epoch's model, not only the last, meets the
        // preference by an exact count, with the free run's accuracy nearly kept where the target allows it.
        var network = new SeedNeuron();
        var preference = Preference.OutputAbove(0.5, target) with { Relation = relation, Method = EnforcementMethod.Projection };
        var epochs = new List<EpochReport>();
        TrainingReport report = PreferenceTrainer.Train(network, Data, Options with { Epochs = 6, Preferences = [preference], FreeBaseline = false },
            new SynchronousProgress<EpochReport>(epochs.Add));
        output.WriteLine(report.ToString());
        Assert.Equal(6, epochs.Count);
        Assert.All(epochs, e => Assert.True(preference.IsMetBy(e.Preferences[0].Lower) && preference.IsMetBy(e.Preferences[0].Upper) && e.Preferences[0].Lower == e.Preferences[0].Upper,
            $"epoch {e.Epoch}: {e.Preferences[0]} (exact: one value)"));
        long count = CoverageCounter.Count(network, preference).Count;
        Assert.True(preference.IsMetBy(count / Math.Pow(3, 25)), $"{count} of 3^25");
        Assert.Empty(report.Preferences[0].MultiplierTrace);
        Assert.True(report.ValidationAccuracy >= accuracy, report.ToString());
    }

    [Fact]
    public void Projection_on_a_hidden_neuron_is_exact_and_a_wrong_place_is_refused()
    {
        var network = new SeedHidden();
        var preference = new Preference { Layer = 0, Neuron = 3, Interval = ActivationInterval.Below(-0.2), Target = 0.8, Method = EnforcementMethod.Projection };
        TrainingReport report = PreferenceTrainer.Train(network, Data, Options with { Epochs = 4, Preferences = [preference] });
        output.WriteLine(report.ToString());
        Assert.True(report.Preferences[0].Met, report.ToString());
        Assert.True(CoverageCounter.Count(network, preference).Fraction >= 0.8);
        Assert.True(report.ValidationAccuracy > 0.9, report.ToString());

        ArgumentException output1 = Assert.Throws<ArgumentException>(() => PreferenceTrainer.Train(new SeedHidden(), Data,
            Options with { Preferences = [Preference.OutputAbove(0.5, 0.6) with { Method = EnforcementMethod.Projection }] }));
        Assert.Contains("single neuron of layer 0", output1.Message);
        Assert.Throws<ArgumentException>(() => PreferenceTrainer.Train(new SeedNeuron(), Data,
            Options with { Preferences = [new Preference { Layer = 0, Neuron = 0, Interval = new ActivationInterval(-0.5, 0.5), Target = 0.5, Method = EnforcementMethod.Projection }] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PreferenceTrainer.Train(new SeedNeuron(), Data, Options with { ProjectionInterval = 0 }));
    }

    [Fact]
    public void Preferences_over_the_data_and_over_a_product_distribution_are_met()
    {
        var network = new SeedNeuron();
        Preference onData = Preference.OutputAbove(0.5, 0.45) with { Distribution = PreferenceDistribution.TrainingData };
        Preference onProduct = Preference.OutputAbove(0.5, 0.5) with
        {
            Distribution = PreferenceDistribution.Product,
            InputProbabilities = [0.1, 0.6, 0.3],
        };
        // The data preference fights the task loss on the same rows, so its multiplier must grow faster.
        TrainingReport report = PreferenceTrainer.Train(network, Data, Options with { Epochs = 60, MultiplierLearningRate = 0.2, Preferences = [onData, onProduct] });
        output.WriteLine(report.ToString());
        Assert.True(report.Preferences[0].Exact);
        Assert.True(report.Preferences[0].Rate.Estimate >= 0.45, report.ToString());
        Assert.True(report.Preferences[1].Met, report.ToString());
    }

    [Fact]
    public void A_soft_reward_moves_activations_into_the_rewarded_range()
    {
        var plain = new SeedNeuron();
        PreferenceTrainer.Train(plain, Data, Options);
        var rewarded = new SeedNeuron();
        var reward = new ActivationReward
        {
            Ranges = [(ActivationInterval.Above(0.5), 1.0), (ActivationInterval.Below(-0.5), -1.0)],
            Weight = 2,
        };
        PreferenceTrainer.Train(rewarded, Data, Options with { Rewards = [reward] });

        Preference above = Preference.OutputAbove(0.5, 0);
        Preference below = new() { Interval = ActivationInterval.Below(-0.5), Target = 0 };
        double plainAbove = RateEstimator.Estimate(plain, above, 20_000, 0.99, 1).Estimate;
        double rewardedAbove = RateEstimator.Estimate(rewarded, above, 20_000, 0.99, 1).Estimate;
        double plainBelow = RateEstimator.Estimate(plain, below, 20_000, 0.99, 1).Estimate;
        double rewardedBelow = RateEstimator.Estimate(rewarded, below, 20_000, 0.99, 1).Estimate;
        output.WriteLine($"above 0.5: {plainAbove:P1} -> {rewardedAbove:P1}; below -0.5: {plainBelow:P1} -> {rewardedBelow:P1}");
        Assert.True(rewardedAbove > plainAbove + 0.1);
        Assert.True(rewardedBelow < plainBelow - 0.1);
    }

    [Fact]
    public void The_same_seed_gives_the_same_model_bit_for_bit()
    {
        TrainerOptions options = Options with { Epochs = 5, Preferences = [Preference.OutputAbove(0.5, 0.6)] };
        var first = new SeedHidden();
        var second = new SeedHidden();
        TrainingReport a = PreferenceTrainer.Train(first, Data, options);
        TrainingReport b = PreferenceTrainer.Train(second, Data, options);
        Assert.Equal(first.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits), second.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(a.Epochs.Select(e => e.TrainLoss), b.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(a.Preferences[0].Rate, b.Preferences[0].Rate);

        var third = new SeedHidden();
        PreferenceTrainer.Train(third, Data, options with { Seed = 12 });
        Assert.NotEqual(first.Parameters.ToArray(), third.Parameters.ToArray());

        // And the first layer stays on the exact grid.
        Assert.True(FixedPointGrid.IsFirstLayerOnGrid(SeedHidden.Shape, first.Parameters));
    }

    [Fact]
    public void Progress_reports_every_epoch_and_cancellation_stops_the_run()
    {
        var reports = new List<EpochReport>();
        var network = new SeedNeuron();
        TrainingReport report = PreferenceTrainer.Train(network, Data, Options with { Epochs = 6, Patience = 0, Preferences = [Preference.OutputAbove(0.5, 0.6)] },
            new SynchronousProgress<EpochReport>(reports.Add));
        // With a preference, the free network's six epochs come first (FreeBaseline), then six with the preference.
        Assert.Equal(Enumerable.Range(1, 12), reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.Equal(12, r.Epochs));
        Assert.All(reports, r => Assert.Single(r.Preferences));
        Assert.Equal(12, report.Epochs.Count);
        Assert.Equal(6, PreferenceTrainer.Train(new SeedNeuron(), Data, Options with { Epochs = 6, Patience = 0, FreeBaseline = false, Preferences = [Preference.OutputAbove(0.5, 0.6)] }).Epochs.Count);

        using var cancel = new CancellationTokenSource();
        int seen = 0;
        var progress = new SynchronousProgress<EpochReport>(_ =>
        {
            seen++;
            cancel.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            PreferenceTrainer.Train(new SeedNeuron(), Data, Options with { Epochs = 50 }, progress, cancel.Token));
        Assert.Equal(1, seen);
    }

    [Fact]
    public void Bad_input_is_rejected_with_clear_messages()
    {
        Assert.Contains("label 2", Assert.Throws<ArgumentException>(() =>
            TernaryDataset.FromArrays([new sbyte[] { 1, 0 }, new sbyte[] { 0, 1 }], [1, 2])).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => TernaryDataset.FromArrays([], [])).Message);
        Assert.Contains("Row 1, input 0 is 5", Assert.Throws<ArgumentException>(() =>
            TernaryDataset.FromArrays([new sbyte[] { 1 }, new sbyte[] { 5 }], [0, 1])).Message);

        TernaryDataset narrow = TernaryDataset.FromArrays([new sbyte[] { 1, 0 }, new sbyte[] { 0, 1 }], [0, 1]);
        Assert.Contains("2 inputs per row", Assert.Throws<ArgumentException>(() => PreferenceTrainer.Train(new SeedNeuron(), narrow, Options)).Message);

        var error = Assert.Throws<System.IO.InvalidDataException>(() =>
            TernaryDataset.FromCsv(new System.IO.StringReader("1,0,1\n0,NaN,0\n"), new TextDataOptions()));
        Assert.Contains("line 2", error.Message);
        Assert.Contains("'NaN'", error.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => PreferenceTrainer.Train(new SeedNeuron(), Data, Options with { BatchSize = 0 }));
        Assert.Contains("outside [0, 1]", Assert.Throws<ArgumentException>(() =>
            PreferenceTrainer.Train(new SeedNeuron(), Data, Options with { Preferences = [Preference.OutputAbove(0.5, 1.5)] })).Message);
        Assert.Contains("outside the range", Assert.Throws<ArgumentException>(() =>
            PreferenceTrainer.Train(new SeedNeuron(), Data, Options with { Preferences = [Preference.OutputAbove(1.0, 0.5)] })).Message);
        Assert.Contains("neuron 9 does not exist", Assert.Throws<ArgumentException>(() =>
            PreferenceTrainer.Train(new SeedHidden(), Data, Options with { Preferences = [Preference.OutputAbove(0.5, 0.5) with { Layer = 0, Neuron = 9 }] })).Message);
        Assert.Contains("is empty", Assert.Throws<ArgumentException>(() =>
            PreferenceTrainer.Train(new SeedNeuron(), Data, Options with { Preferences = [new Preference { Interval = ActivationInterval.Between(0.6, 0.2), Target = 0.5 }] })).Message);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, which a test cannot await).</summary>
    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}

public class LossTests
{
    [Theory]
    [InlineData(Activation.Tanh, 0.5f)]
    [InlineData(Activation.Tanh, -0.3f)]
    [InlineData(Activation.Sigmoid, 0.7f)]
    [InlineData(Activation.HardTanh, 0.5f)]
    [InlineData(Activation.Linear, 0.5f)]
    public void Every_loss_is_centred_on_the_decision_threshold(Activation output, float threshold)
    {
        foreach (LossKind kind in new[] { LossKind.Logistic, LossKind.Squared, LossKind.Hinge })
        {
            // At the threshold both labels cost the same, and the gradient pushes each label's way.
            (double positive, float gPositive) = PreferenceTrainer.Loss(kind, output, threshold, 1, threshold);
            (double negative, float gNegative) = PreferenceTrainer.Loss(kind, output, threshold, 0, threshold);
            Assert.Equal(positive, negative, 6);
            Assert.True(gPositive < 0 && gNegative > 0, $"{kind}: {gPositive}, {gNegative}");
            // Just above the threshold a positive costs less than a negative, just below the opposite.
            Assert.True(PreferenceTrainer.Loss(kind, output, threshold + 0.05f, 1, threshold).Loss < PreferenceTrainer.Loss(kind, output, threshold + 0.05f, 0, threshold).Loss);
            Assert.True(PreferenceTrainer.Loss(kind, output, threshold - 0.05f, 1, threshold).Loss > PreferenceTrainer.Loss(kind, output, threshold - 0.05f, 0, threshold).Loss);
        }

        // The logistic gradient is the derivative of the loss (central differences, away from the kink).
        foreach (float y in new[] { threshold - 0.2f, threshold + 0.2f })
        {
            foreach (int label in new[] { 0, 1 })
            {
                const float H = 1e-3f;
                double numeric = (PreferenceTrainer.Loss(LossKind.Logistic, output, y + H, label, threshold).Loss -
                                  PreferenceTrainer.Loss(LossKind.Logistic, output, y - H, label, threshold).Loss) / (2 * H);
                float analytic = PreferenceTrainer.Loss(LossKind.Logistic, output, y, label, threshold).Gradient;
                Assert.True(Math.Abs(numeric - analytic) <= 2e-3 * Math.Max(1, Math.Abs(numeric)), $"y {y}, label {label}: {analytic} against {numeric}");
            }
        }
    }

    [Fact]
    public void The_default_thresholds_keep_the_usual_losses_and_a_threshold_outside_the_range_is_refused()
    {
        // tanh at 0: p = (y + 1)/2; sigmoid at ½: p = y.
        Assert.Equal(-Math.Log(((double)0.3f + 1) / 2.0), PreferenceTrainer.Loss(LossKind.Logistic, Activation.Tanh, 0.3f, 1, 0f).Loss, 12);
        Assert.Equal(-Math.Log(1 - (double)0.8f), PreferenceTrainer.Loss(LossKind.Logistic, Activation.Sigmoid, 0.8f, 0, 0.5f).Loss, 12);
        Assert.Equal(((0.3f - 1f) * (double)(0.3f - 1f)), PreferenceTrainer.Loss(LossKind.Squared, Activation.Tanh, 0.3f, 1, 0f).Loss, 12);
        Assert.Equal(((0.3f + 1f) * (double)(0.3f + 1f)), PreferenceTrainer.Loss(LossKind.Squared, Activation.Tanh, 0.3f, 0, 0f).Loss, 12);

        var data = TernaryDataset.FromArrays([new sbyte[] { 1, 0, -1, 1, 0, 0, 1, -1, 0, 1, 0, 0, 1, -1, 0, 1, 0, 0, 1, -1, 0, 1, 0, 0, 1 }], [1]);
        Assert.Contains("strictly inside", Assert.Throws<ArgumentException>(() =>
            PreferenceTrainer.Train(new SeedNeuron(), data, new TrainerOptions { DecisionThreshold = 1f })).Message);
    }
}
