using System;
using System.Linq;
using Xunit;

namespace GenBias.Tests.Training;

/// <summary>A training run whose preferences cannot all hold says so, by how much, and can throw instead.</summary>
public class InfeasibleTrainingTests
{
    private static readonly TernaryDataset Data = SeedProblem.Data(600, seed: 3);

    // Contradictory: 90% of the cube above 0.5 and 90% below 0 cannot both hold.
    private static readonly Preference[] Contradictory =
    [
        Preference.OutputAbove(0.5, 0.9),
        new Preference { Interval = ActivationInterval.Below(0), Target = 0.9 },
    ];

    [Fact]
    public void A_run_that_meets_no_preference_says_no_candidate_met_and_by_how_much()
    {
        var network = new SeedHidden();
        TrainingReport report = PreferenceTrainer.Train(network, Data, new TrainerOptions { Epochs = 3, Seed = 5, Preferences = Contradictory });
        Assert.False(report.AllMet);
        Assert.False(report.CandidateMet);
        PreferenceResult missed = report.Preferences.First(p => !p.Met);
        Assert.True(missed.Shortfall > 0, report.ToString());
        (double lower, _) = missed.Preference.Bounds;
        Assert.Equal(Math.Max(0, lower - missed.Rate.Lower), missed.Shortfall, 12);
        Assert.Contains("no candidate met every preference", report.ToString(), StringComparison.Ordinal);
        Assert.All(report.Preferences.Where(p => p.Met), p => Assert.Equal(0, p.Shortfall));
    }

    [Fact]
    public void ThrowIfNotMet_throws_with_the_report_and_leaves_the_trained_model()
    {
        var network = new SeedHidden();
        var options = new TrainerOptions { Epochs = 3, Seed = 5, Preferences = Contradictory, ThrowIfNotMet = true };
        var thrown = Assert.Throws<PreferencesNotMetException>(() => PreferenceTrainer.Train(network, Data, options));
        Assert.False(thrown.Report.AllMet);
        Assert.Contains("short by", thrown.Message, StringComparison.Ordinal);
        // The network holds the model the report describes: training again without throwing gives the same bits.
        var again = new SeedHidden();
        PreferenceTrainer.Train(again, Data, options with { ThrowIfNotMet = false });
        Assert.Equal(again.Parameters.ToArray(), network.Parameters.ToArray());
    }
}
