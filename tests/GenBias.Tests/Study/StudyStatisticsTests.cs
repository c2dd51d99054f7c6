using System;
using System.Collections.Generic;
using System.Linq;
using ClassificationStudy;
using Xunit;

namespace GenBias.Tests.Study;

public class StudyStatisticsTests
{
    [Theory]
    [InlineData(0.975, 1, 12.706204736)]
    [InlineData(0.975, 4, 2.776445105)]
    [InlineData(0.975, 14, 2.144786688)]
    [InlineData(0.95, 9, 1.833112933)]
    [InlineData(0.5, 7, 0)]
    public void Student_quantiles_match_the_tables(double p, double df, double expected)
    {
        Assert.Equal(expected, Statistics.StudentQuantile(p, df), 6);
        Assert.Equal(-expected, Statistics.StudentQuantile(1 - p, df), 6);
    }

    [Fact]
    public void The_corrected_interval_widens_the_paired_t_interval_by_the_training_overlap()
    {
        double[] d = [0.01, 0.02, 0.03, 0.04, 0.05];
        // By hand: mean 0.03, s² = 2.5e-4, t(0.975, 4) = 2.776445; plain: √(s²/5); corrected: √((1/5 + 1/4)·s²).
        PairedInterval plain = Statistics.CorrectedInterval(d, 0);
        PairedInterval corrected = Statistics.CorrectedInterval(d, 0.25);
        Assert.Equal(0.03, corrected.Mean, 12);
        Assert.Equal(2.776445105 * Math.Sqrt(2.5e-4 / 5), plain.Upper - 0.03, 8);
        Assert.Equal(2.776445105 * Math.Sqrt(0.45 * 2.5e-4), corrected.Upper - 0.03, 8);
        Assert.Equal(corrected.Mean - corrected.Lower, corrected.Upper - corrected.Mean, 12);
        Assert.True(corrected.Significant);
        Assert.False(Statistics.CorrectedInterval([0.01, -0.01, 0.02, -0.02], 0.25).Significant);
        Assert.Throws<ArgumentException>(() => Statistics.CorrectedInterval([0.1], 0.25));
    }

    [Theory]
    [InlineData(4, 0)]
    [InlineData(4, 2)]
    [InlineData(5, 3)]
    public void The_union_bound_counts_the_ball_around_each_row(int n, int radius)
    {
        // Brute force: the cube inputs within Hamming distance `radius` of one row; the bound is 1 − D·|ball|/3^n.
        sbyte[] cube = ComposedBaseline.CubeInputs(n);
        int total = cube.Length / n;
        sbyte[][] row = [new sbyte[n]];
        int ball = Enumerable.Range(0, total).Count(x => ComposedBaseline.Nearest(row, cube.AsSpan(x * n, n)) <= radius);
        Assert.Equal(Math.Max(0, 1 - (3.0 * ball / total)), ComposedBaseline.UnionBound(3, n, radius), 12);
    }

    [Fact]
    public void The_composed_classifier_is_the_free_one_near_the_data_and_positive_elsewhere_with_an_exact_count_on_small_cubes()
    {
        TernaryDataset data = TicTacToe.Endgames();
        (TernaryDataset train, TernaryDataset test) = StudyRunner.Split(data, 0, 5, 2026);
        ITernaryNetwork free = Networks.Create(9, Model.Neuron);
        PreferenceTrainer.Train(free, train, new TrainerOptions { Epochs = 5, Seed = 3, DecisionThreshold = 0.5f });
        ComposedBaseline.Distances distances = ComposedBaseline.Measure(train, test);
        ComposedBaseline.Result composed = ComposedBaseline.Compose(free, distances, test, 0.5, 0.5f);
        Assert.True(composed.Exact);
        Assert.True(composed.Radius >= 0);

        // The oracle: every cube input, its distance to the training rows by brute force, the rule applied.
        sbyte[][] rows = [.. Enumerable.Range(0, train.Count).Select(r => train.Row(r).ToArray())];
        sbyte[] cube = ComposedBaseline.CubeInputs(9);
        float[] outputs = new float[cube.Length / 9];
        free.ForwardBatch(cube, outputs);
        int Count(int r) => Enumerable.Range(0, outputs.Length).Count(x => ComposedBaseline.Nearest(rows, cube.AsSpan(x * 9, 9)) > r || outputs[x] > 0.5f);
        Assert.Equal((double)Count(composed.Radius) / outputs.Length, composed.CertifiedFraction, 12);
        Assert.True(composed.CertifiedFraction >= 0.5);
        Assert.True(Count(composed.Radius + 1) < 0.5 * outputs.Length, "not the largest radius meeting τ");

        float[] testOutputs = new float[test.Count];
        free.ForwardBatch(test.Inputs, testOutputs);
        for (int r = 0; r < test.Count; r++)
        {
            bool near = ComposedBaseline.Nearest(rows, test.Row(r)) <= composed.Radius;
            Assert.Equal(near ? testOutputs[r] > 0.5f : true, composed.Positive[r]);
        }
    }
}
