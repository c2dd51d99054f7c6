using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Tests.Coverage;

/// <summary>
/// Exact calibration of a layered network from one histogram of the output's pre-activation before its bias: the same
/// result, bit for bit, as counting the cube again at every bias step, and every count as Forward classifies.
/// </summary>
public class CalibrationHistogramTests(ITestOutputHelper output)
{
    private static readonly Activation[] Monotone = [Activation.Tanh, Activation.Sigmoid, Activation.HardTanh, Activation.ReLU, Activation.Linear];

    private static ReferenceNetwork RandomNetwork(DeterministicRandom random, NetworkShape shape, float scale)
    {
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale)];
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        return new ReferenceNetwork(shape, parameters);
    }

    private static NetworkShape RandomShape(DeterministicRandom random)
    {
        int n = 4 + random.Next(6);
        int hiddenLayers = 1 + random.Next(2);
        var layers = new List<(int, Activation)>();
        for (int l = 0; l < hiddenLayers; l++)
        {
            layers.Add((1 + random.Next(12), Monotone[random.Next(Monotone.Length)]));
        }

        layers.Add((1, Monotone[random.Next(Monotone.Length)]));
        return NetworkShape.Create(n, [.. layers]);
    }

    [Fact]
    public void CalibrateOnce_AgreesWithRecountingAndBruteForce_OnRandomLayeredNetworks()
    {
        int compared = 0, moved = 0;
        var passesSeen = new List<int>();
        for (ulong seed = 1; seed <= 60; seed++)
        {
            var random = new DeterministicRandom(seed);
            NetworkShape shape = RandomShape(random);
            ReferenceNetwork network = RandomNetwork(random, shape, random.Next(2) == 0 ? 0.5f : 2f);
            (float min, float max) = ActivationMath.Range(shape.OutputLayer.Activation);
            double threshold = Math.Max(min, -2) + (random.NextDouble() * (Math.Min(max, 2) - Math.Max(min, -2)));
            bool above = random.Next(2) == 0;
            var preference = new Preference
            {
                Interval = above ? ActivationInterval.Above(threshold) : ActivationInterval.Below(threshold),
                Target = 0.05 + (random.NextDouble() * 0.9),
                Relation = random.Next(2) == 0 ? PreferenceRelation.AtLeast : PreferenceRelation.AtMost,
                Method = EnforcementMethod.Calibration,
            };

            float[] before = network.Parameters.ToArray();
            CalibrationResult reference, once;
            try
            {
                reference = ExactCalibration.ByRecounting(network, preference, null, default);
            }
            catch (InvalidOperationException unreachable)
            {
                // No bias reaches the target: the histogram must say the same.
                network.SetParameters(before);
                Assert.Throws<InvalidOperationException>(() => ExactCalibration.Calibrate(network, preference));
                Assert.Equal(before, network.Parameters.ToArray());
                output.WriteLine($"seed {seed}: {shape}, {preference}: {unreachable.Message}");
                continue;
            }

            float[] recounted = network.Parameters.ToArray();
            network.SetParameters(before);
            once = ExactCalibration.FromSums(network, preference, null, null, default, out int passes)
                ?? throw new Xunit.Sdk.XunitException($"seed {seed}: the histogram could not serve {shape}, {preference}");
            Assert.InRange(passes, 1, 5);
            passesSeen.Add(passes);
            Assert.Equal(BitConverter.SingleToInt32Bits(reference.BiasShift), BitConverter.SingleToInt32Bits(once.BiasShift));
            Assert.Equal(reference.Count.Count, once.Count.Count);
            Assert.Equal(reference.CountOneStepShort?.Count, once.CountOneStepShort?.Count);
            Assert.Equal(reference.Counts, once.Counts);
            Assert.Equal(recounted, network.Parameters.ToArray());
            Assert.Equal(ExactCountTests.BruteForce(network, preference), once.Count.Count);
            compared++;
            moved += once.BiasShift != 0 ? 1 : 0;
        }

        output.WriteLine($"{compared} calibrations agree, {moved} of them moved the bias; passes over the cube: {string.Join(", ", passesSeen.GroupBy(p => p).OrderBy(g => g.Key).Select(g => $"{g.Key} × {g.Count()}"))}");
        Assert.True(compared >= 40 && moved >= 20, $"{compared} compared, {moved} moved");
    }

    [Fact]
    public void CalibrateOnce_CountsFromTheHistogram_EqualBruteForce_AtManyBiases()
    {
        // Ties on purpose: integer-like weights give many inputs the same pre-activation.
        NetworkShape shape = NetworkShape.Create(8, (5, Activation.ReLU), (1, Activation.Tanh));
        var random = new DeterministicRandom(11);
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)(random.Next(5) - 2) * 0.25f)];
        var network = new ReferenceNetwork(shape, parameters);
        var preference = new Preference { Interval = ActivationInterval.Above(0.25), Target = 0.5 };
        OutputSums sums = OutputSums.Count(shape, parameters, 2, null, default);
        Assert.True(sums.Refine(Enumerable.Range(0, OutputSums.Buckets).Where(b => sums.AtMost(((long)b << OutputSums.BucketShift) + int.MinValue).Low != sums.AtMost(((long)(b + 1) << OutputSums.BucketShift) + int.MinValue - 1).Low), 2, default));
        List<(long Low, long High)> members = NeuronMembership.FloatMembers(Activation.Tanh, preference.Interval);
        int biasIndex = shape.OutputLayer.BiasIndex(0);
        foreach (float bias in new[] { -3f, -1.25f, -0.5f, 0f, 0.25f, 0.2553f, 0.5f, 1f, 2.5f })
        {
            parameters[biasIndex] = bias;
            network.SetParameters(parameters);
            long expected = ExactCountTests.BruteForce(network, preference);
            long fromSums = 0;
            foreach ((long zLow, long zHigh) in members)
            {
                (long first, long last) = ExactCalibration.KeysInto(bias, zLow, zHigh);
                if (first <= last)
                {
                    (long upTo, long upToHigh) = sums.AtMost(last);
                    (long below, long belowHigh) = sums.AtMost(first - 1);
                    Assert.Equal(upTo, upToHigh);
                    Assert.Equal(below, belowHigh);
                    fromSums += upTo - below;
                }
            }

            Assert.Equal(expected, fromSums);
        }
    }

    [Fact]
    public void CalibrateOnce_IsFasterThanRecounting_OnA13InputHiddenLayer()
    {
        NetworkShape shape = NetworkShape.Create(13, (16, Activation.Tanh), (1, Activation.Tanh));
        ReferenceNetwork network = RandomNetwork(new DeterministicRandom(5), shape, 0.4f);
        float[] before = network.Parameters.ToArray();
        var preference = Preference.OutputAbove(0.5, 0.7) with { Method = EnforcementMethod.Calibration };
        var clock = Stopwatch.StartNew();
        CalibrationResult recounted = ExactCalibration.ByRecounting(network, preference, null, default);
        TimeSpan slow = clock.Elapsed;
        network.SetParameters(before);
        clock.Restart();
        CalibrationResult once = ExactCalibration.Calibrate(network, preference);
        TimeSpan fast = clock.Elapsed;
        output.WriteLine($"recounting: {slow.TotalMilliseconds:N0} ms ({recounted.Counts} counts); histogram: {fast.TotalMilliseconds:N0} ms");
        Assert.Equal(recounted.BiasShift, once.BiasShift);
        Assert.Equal(recounted.Count.Count, once.Count.Count);
        Assert.True(preference.IsMetBy(once.Count.Fraction));
    }

    [Fact]
    public void CalibrateOnce_ReportsProgressThatEndsAtItsTotal()
    {
        NetworkShape shape = NetworkShape.Create(11, (8, Activation.Tanh), (1, Activation.Sigmoid));
        ReferenceNetwork network = RandomNetwork(new DeterministicRandom(9), shape, 0.5f);
        var reports = new List<CountProgress>();
        var progress = new SynchronousProgress<CountProgress>(reports.Add);
        ExactCalibration.Calibrate(network, Preference.OutputAbove(0.5, 0.8) with { Method = EnforcementMethod.Calibration }, progress: progress);
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.True(r.SubCubesDone <= r.SubCubesTotal, $"{r}"));
        Assert.True(ExactCalibration.ProjectedSeconds(network, Preference.OutputAbove(0.5, 0.8)) is >= 0 and < 10);
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        private readonly object _gate = new();

        public void Report(T value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
