using System;
using System.Globalization;
using System.Linq;

namespace GenBias;

/// <summary>
/// Thrown by <see cref="PreferenceTrainer.Train"/> with <see cref="TrainerOptions.ThrowIfNotMet"/> when the model it
/// would return does not meet every preference; <see cref="Report"/> holds the whole report, and the network keeps the
/// parameters of that model.
/// </summary>
public sealed class PreferencesNotMetException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="report"/>.</summary>
    public PreferencesNotMetException(TrainingReport report)
        : base(Describe(report)) => Report = report;

    /// <summary>The training report: each preference's rate and <see cref="PreferenceResult.Shortfall"/>.</summary>
    public TrainingReport Report { get; }

    private static string Describe(TrainingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return $"{(report.CandidateMet ? "The trained model" : $"None of the {report.Candidates} candidate models")} met every preference: " +
               string.Join("; ", report.Preferences.Where(p => !p.Met).Select(p =>
                   string.Create(CultureInfo.InvariantCulture, $"{p.Preference} has rate {p.Rate}, short by {p.Shortfall:P3}")));
    }
}
