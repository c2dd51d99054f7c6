using System;
using System.Collections.Generic;

namespace GenBias;

/// <summary>The optimiser of the model step.</summary>
public enum OptimizerKind
{
    /// <summary>Adam (β1 = 0.9, β2 = 0.999, ε = 1e-8).</summary>
    Adam = 0,

    /// <summary>Stochastic gradient descent with momentum.</summary>
    Sgd = 1,
}

/// <summary>The task loss on the output neuron.</summary>
public enum LossKind
{
    /// <summary>Binary cross-entropy: p = (y + 1)/2 for outputs in [-1, 1], y for sigmoid, sigmoid(y) for unbounded outputs.</summary>
    Logistic = 0,

    /// <summary>(y − t)², t = ±1 for symmetric outputs, 0/1 for sigmoid and ReLU.</summary>
    Squared = 1,

    /// <summary>max(0, 1 − t·(y − c)), t = ±1, c the decision threshold.</summary>
    Hinge = 2,
}

/// <summary>What the trainer chooses among its candidates by (<see cref="TrainerOptions.FreeBaseline"/>), on the validation rows.</summary>
public enum SelectionMetric
{
    /// <summary>Balanced accuracy where the smaller class is under 40% of the training rows, else accuracy.</summary>
    Automatic = 0,

    /// <summary>The fraction of rows classified right: the larger class weighs by its share.</summary>
    Accuracy = 1,

    /// <summary>The mean of the recalls on positives and on negatives: both classes weigh the same.</summary>
    BalancedAccuracy = 2,

    /// <summary>The task loss (lower is better).</summary>
    Loss = 3,
}

/// <summary>Settings of <see cref="PreferenceTrainer"/>. Every default is a reasonable start for small ternary networks.</summary>
public sealed record TrainerOptions
{
    /// <summary>The most epochs to run (early stopping may end sooner).</summary>
    public int Epochs { get; init; } = 40;

    /// <summary>Data rows per step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The model step size.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>The optimiser.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>Momentum of <see cref="OptimizerKind.Sgd"/>.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>The task loss.</summary>
    public LossKind Loss { get; init; } = LossKind.Logistic;

    /// <summary>L2 weight decay on weights (not biases).</summary>
    public double WeightDecay { get; init; }

    /// <summary>The fraction of the data held out for validation and early stopping (0 for none).</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>Epochs without a better validation loss (among epochs that meet every preference) before stopping; 0 never stops early.</summary>
    public int Patience { get; init; } = 8;

    /// <summary>The seed: the same seed, data and options give the same parameters, bit for bit.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// Threads a training step runs on (default every core the process may use). The result does not depend on it: a
    /// step's rows are split into fixed blocks and every gradient is summed in row order (each sum, and the update of
    /// the parameters it feeds, by one thread), so 1, 2 or 16 threads give the same parameters, bit for bit.
    /// </summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Whether to start from fresh random parameters (else from the network's current ones).</summary>
    public bool InitializeParameters { get; init; } = true;

    /// <summary>The preferences to enforce.</summary>
    public IReadOnlyList<Preference> Preferences { get; init; } = [];

    /// <summary>Soft rewards and penalties on activation ranges.</summary>
    public IReadOnlyList<ActivationReward> Rewards { get; init; } = [];

    /// <summary>Fresh inputs drawn per step for the surrogate of each cube or product-distribution term.</summary>
    public int SurrogateSamplesPerStep { get; init; } = 64;

    /// <summary>
    /// With one enforced preference that an output-bias shift can serve (the output neuron, an interval open on one
    /// side, the cube or a product distribution), the trainer never returns less than the free network shifted into
    /// feasibility: it first trains the free network (the preference watched, not enforced) for <see cref="Epochs"/>,
    /// then trains with the preference from the same initial parameters for <see cref="Epochs"/> more; the free network
    /// with its output bias calibrated, the trained network, and the trained network calibrated are the candidates, and
    /// the model returned is the one with the best validation score (<see cref="SelectionMetric"/>) among those meeting
    /// the preference (an exact count, or bounds from samples no step or calibration saw). Default true; false trains
    /// with the preference only (half the time). Other preferences are trained directly either way.
    /// </summary>
    public bool FreeBaseline { get; init; } = true;

    /// <summary>
    /// What candidates are compared by on the validation rows. <see cref="SelectionMetric.Automatic"/> (the default)
    /// takes balanced accuracy where the smaller class is under 40% of the training rows — accuracy would favour the
    /// candidate that answers the larger class, which a preference like "positive on 90% of the cube" pushes every
    /// model toward — and accuracy otherwise, where the two nearly agree. Whatever the metric, a candidate that gives
    /// one answer on every validation row is chosen only when no feasible candidate that separates them beats chance.
    /// </summary>
    public SelectionMetric SelectionMetric { get; init; } = SelectionMetric.Automatic;

    /// <summary>
    /// Whether <see cref="PreferenceTrainer.Train"/> throws <see cref="PreferencesNotMetException"/> (carrying the report;
    /// the network keeps the trained parameters) when the model it would return does not meet every preference. Default
    /// false: the report says so (<see cref="TrainingReport.AllMet"/>, <see cref="TrainingReport.CandidateMet"/>).
    /// </summary>
    public bool ThrowIfNotMet { get; init; }

    /// <summary>Fresh inputs drawn per step for the true 0/1 rate of the proxy-Lagrangian multiplier step.</summary>
    public int MultiplierSamplesPerStep { get; init; } = 128;

    /// <summary>The multiplier step size η: λ ← max(0, λ + η · violation) after every model step.</summary>
    public double MultiplierLearningRate { get; init; } = 0.05;

    /// <summary>
    /// Added to each bound the trainer aims for, so that the final rate clears the target with room for the
    /// confidence interval (0.02 by default).
    /// </summary>
    public double TargetMargin { get; init; } = 0.02;

    /// <summary>
    /// Steps between two exact refreshes of a <see cref="EnforcementMethod.Projection"/> preference's bias range (the
    /// range moves as the weights do; between refreshes the bias is clamped to the last one, and every epoch ends with
    /// an exact refresh). 32 by default.
    /// </summary>
    public int ProjectionInterval { get; init; } = 32;

    /// <summary>Fresh inputs for the per-epoch rate estimates.</summary>
    public int EvaluationSamples { get; init; } = 4096;

    /// <summary>Fresh inputs for the final Clopper–Pearson interval of each cube or product rate (and for sample calibration).</summary>
    public int FinalSamples { get; init; } = 40_000;

    /// <summary>The confidence of the final intervals and of sample-based calibration.</summary>
    public double Confidence { get; init; } = 0.99;

    /// <summary>
    /// The probability with which an output-bias calibration from samples passes the trainer's independent check (a
    /// fresh sample of <see cref="FinalSamples"/> at <see cref="Confidence"/>): the calibration aims its own sample's rate
    /// that far inside the bound (<see cref="CalibrationMargin"/>). 0.99 by default; aiming at the calibration sample's
    /// own bound would pass about half the time.
    /// </summary>
    public double CalibrationPassProbability { get; init; } = 0.99;

    /// <summary>
    /// The output above which a row is classified 1; null picks 0 for symmetric outputs and 0.5 for sigmoid and ReLU.
    /// The loss is centred on it too (see <see cref="PreferenceTrainer.Loss"/>), so the model is trained for the boundary
    /// it is scored at; for bounded outputs it must lie strictly inside their range.
    /// </summary>
    public float? DecisionThreshold { get; init; }

    /// <summary>The most <see cref="Threads"/> allowed.</summary>
    public const int MaxThreads = 1024;

    /// <summary>Throws unless every setting is in range.</summary>
    public void Validate()
    {
        Check(Epochs >= 1, nameof(Epochs), "at least 1");
        Check(BatchSize >= 1, nameof(BatchSize), "at least 1");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), "positive");
        Check(Momentum >= 0 && Momentum < 1, nameof(Momentum), "in [0, 1)");
        Check(WeightDecay >= 0, nameof(WeightDecay), "non-negative");
        Check(ValidationFraction >= 0 && ValidationFraction < 1, nameof(ValidationFraction), "in [0, 1)");
        Check(Patience >= 0, nameof(Patience), "non-negative");
        Check(SurrogateSamplesPerStep >= 1 && MultiplierSamplesPerStep >= 1, nameof(SurrogateSamplesPerStep), "at least 1");
        Check(MultiplierLearningRate > 0, nameof(MultiplierLearningRate), "positive");
        Check(TargetMargin >= 0 && TargetMargin < 0.5, nameof(TargetMargin), "in [0, 0.5)");
        Check(Enum.IsDefined(SelectionMetric), nameof(SelectionMetric), "one of the SelectionMetric values");
        Check(ProjectionInterval >= 1, nameof(ProjectionInterval), "at least 1");
        Check(EvaluationSamples >= 100 && FinalSamples >= 100, nameof(FinalSamples), "at least 100");
        Check(Threads >= 1 && Threads <= MaxThreads, nameof(Threads), $"between 1 and {MaxThreads} (it is {Threads})");
        Check(Confidence > 0 && Confidence < 1, nameof(Confidence), "in (0, 1)");
        Check(CalibrationPassProbability > 0 && CalibrationPassProbability < 1, nameof(CalibrationPassProbability), "in (0, 1)");
        ArgumentNullException.ThrowIfNull(Preferences);
        ArgumentNullException.ThrowIfNull(Rewards);
    }

    private static void Check(bool ok, string name, string what)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, $"TrainerOptions.{name} must be {what}.");
        }
    }
}
