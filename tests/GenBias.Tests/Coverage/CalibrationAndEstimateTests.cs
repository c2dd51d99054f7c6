using System;
using System.IO;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Tests.Coverage;

public class CalibrationAndEstimateTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.15, PreferenceRelation.AtLeast, true)]
    [InlineData(-0.15, PreferenceRelation.AtMost, true)]
    [InlineData(0.2, PreferenceRelation.AtLeast, false)]
    [InlineData(-0.2, PreferenceRelation.AtMost, false)]
    public void Exact_calibration_meets_the_target_and_one_step_less_does_not(double move, PreferenceRelation relation, bool above)
    {
        Neuron13Sigmoid network = ExactCountTests.Network<Neuron13Sigmoid>(3);
        ActivationInterval interval = above ? ActivationInterval.Above(0.5) : ActivationInterval.Below(0.5);
        // A target the network misses now, so that the bias has to move.
        double now = CoverageCounter.Count(network, new Preference { Interval = interval, Target = 0 }).Fraction;
        var preference = new Preference
        {
            Interval = interval,
            Target = Math.Clamp(now + move, 0.02, 0.98),
            Relation = relation,
            Method = EnforcementMethod.Calibration,
        };
        CalibrationResult result = ExactCalibration.Calibrate(network, preference);
        output.WriteLine($"{preference}: shift {result.BiasShift}, count {result.Count.Count}/{result.Count.Total}, one step short {result.CountOneStepShort?.Count}, {result.Counts} counts");

        long total = ExactCountTests.CubeSize(13);
        long brute = ExactCountTests.BruteForce(network, preference);
        Assert.Equal(brute, result.Count.Count);
        Assert.True(preference.IsMetBy((double)brute / total), $"{brute}/{total}");
        Assert.NotNull(result.CountOneStepShort);
        Assert.False(preference.IsMetBy((double)result.CountOneStepShort!.Count / total));
        Assert.True(FixedPointGrid.IsFirstLayerOnGrid(Neuron13Sigmoid.Shape, network.Parameters));
        Assert.NotEqual(0f, result.BiasShift);
    }

    [Fact]
    public void Exact_calibration_of_a_layered_network_steps_through_floats()
    {
        Hidden10x6x1 network = ExactCountTests.Network<Hidden10x6x1>(4);
        Preference preference = Preference.OutputAbove(0.2, 0.55) with { Method = EnforcementMethod.Calibration };
        float before = network.Parameters[Hidden10x6x1.Layer1BiasOffset];
        CalibrationResult result = ExactCalibration.Calibrate(network, preference);
        long total = ExactCountTests.CubeSize(10);
        Assert.Equal(ExactCountTests.BruteForce(network, preference), result.Count.Count);
        Assert.True(preference.IsMetBy((double)result.Count.Count / total));
        if (result.BiasShift != 0)
        {
            Assert.False(preference.IsMetBy((double)result.CountOneStepShort!.Count / total));
        }

        Assert.Equal(before + result.BiasShift, network.Parameters[Hidden10x6x1.Layer1BiasOffset]);
    }

    [Fact]
    public void Sample_calibration_meets_the_target_with_its_confidence_and_keeps_a_neuron_on_the_grid()
    {
        Neuron13Sigmoid network = ExactCountTests.Network<Neuron13Sigmoid>(5);
        double now = CoverageCounter.Count(network, Preference.OutputAbove(0.5, 0)).Fraction;
        Preference preference = Preference.OutputAbove(0.5, Math.Min(0.95, now + 0.2)) with { Method = EnforcementMethod.Calibration };
        float shift = SampleCalibration.Calibrate(network, preference, 20_000, 0.99, seed: 3);
        Assert.True(shift > 0);
        Assert.True(FixedPointGrid.IsFirstLayerOnGrid(Neuron13Sigmoid.Shape, network.Parameters));
        // The sample's lower bound met the target; the exact count over the cube agrees.
        double exact = CoverageCounter.Count(network, preference).Fraction;
        output.WriteLine($"target {preference.Target:P2}: shift {shift}, exact {exact:P3}");
        Assert.True(exact >= preference.Target, $"exact {exact} < target {preference.Target}");
    }

    [Fact]
    public void Estimator_intervals_cover_the_exact_fraction_at_their_stated_rate()
    {
        Hidden11x16x1 network = ExactCountTests.Network<Hidden11x16x1>(7);
        Preference preference = Preference.OutputAbove(0.1, 0.5);
        double exact = CoverageCounter.Count(network, preference).Fraction;
        int covered = 0, runs = 200;
        for (int seed = 0; seed < runs; seed++)
        {
            RateInterval interval = RateEstimator.Estimate(network, preference, 2000, 0.9, (ulong)seed);
            covered += interval.Lower <= exact && exact <= interval.Upper ? 1 : 0;
        }

        output.WriteLine($"exact {exact:P3}; 90% intervals covered it in {covered}/{runs} runs");
        // Clopper–Pearson is conservative: at least the stated 90%, allowing for the binomial spread of 200 runs.
        Assert.True(covered >= 170, $"{covered}/{runs}");
    }

    [Fact]
    public void Clopper_pearson_matches_known_values_and_sample_sizes_shrink_with_width()
    {
        RateInterval interval = ClopperPearson.Interval(5, 10, 0.95);
        Assert.Equal(0.187086, interval.Lower, 5);
        Assert.Equal(0.812914, interval.Upper, 5);
        RateInterval zero = ClopperPearson.Interval(0, 20, 0.95);
        Assert.Equal(0, zero.Lower);
        Assert.Equal(0.168433, zero.Upper, 5);
        long n = ClopperPearson.SampleSize(0.01, 0.999);
        output.WriteLine($"±0.01 at 99.9%: {n} samples");
        Assert.InRange(n, 26_000, 28_500);
        Assert.True(ClopperPearson.SampleSize(0.02, 0.999) < n / 3);
    }

    [Fact]
    public void Certificates_are_exact_where_they_can_be_and_save_beside_the_model()
    {
        Neuron13Sigmoid network = ExactCountTests.Network<Neuron13Sigmoid>(8);
        Preference preference = Preference.OutputAbove(0.5, 0.3);
        Certificate certificate = Certifier.Certify(network, preference);
        output.WriteLine(certificate.ToString());
        Assert.True(certificate.Exact);
        Assert.Equal(ExactCountTests.BruteForce(network, preference), certificate.Count);
        Assert.Equal(ExactCountTests.CubeSize(13), certificate.Total);
        Assert.Equal(CoverageCounter.NetworkHash(network), certificate.NetworkHash);
        Assert.Contains("EXACT (meet in the middle)", certificate.ToString());

        Certificate estimated = Certifier.Certify(network, preference, new CertifyOptions { ExactTimeBudget = TimeSpan.Zero, Samples = 50_000 });
        Assert.True(estimated.Exact);  // meet in the middle is instant: even a zero budget counts exactly

        var wide = new GenBias.Tests.Wide70();
        wide.SetParameters(Enumerable.Range(0, Wide70.ParameterCount).Select(i => ((i % 5) - 2) * 0.125f).ToArray());
        // 70 inputs, one layer: its neurons' sums are certified by an interval, not sampled.
        Certificate interval = Certifier.Certify(wide, Preference.OutputAbove(0.5, 0.3) with { Neuron = 1 }, new CertifyOptions { Samples = 20_000 });
        Assert.False(interval.Exact);
        Assert.Equal(CountMethod.CertifiedInterval, interval.Method);
        Assert.Contains("CERTIFIED INTERVAL", interval.ToString());

        // Behind a hidden layer the output is estimated from samples, and labelled so.
        var deep = new GenBias.Tests.Wide70x3x1();
        deep.SetParameters(Enumerable.Range(0, GenBias.Tests.Wide70x3x1.ParameterCount).Select(i => ((i % 5) - 2) * 0.125f).ToArray());
        Certificate sampled = Certifier.Certify(deep, Preference.OutputAbove(0.5, 0.3), new CertifyOptions { Samples = 20_000 });
        Assert.False(sampled.Exact);
        Assert.Contains("ESTIMATED", sampled.ToString());

        string folder = Directory.CreateTempSubdirectory("genbias-cert").FullName;
        try
        {
            string path = Certificate.PathBeside(Path.Combine(folder, "model.json"));
            Assert.EndsWith("model.certificate.json", path);
            certificate.Save(path);
            Assert.Equal(certificate, Certificate.Load(path));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
