using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace GenBias;

/// <summary>One preference during one epoch.</summary>
/// <param name="Rate">The estimated rate (fresh samples of the cube or product distribution; exact over the data).</param>
/// <param name="Slack">Positive when met: the distance to the nearest bound.</param>
/// <param name="MultiplierLower">λ of the lower bound (proxy-Lagrangian), else 0.</param>
/// <param name="MultiplierUpper">λ of the upper bound (proxy-Lagrangian), else 0.</param>
/// <param name="Lower">The lower end of the rate: a 95% Clopper–Pearson bound for estimates, the rate itself when counted exactly.</param>
/// <param name="Upper">The upper end of the rate, likewise.</param>
public sealed record PreferenceStatus(double Rate, double Slack, double MultiplierLower, double MultiplierUpper, double Lower, double Upper);

/// <summary>What an epoch reports through <see cref="IProgress{T}"/>.</summary>
public sealed record EpochReport(
    int Epoch,
    int Epochs,
    double TrainLoss,
    double TrainAccuracy,
    double ValidationLoss,
    double ValidationAccuracy,
    IReadOnlyList<PreferenceStatus> Preferences)
{
    /// <summary>Whether every preference's whole interval (exact rate, or 95% bounds of the estimate) lies within its target.</summary>
    public bool Feasible(IReadOnlyList<Preference> preferences) =>
        Preferences.Select((s, i) => preferences[i].IsMetBy(s.Lower) && preferences[i].IsMetBy(s.Upper)).All(m => m);
    /// <summary>One line: "epoch 3 of 40: train loss 0.512, accuracy 61.20 %; validation …; rates 60.10 % [59.60 %, 60.60 %]".</summary>
    public override string ToString()
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        string validation = double.IsNaN(ValidationLoss) ? "no validation data" : string.Create(c, $"validation loss {ValidationLoss:F4}, accuracy {ValidationAccuracy:P2}");
        string rates = Preferences.Count == 0 ? ""
            : "; preference rates " + string.Join(", ", Preferences.Select(p => string.Create(c, $"{p.Rate:P2} [{p.Lower:P2}, {p.Upper:P2}]")));
        return string.Create(c, $"epoch {Epoch} of {Epochs}: train loss {TrainLoss:F4}, accuracy {TrainAccuracy:P2}; {validation}{rates}");
    }
}

/// <summary>A preference's final state.</summary>
/// <param name="Preference">The preference.</param>
/// <param name="Rate">The final rate: exact over the cube where counting is cheap (first-layer neurons, small cubes) or over the data; otherwise a Clopper–Pearson interval over fresh samples.</param>
/// <param name="Exact">Whether <paramref name="Rate"/> is an exact count rather than an estimate.</param>
/// <param name="Met">Whether the rate meets the target: for estimates, the whole confidence interval must lie inside the bounds.</param>
/// <param name="BiasShift">For calibration, the shift added to the output bias.</param>
/// <param name="MultiplierTrace">λ (lower bound) at the end of each epoch (proxy-Lagrangian), else empty.</param>
public sealed record PreferenceResult(
    Preference Preference, RateInterval Rate, bool Exact, bool Met, float BiasShift, IReadOnlyList<double> MultiplierTrace)
{
    /// <summary>
    /// How far the rate misses the preference's bounds: for "at least τ", τ less the rate's lower end (for an exact
    /// count, the rate itself); for "at most", the upper end less τ; for "equal", the larger of the two; 0 when met.
    /// </summary>
    public double Shortfall
    {
        get
        {
            if (Met)
            {
                return 0;
            }

            (double lower, double upper) = Preference.Bounds;
            return Math.Max(0, Math.Max(lower - Rate.Lower, Rate.Upper - upper));
        }
    }

    /// <summary>
    /// One line: the preference, its rate (exact, or estimated with its interval), met or not and by how much it
    /// missed, the output bias shift of a calibration, and the multiplier of the lower bound over the epochs.
    /// </summary>
    public override string ToString()
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"{Preference}: {(Exact ? "exact" : "estimated")} {Rate} — {(Met ? "met" : string.Create(c, $"NOT met, short by {Shortfall:P3}"))}");
        if (BiasShift != 0)
        {
            text.Append(c, $", output bias shifted by {BiasShift:G6}");
        }

        if (MultiplierTrace.Count > 0)
        {
            text.Append(c, $", penalty weight (λ) of its lower bound: {MultiplierTrace[0]:F3} after the first epoch, {MultiplierTrace.Max():F3} at most, {MultiplierTrace[^1]:F3} after the last");
        }

        return text.ToString();
    }
}

/// <summary>One candidate the trainer compared: its check and its scores on the validation rows.</summary>
/// <param name="Description">Where it came from, as <see cref="TrainingReport.Selection"/> names it.</param>
/// <param name="Met">Whether it met every enforced preference by the trainer's independent check.</param>
/// <param name="Accuracy">Validation accuracy at the decision threshold.</param>
/// <param name="BalancedAccuracy">The mean of the validation recalls on positives and on negatives.</param>
/// <param name="Loss">The validation task loss.</param>
/// <param name="OneAnswer">Whether it gives the same answer on every validation row.</param>
public sealed record CandidateScore(string Description, bool Met, double Accuracy, double BalancedAccuracy, double Loss, bool OneAnswer)
{
    /// <summary>The score of <paramref name="metric"/>, larger is better (the loss negated).</summary>
    public double Value(SelectionMetric metric) => metric switch
    {
        SelectionMetric.BalancedAccuracy => BalancedAccuracy,
        SelectionMetric.Loss => -Loss,
        _ => Accuracy,
    };
}

/// <summary>The result of <see cref="PreferenceTrainer.Train"/>: one deterministic model's metrics and each preference's outcome.</summary>
public sealed record TrainingReport(
    IReadOnlyList<EpochReport> Epochs,
    int SelectedEpoch,
    bool StoppedEarly,
    double TrainAccuracy,
    double ValidationAccuracy,
    IReadOnlyList<PreferenceResult> Preferences,
    TimeSpan Elapsed)
{
    /// <summary>Whether every preference is met.</summary>
    public bool AllMet => Preferences.All(p => p.Met);

    /// <summary>
    /// Which candidate the trainer returned: "trained with its preferences", or with the free baseline
    /// (<see cref="TrainerOptions.FreeBaseline"/>) possibly "the free network, output bias calibrated" or "trained, output
    /// bias calibrated" — the one with the best validation score (<see cref="SelectedBy"/>) among those meeting every
    /// preference.
    /// </summary>
    public string Selection { get; init; } = "trained with its preferences";

    /// <summary>What the candidates were compared by (the option, <see cref="SelectionMetric.Automatic"/> resolved).</summary>
    public SelectionMetric SelectedBy { get; init; } = SelectionMetric.Accuracy;

    /// <summary>
    /// Whether the model returned gives the same answer on every validation row (the training rows without
    /// validation): chosen only when no feasible candidate that separates the rows beats chance, and worth a look.
    /// </summary>
    public bool AnswersOneClass { get; init; }

    /// <summary>How many candidates the trainer compared (1 without the free baseline).</summary>
    public int Candidates { get; init; } = 1;

    /// <summary>Every candidate compared, in the order trained (empty without the free baseline).</summary>
    public IReadOnlyList<CandidateScore> CandidateScores { get; init; } = [];

    /// <summary>
    /// False when no candidate met every enforced preference by the trainer's independent check: the model returned is
    /// then the one trained with its preferences, and it does not meet them (see each preference's
    /// <see cref="PreferenceResult.Shortfall"/>). <see cref="TrainerOptions.ThrowIfNotMet"/> turns this into an exception.
    /// </summary>
    public bool CandidateMet { get; init; } = true;

    /// <summary>The training metadata a model file keeps (<see cref="ModelFile.Save"/>).</summary>
    public Serialization.TrainingDocument ToDocument(TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new Serialization.TrainingDocument
        {
            Seed = options.Seed,
            Epochs = Epochs.Count,
            SelectedEpoch = SelectedEpoch,
            TrainAccuracy = TrainAccuracy,
            ValidationAccuracy = double.IsNaN(ValidationAccuracy) ? null : ValidationAccuracy,
            Settings = string.Create(CultureInfo.InvariantCulture,
                $"{options.Optimizer}, {options.Loss} loss, learning rate {options.LearningRate}, batch {options.BatchSize}, weight decay {options.WeightDecay}"),
        };
    }

    /// <summary>A readable summary, one line per preference.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"epochs run {Epochs.Count}, model from epoch {SelectedEpoch}{(StoppedEarly ? " (stopped early)" : "")}{(Candidates > 1 ? $" ({Selection}, best of {Candidates} by {SelectedBy})" : "")}; accuracy: train {TrainAccuracy:P2}, validation {ValidationAccuracy:P2}; {Elapsed.TotalSeconds:F2} s");
        foreach (PreferenceResult p in Preferences)
        {
            text.Append("\n  ").Append(p);
        }

        if (AnswersOneClass)
        {
            text.Append("\n  the model gives one answer on every validation row");
        }

        if (!CandidateMet || !AllMet)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  {(CandidateMet ? "the model" : "no candidate")} met every preference: the model returned does not; shortfall ");
            text.AppendJoin(", ", Preferences.Where(p => !p.Met).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Shortfall:P3} on {p.Preference}")));
        }

        return text.ToString();
    }
}
