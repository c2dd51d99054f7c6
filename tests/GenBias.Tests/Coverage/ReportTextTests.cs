using System;
using System.Globalization;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Tests.Coverage;

/// <summary>
/// What a user sees printing the report types: a line or a few of numbers in words, never a record dump
/// (<c>MultiplierTrace = System.Collections.Generic.List`1[…]</c>, <c>ComputedOn = ,</c>).
/// </summary>
public class ReportTextTests(ITestOutputHelper output)
{
    private static void NotADump(string text)
    {
        Assert.DoesNotContain(" = {", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("ComputedOn", text, StringComparison.Ordinal);
        Assert.DoesNotContain("{ ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_count_reads_as_its_numbers_and_how_it_was_counted()
    {
        Neuron13Sigmoid neuron = ExactCountTests.Network<Neuron13Sigmoid>(3);
        CountResult count = CoverageCounter.Count(neuron, Preference.OutputAbove(0.5, 0.5));
        string text = count.ToString();
        output.WriteLine(text);
        NotADump(text);
        Assert.StartsWith(string.Create(CultureInfo.InvariantCulture,
            $"{count.Count:N0} of 1,594,323 = {count.Fraction:P4} (exact, meet in the middle); "), text);
        Assert.EndsWith(" s", text, StringComparison.Ordinal);

        string elsewhere = (count with { ComputedOn = "3 silos (Orleans)", SubCubesRestored = 12 }).ToString();
        Assert.Contains("(exact, meet in the middle on 3 silos (Orleans); 12 sub-cubes read from a checkpoint)", elsewhere, StringComparison.Ordinal);

        Hidden10x6x1 layered = ExactCountTests.Network<Hidden10x6x1>(4);
        CountResult enumerated = CoverageCounter.Count(layered, Preference.OutputAbove(0.2, 0.5));
        output.WriteLine(enumerated.ToString());
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{enumerated.Count:N0} of 59,049 = {enumerated.Fraction:P4} (exact, enumeration"), enumerated.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_calibration_reads_as_its_shift_and_the_counts_either_side()
    {
        Neuron13Sigmoid network = ExactCountTests.Network<Neuron13Sigmoid>(3);
        double now = CoverageCounter.Count(network, Preference.OutputAbove(0.5, 0)).Fraction;
        Preference preference = Preference.OutputAbove(0.5, Math.Min(0.98, now + 0.15)) with { Method = EnforcementMethod.Calibration };
        CalibrationResult result = ExactCalibration.Calibrate(network, preference);
        string text = result.ToString();
        output.WriteLine(text);
        NotADump(text);
        CultureInfo c = CultureInfo.InvariantCulture;
        Assert.Equal(string.Create(c,
            $"output bias shifted by {result.BiasShift:G6}: {result.Count.Count:N0} of 1,594,323 = {result.Count.Fraction:P4}, counted exactly; " +
            $"one bias step less: {result.CountOneStepShort!.Count:N0} of 1,594,323 = {result.CountOneStepShort.Fraction:P4}; {result.Counts} counts"), text);

        var unchanged = new CalibrationResult(0, result.Count, null, 1);
        Assert.StartsWith("output bias unchanged (the preference was already met): ", unchanged.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("counted exactly; 1 count", unchanged.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_preference_result_says_met_or_by_how_much_not_and_the_multiplier_in_words()
    {
        var preference = Preference.OutputAbove(0.5, 0.6);
        var missed = new PreferenceResult(preference, new RateInterval(550, 1000, 0.99, 0.509, 0.590), Exact: false, Met: false, BiasShift: 0, MultiplierTrace: [0.25, 1.5, 0.75]);
        string text = missed.ToString();
        output.WriteLine(text);
        NotADump(text);
        Assert.Equal($"{preference}: estimated {missed.Rate} — NOT met, short by 9.100 %, penalty weight (λ) of its lower bound: 0.250 after the first epoch, 1.500 at most, 0.750 after the last", text);

        var met = new PreferenceResult(preference, new RateInterval(62, 100, 1, 0.62, 0.62), Exact: true, Met: true, BiasShift: 0.125f, MultiplierTrace: []);
        Assert.Equal($"{preference}: exact {met.Rate} — met, output bias shifted by 0.125", met.ToString());

        // The training report's lines are these.
        var report = new TrainingReport([], 3, false, 0.6, 0.59, [missed, met], TimeSpan.FromSeconds(1.5));
        string[] lines = report.ToString().Split('\n');
        Assert.Equal("  " + missed, lines[1]);
        Assert.Equal("  " + met, lines[2]);
    }

    [Fact]
    public void Progress_and_epochs_read_as_one_line()
    {
        var progress = new CountProgress(81, 243, TimeSpan.FromSeconds(4), SubCubesRestored: 0);
        Assert.Equal("81 of 243 sub-cubes (33.3 %), 0:00:04 elapsed, about 0:00:08 left", progress.ToString());
        var restored = new CountProgress(100, 243, TimeSpan.FromMinutes(75), SubCubesRestored: 100);
        Assert.Equal("100 of 243 sub-cubes (41.2 %), 100 from a checkpoint, 1:15:00 elapsed, time left not known yet", restored.ToString());

        var epoch = new EpochReport(3, 40, 0.5123, 0.612, 0.54, 0.6, [new PreferenceStatus(0.601, 0.001, 0.2, 0, 0.596, 0.606)]);
        Assert.Equal("epoch 3 of 40: train loss 0.5123, accuracy 61.20 %; validation loss 0.5400, accuracy 60.00 %; preference rates 60.10 % [59.60 %, 60.60 %]", epoch.ToString());
        var noValidation = epoch with { ValidationLoss = double.NaN, ValidationAccuracy = double.NaN, Preferences = [] };
        Assert.Equal("epoch 3 of 40: train loss 0.5123, accuracy 61.20 %; no validation data", noValidation.ToString());
    }

    [Fact]
    public void A_plan_reads_as_its_cube_and_sub_cubes()
    {
        Hidden10x6x1 network = ExactCountTests.Network<Hidden10x6x1>(4);
        CountPlan plan = CountPlan.Create(network, Preference.OutputAbove(0.2, 0.5), new CountOptions { SplitDepth = 3, LeafFreeInputs = 5 }, [1, -1]);
        Assert.Equal("6,561 inputs in 27 sub-cubes of 243; 6,561 (input, neuron) pairs", plan.ToString());
        Assert.Equal(27, plan.SubCubes);
    }
}
