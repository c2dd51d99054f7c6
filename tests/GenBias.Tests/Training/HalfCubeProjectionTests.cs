using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Tests.Training;

/// <summary>
/// <see cref="HalfCubeProjection"/>: the closed-form bias range of "at most / at least ½ of the cube" for a first-layer
/// neuron against counts — every input through Forward on small cubes, meet in the middle up to 20 inputs — for random
/// grid weights, several activations and thresholds, both relations, both open ends, at and around the edge.
/// </summary>
public class HalfCubeProjectionTests(ITestOutputHelper output)
{
    private static readonly (Activation Activation, ActivationInterval Interval)[] Cases =
    [
        (Activation.Tanh, ActivationInterval.Above(0)),
        (Activation.Tanh, new ActivationInterval(0, double.PositiveInfinity, LowerInclusive: true)),
        (Activation.Tanh, ActivationInterval.Above(0.3)),
        (Activation.Tanh, ActivationInterval.Below(-0.5)),
        (Activation.Tanh, new ActivationInterval(double.NegativeInfinity, 0.2, UpperInclusive: true)),
        (Activation.Tanh, ActivationInterval.Above(0.999)),
        (Activation.Tanh, ActivationInterval.Above(-2)),       // every activation: the rate is 1 at every bias
        (Activation.Sigmoid, ActivationInterval.Above(0.5)),
        (Activation.Sigmoid, ActivationInterval.Below(0.2)),
        (Activation.HardTanh, ActivationInterval.Above(0.5)),
        (Activation.Linear, ActivationInterval.Above(0.5)),   // 0.5 is a grid point: > and ≥ differ by one step
        (Activation.Linear, new ActivationInterval(0.5, double.PositiveInfinity, LowerInclusive: true)),
        (Activation.Linear, ActivationInterval.Below(1e-6)),  // between two grid points
        (Activation.ReLU, ActivationInterval.Above(0)),
        (Activation.ReLU, ActivationInterval.Below(0.25)),
    ];

    [Fact]
    public void The_closed_form_is_the_counted_range_through_Forward_on_small_cubes()
    {
        var random = new Random(7);
        int compared = 0;
        for (int trial = 0; trial < 25; trial++)
        {
            int n = 1 + random.Next(7);
            int[] weights = RandomWeights(random, n);
            foreach ((Activation activation, ActivationInterval interval) in Cases)
            {
                NetworkShape shape = NetworkShape.Create(n, (1, activation));
                var network = new ReferenceNetwork(shape);
                sbyte[][] cube = Cube(n);
                float[] y = new float[1];
                foreach (PreferenceRelation relation in new[] { PreferenceRelation.AtMost, PreferenceRelation.AtLeast })
                {
                    var preference = new Preference { Layer = 0, Neuron = 0, Interval = interval, Relation = relation, Target = 0.5, Method = EnforcementMethod.Projection };
                    (long Low, long High)? range = HalfCubeProjection.Range(shape, preference, weights.Sum(w => Math.Abs((long)w)));
                    foreach (long bias in Biases(random, range, activation, interval))
                    {
                        float[] parameters = [.. weights.Select(w => w * FixedPointGrid.Step), bias * FixedPointGrid.Step];
                        network.SetParameters(parameters);
                        long count = cube.LongCount(x =>
                        {
                            network.Forward(x, y);
                            return interval.Contains(y[0]);
                        });
                        bool met = relation == PreferenceRelation.AtMost ? 2 * count <= cube.Length : 2 * count >= cube.Length;
                        bool inRange = range is (long low, long high) && low <= bias && bias <= high;
                        Assert.True(met == inRange, $"{activation} {interval} {relation} weights [{string.Join(", ", weights)}] bias {bias}: {count} of {cube.Length}, range {range}");
                        Assert.Equal(inRange, HalfCubeProjection.Holds(shape, parameters, preference, 0));
                        compared++;
                    }
                }
            }
        }

        output.WriteLine($"{compared} biases compared");
    }

    [Fact]
    public void The_closed_form_is_the_counted_range_by_meet_in_the_middle_up_to_20_inputs()
    {
        var random = new Random(20);
        int compared = 0;
        for (int trial = 0; trial < 12; trial++)
        {
            int n = 8 + random.Next(13);
            int[] weights = RandomWeights(random, n);
            long total = CoverageCounter.Pow3(n);
            foreach ((Activation activation, ActivationInterval interval) in Cases)
            {
                NetworkShape shape = NetworkShape.Create(n, (1, activation));
                foreach (PreferenceRelation relation in new[] { PreferenceRelation.AtMost, PreferenceRelation.AtLeast })
                {
                    var preference = new Preference { Layer = 0, Neuron = 0, Interval = interval, Relation = relation, Target = 0.5 };
                    (long Low, long High)? range = HalfCubeProjection.Range(shape, preference, weights.Sum(w => Math.Abs((long)w)));
                    foreach (long bias in Biases(random, range, activation, interval))
                    {
                        long count = MeetInTheMiddle.Count(weights, bias, activation, interval, CancellationToken.None);
                        bool met = relation == PreferenceRelation.AtMost ? 2 * count <= total : 2 * count >= total;
                        bool inRange = range is (long low, long high) && low <= bias && bias <= high;
                        Assert.True(met == inRange, $"{activation} {interval} {relation} n = {n} bias {bias}: {count} of {total}, range {range}");
                        compared++;
                    }
                }
            }
        }

        output.WriteLine($"{compared} biases compared");
    }

    [Fact]
    public void Other_targets_relations_layers_and_intervals_are_left_to_counting()
    {
        NetworkShape shape = Seed25x16x1.Shape;
        var half = new Preference { Layer = 0, Neuron = 3, Interval = ActivationInterval.Above(0), Relation = PreferenceRelation.AtMost, Target = 0.5 };
        Assert.True(HalfCubeProjection.Applies(shape, half));
        Assert.False(HalfCubeProjection.Applies(shape, half with { Target = 0.49 }));
        Assert.False(HalfCubeProjection.Applies(shape, half with { Relation = PreferenceRelation.About }));
        Assert.False(HalfCubeProjection.Applies(shape, half with { Neuron = null }));
        Assert.False(HalfCubeProjection.Applies(shape, half with { Layer = -1, Neuron = 0 }));
        Assert.False(HalfCubeProjection.Applies(shape, half with { Interval = ActivationInterval.Between(-0.5, 0.5) }));
        Assert.False(HalfCubeProjection.Applies(shape, half with { Distribution = PreferenceDistribution.TrainingData }));
        Assert.Throws<ArgumentException>(() => HalfCubeProjection.Range(shape, half with { Target = 0.6 }, 100));

        // Off the grid, the closed form claims nothing.
        float[] parameters = new float[shape.ParameterCount];
        Assert.True(HalfCubeProjection.Holds(shape, parameters, half, 3));
        parameters[shape.Layers[0].WeightIndex(3, 0)] = 0.1f;   // not a multiple of 2^-16
        Assert.False(HalfCubeProjection.Holds(shape, parameters, half, 3));
    }

    [Fact]
    public void A_projection_on_every_hidden_neuron_meets_each_exactly()
    {
        // Sixteen hidden neurons, each "above 0 on at most ½" or "below −0.2 on at least ½", projected by the closed form;
        // every one counted exactly afterwards (meet in the middle over 3^25 inputs).
        var network = new Seed25x16x1();
        Preference Hidden(int k) => k % 4 == 3
            ? new Preference { Layer = 0, Neuron = k, Interval = ActivationInterval.Below(-0.2), Target = 0.5, Method = EnforcementMethod.Projection }
            : new Preference { Layer = 0, Neuron = k, Interval = ActivationInterval.Above(0), Relation = PreferenceRelation.AtMost, Target = 0.5, Method = EnforcementMethod.Projection };
        Preference[] preferences = [.. Enumerable.Range(0, 16).Select(Hidden)];
        TrainingReport report = PreferenceTrainer.Train(network, SeedProblem.Data(1500, seed: 3),
            new TrainerOptions { Epochs = 6, Seed = 5, DecisionThreshold = 0f, Preferences = preferences });
        output.WriteLine(report.ToString());
        Assert.All(report.Preferences, p => Assert.True(p.Met && p.Exact, p.ToString()));
        for (int k = 0; k < 16; k++)
        {
            CountResult count = CoverageCounter.Count(network, preferences[k]);
            Assert.True(preferences[k].IsMetBy(count.Fraction), $"neuron {k}: {count}");
            Assert.True(HalfCubeProjection.Holds(Seed25x16x1.Shape, network.Parameters, preferences[k], k));
        }

        Assert.True(report.ValidationAccuracy > 0.7, report.ToString());
    }

    [Fact]
    public void On_784_inputs_every_projected_neuron_is_met_and_certified()
    {
        // The report's rates come from one shared sample, clipped to the proof; the certifier's intervals agree.
        var random = new Random(784);
        sbyte[][] rows = [.. Enumerable.Range(0, 400).Select(_ => Enumerable.Range(0, 784).Select(_ => (sbyte)random.Next(-1, 2)).ToArray())];
        TernaryDataset data = TernaryDataset.FromArrays(rows, [.. rows.Select(r => r[0] + r[1] + r[2] > 0 ? 1 : 0)]);
        var network = new Wide784x20x3x1();
        Preference[] preferences = [.. Enumerable.Range(0, 20).Select(k => new Preference
        {
            Layer = 0, Neuron = k, Interval = ActivationInterval.Above(0), Relation = PreferenceRelation.AtMost, Target = 0.5, Method = EnforcementMethod.Projection,
        })];
        TrainingReport report = PreferenceTrainer.Train(network, data,
            new TrainerOptions { Epochs = 2, Seed = 9, DecisionThreshold = 0f, FinalSamples = 2000, Preferences = preferences });
        output.WriteLine(report.ToString());
        Assert.All(report.Preferences, p => Assert.True(p.Met && !p.Exact && p.Rate.Upper <= 0.5 && p.Rate.Trials == 2000, p.ToString()));
        foreach (int k in new[] { 0, 7, 19 })
        {
            Assert.True(HalfCubeProjection.Holds(Wide784x20x3x1.Shape, network.Parameters, preferences[k], k));
            Certificate certificate = Certifier.Certify(network, preferences[k]);
            output.WriteLine(certificate.ToString());
            Assert.True(certificate.Met && certificate.Upper <= 0.5 && certificate.Upper - certificate.Lower <= 1e-9, certificate.ToString());
        }
    }

    /// <summary>Grid weights in steps: zeros, ties and magnitudes from 1 to 2^14, so that sums meet the edge often.</summary>
    private static int[] RandomWeights(Random random, int n) =>
        [.. Enumerable.Range(0, n).Select(_ => random.Next(4) == 0 ? 0 : (random.Next(2) == 0 ? -1 : 1) * random.Next(1, 1 << random.Next(1, 15)))];

    /// <summary>Biases at and around the range's ends and the activation's edge, and a few anywhere on the grid.</summary>
    private static IEnumerable<long> Biases(Random random, (long Low, long High)? range, Activation activation, ActivationInterval interval)
    {
        var biases = new SortedSet<long>();
        const long grid = (1L << 24) - 1;
        List<(long Low, long High)> members = NeuronMembership.Members(activation, interval, -grid, grid);
        foreach (long? edge in new[] { range?.Low, range?.High, members.Count > 0 ? members[0].Low : null, members.Count > 0 ? members[0].High : null })
        {
            if (edge is long e)
            {
                for (long d = -3; d <= 3; d++)
                {
                    biases.Add(Math.Clamp(e + d, -(1L << 20), 1L << 20));
                }
            }
        }

        for (int i = 0; i < 4; i++)
        {
            biases.Add(random.Next(-(1 << 20), 1 << 20));
        }

        return biases;
    }

    private static sbyte[][] Cube(int n)
    {
        var cube = new List<sbyte[]>();
        var x = new sbyte[n];
        Array.Fill(x, (sbyte)-1);
        while (true)
        {
            cube.Add((sbyte[])x.Clone());
            int i = 0;
            while (i < n && x[i] == 1)
            {
                x[i++] = -1;
            }

            if (i == n)
            {
                return [.. cube];
            }

            x[i]++;
        }
    }
}
