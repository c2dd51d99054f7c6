using System;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Tests.Coverage;

public class CalibrationMarginTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(200, 150, 300, 215)]
    [InlineData(200, 180, 300, 262)]
    [InlineData(50, 45, 80, 70)]
    public void Pass_probability_is_the_chance_that_a_check_reaches_its_count_at_the_calibrated_order_statistic(
        int samples, int hits, int checkSamples, int checkHits)
    {
        // The oracle simulates the derivation's model: the rate at the calibrated bias is the hits-th smallest of
        // `samples` uniform thresholds; a check's hits are binomial at that rate.
        var random = new DeterministicRandom(11);
        const int Trials = 20_000;
        double[] thresholds = new double[samples];
        int passes = 0;
        for (int t = 0; t < Trials; t++)
        {
            for (int i = 0; i < samples; i++)
            {
                thresholds[i] = random.NextDouble();
            }

            Array.Sort(thresholds);
            double rate = thresholds[hits - 1];
            int seen = 0;
            for (int i = 0; i < checkSamples; i++)
            {
                seen += random.NextDouble() < rate ? 1 : 0;
            }

            passes += seen >= checkHits ? 1 : 0;
        }

        double simulated = (double)passes / Trials;
        double computed = CalibrationMargin.PassProbability(hits, samples, checkHits, checkSamples);
        double sd = Math.Sqrt(computed * (1 - computed) / Trials);
        output.WriteLine($"k {hits}/{samples}, check {checkHits}/{checkSamples}: computed {computed:F4}, simulated {simulated:F4} (sd {sd:F4})");
        Assert.InRange(simulated, computed - (4.5 * sd) - 1e-3, computed + (4.5 * sd) + 1e-3);
        Assert.Equal(1, CalibrationMargin.PassProbability(hits, samples, 0, checkSamples));
        Assert.Equal(0, CalibrationMargin.PassProbability(hits, samples, checkSamples + 1, checkSamples));
    }

    [Theory]
    [InlineData(0.9, 40_000)]
    [InlineData(0.99, 40_000)]
    [InlineData(0.99, 100_000)]
    public void Aiming_at_the_own_bound_passes_a_same_size_check_about_half_the_time_and_the_margin_reaches_the_requested_probability(
        double tau, int samples)
    {
        Preference preference = Preference.OutputAbove(0.5, tau);
        (long own, _) = CalibrationMargin.RequiredHits(preference, samples, 0.99);
        var check = new IndependentCheck(samples, 0.99, 0.99);
        (long aimed, long most) = CalibrationMargin.RequiredHits(preference, samples, 0.99, check);
        // The check's threshold is the calibration's own (same size, same confidence).
        double atOwn = CalibrationMargin.PassProbability(own, samples, own, samples);
        double atAimed = CalibrationMargin.PassProbability(aimed, samples, own, samples);
        double oneShort = CalibrationMargin.PassProbability(aimed - 1, samples, own, samples);
        output.WriteLine($"τ {tau}, N = M = {samples}: own bound {own} ({(double)own / samples:P3}) passes {atOwn:P1}; aimed {aimed} ({(double)aimed / samples:P3}) passes {atAimed:P2}, one fewer {oneShort:P2}");
        Assert.InRange(atOwn, 0.4, 0.6);
        Assert.True(atAimed >= 0.99, $"{atAimed}");
        Assert.True(oneShort < 0.99, $"{oneShort}: not the fewest hits");
        Assert.Equal(samples, most);

        // An upper bound is the lower bound of the misses.
        Preference below = preference with { Relation = PreferenceRelation.AtMost, Target = 1 - tau };
        (long fewest, long allowed) = CalibrationMargin.RequiredHits(below, samples, 0.99, check);
        Assert.Equal((0L, samples - aimed), (fewest, allowed));
    }

    [Fact]
    public void An_impossible_margin_is_reported_as_no_count()
    {
        // 0.999 of 1,000 samples: no count's 99% lower bound reaches it.
        Assert.Equal((-1L, -1L), CalibrationMargin.RequiredHits(Preference.OutputAbove(0.5, 0.999), 1000, 0.99, new IndependentCheck(1000, 0.99)));
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationMargin.RequiredHits(Preference.OutputAbove(0.5, 0.9), 1000, 0.99, new IndependentCheck(1000, 0.99, 1)));
    }

    [Fact]
    public void Repeated_independent_checks_of_sample_calibrations_pass_at_the_requested_rate_and_the_exact_count_agrees()
    {
        // 11 inputs: the cube is counted exactly, so each calibrated network's true rate is known.
        Hidden11x16x1 network = ExactCountTests.Network<Hidden11x16x1>(7);
        float[] start = network.Parameters.ToArray();
        double now = CoverageCounter.Count(network, Preference.OutputAbove(0.5, 0)).Fraction;
        Preference preference = Preference.OutputAbove(0.5, Math.Min(0.9, now + 0.2)) with { Method = EnforcementMethod.Calibration };
        const int Samples = 4000, Repeats = 120;
        const double Confidence = 0.99, Wanted = 0.95;
        long checkHits = CalibrationMargin.RequiredHits(preference, Samples, Confidence).MinHits;
        var check = new IndependentCheck(Samples, Confidence, Wanted);
        (int Passed, double ExpectedPasses) Run(IndependentCheck? aim)
        {
            int passed = 0;
            double expected = 0;
            for (int r = 0; r < Repeats; r++)
            {
                network.SetParameters(start);
                SampleCalibration.Calibrate(network, preference, Samples, Confidence, seed: (ulong)(1000 + r), aim);
                // An independent check: fresh samples, the same rule as the trainer's final interval.
                RateInterval interval = RateEstimator.Estimate(network, preference, Samples, Confidence, seed: (ulong)(900_000 + r));
                passed += preference.IsMetBy(interval.Lower) ? 1 : 0;
                // The exact rate gives the check's pass probability for this calibration: P(Binomial(M, rate) ≥ k_M).
                double rate = CoverageCounter.Count(network, preference).Fraction;
                expected += ClopperPearson.RegularizedBeta(rate, checkHits, Samples - checkHits + 1);
            }

            return (passed, expected);
        }

        (int ownPassed, double ownExpected) = Run(null);
        (int aimedPassed, double aimedExpected) = Run(check);
        output.WriteLine($"target {preference.Target:P2}: own bound {ownPassed}/{Repeats} checks passed (exact rates predict {ownExpected:F1}); aimed at {Wanted:P0}: {aimedPassed}/{Repeats} (predict {aimedExpected:F1})");
        // Aimed: at least the requested rate in expectation (exact), and in the realised checks within sampling error.
        Assert.True(aimedExpected / Repeats >= Wanted - 0.02, $"{aimedExpected / Repeats}");
        Assert.True(aimedPassed >= (Wanted * Repeats) - (3 * Math.Sqrt(Wanted * (1 - Wanted) * Repeats)) - 1, $"{aimedPassed}");
        // The calibration's own bound passes about half the time: the failure mode the margin removes.
        Assert.InRange(ownExpected / Repeats, 0.25, 0.75);
        Assert.True(ownPassed < aimedPassed, $"{ownPassed} vs {aimedPassed}");
    }
}
