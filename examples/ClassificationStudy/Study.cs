using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using GenBias;

namespace ClassificationStudy;

/// <summary>How a cell's networks were trained.</summary>
public enum Variant
{
    /// <summary>No preference (the baseline).</summary>
    Free,

    /// <summary>Trained with "output above 0.5 on at least τ of the cube" (proxy-Lagrangian).</summary>
    Cube,

    /// <summary>Trained with the same preference measured over the training data instead of the cube.</summary>
    Data,

    /// <summary>The free network with only its output bias shifted (calibrated) until τ of the cube is above 0.5.</summary>
    Shift,

    /// <summary>
    /// The preference enforced exactly by projection: for one neuron the bias clamped after every step to
    /// b ≥ atanh(0.5) − q, q the (1 − τ)-quantile of w·x over the cube, by meet in the middle; for 16 hidden (τ ≤ ½
    /// only) by symmetry — zero hidden biases and the output bias past atanh(0.5).
    /// </summary>
    Projection,

    /// <summary>Trained with the same preference as a fixed penalty on the surrogate rate (no guarantee).</summary>
    Penalty,

    /// <summary>
    /// The free network where an input is within Hamming distance r of a training row, "positive" elsewhere, r the
    /// largest radius certified to meet τ (<see cref="ComposedBaseline"/>).
    /// </summary>
    Composed,
}

/// <summary>Settings of a study run.</summary>
public sealed record StudyOptions
{
    public IReadOnlyList<double> Taus { get; init; } = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];

    public IReadOnlyList<Model> Models { get; init; } = [Model.Neuron, Model.Hidden16];

    public IReadOnlyList<Variant> Variants { get; init; } =
        [Variant.Free, Variant.Cube, Variant.Penalty, Variant.Data, Variant.Shift, Variant.Composed, Variant.Projection];

    public int Folds { get; init; } = 5;

    /// <summary>Training seeds per fold: each fold's split is the same, the trainer's seed differs.</summary>
    public int Seeds { get; init; } = 3;

    /// <summary>Runs (fold and seed) trained at once; the results do not depend on it.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    public ulong Seed { get; init; } = 2026;

    public int Epochs { get; init; } = 30;

    /// <summary>
    /// The fewest optimiser steps per training: small data sets get more epochs, so that the proxy-Lagrangian
    /// multipliers (which move once per step) have time to settle.
    /// </summary>
    public int MinSteps { get; init; } = 2500;

    /// <summary>
    /// Exact certificates for cubes of at most 3^this inputs, and for one-neuron networks of any size (meet in the
    /// middle); estimated (and labelled) otherwise. A rule, not a timing, so every machine writes the same table.
    /// </summary>
    public int ExactMaxInputs { get; init; } = 16;

    /// <summary>Samples of an estimated certificate.</summary>
    public int EstimateSamples { get; init; } = 100_000;
}

/// <summary>One run of a cell: a fold and a training seed.</summary>
/// <param name="Accuracy">Test accuracy at the decision threshold 0.5.</param>
/// <param name="BalancedAccuracy">The mean of the test recall on positives and on negatives.</param>
/// <param name="Majority">The test accuracy of the trivial rule that always answers the training folds' majority class.</param>
/// <param name="Fold">The fold (its test part).</param>
/// <param name="SeedIndex">Which of the fold's training seeds.</param>
/// <param name="OneAnswer">Whether the model gives the same answer on every test row.</param>
public sealed record FoldResult(double Accuracy, double CertifiedFraction, double CertifiedLower, bool Exact, bool Met, double Seconds, float[] Parameters,
    double BalancedAccuracy, double Majority, string Selection, int Fold = 0, int SeedIndex = 0, bool OneAnswer = false);

/// <summary>One cell of the table: a task, a model, a variant and a τ (null for the free baseline), over every fold and seed (fold-major).</summary>
public sealed record CellResult(string Task, Model Model, Variant Variant, double? Tau, List<FoldResult> Folds)
{
    public string Key => CellKey(Task, Model, Variant, Tau);

    public double MeanAccuracy => Folds.Average(f => f.Accuracy);

    public double MeanBalanced => Folds.Average(f => f.BalancedAccuracy);

    public double MeanMajority => Folds.Average(f => f.Majority);

    public double AccuracySpread => Math.Sqrt(Folds.Sum(f => Math.Pow(f.Accuracy - MeanAccuracy, 2)) / Math.Max(1, Folds.Count - 1));

    public double MeanCertified => Folds.Average(f => f.CertifiedFraction);

    public double MinCertifiedLower => Folds.Min(f => f.CertifiedLower);

    public bool AllExact => Folds.All(f => f.Exact);

    public int FoldsMet => Folds.Count(f => f.Met);

    /// <summary>Runs whose model gives one answer on every test row.</summary>
    public int OneAnswerRuns => Folds.Count(f => f.OneAnswer);

    public double MeanSeconds => Folds.Average(f => f.Seconds);

    public static string CellKey(string task, Model model, Variant variant, double? tau) =>
        $"{task}|{model}|{variant}|{(tau is double t ? t.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "-")}";
}

/// <summary>Progress: cells finished, of all, and the time left at the pace so far.</summary>
public sealed record StudyProgress(int CellsDone, int CellsTotal, string Cell, TimeSpan Elapsed, TimeSpan? Remaining);

/// <summary>The finished cells, saved after every cell so that a stopped study resumes without redoing them.</summary>
public sealed class StudyState
{
    public Dictionary<string, CellResult> Cells { get; set; } = [];

    public static StudyState Load(string path) => SavedState.Load(path, StudyJson.Default.StudyState, "study state");

    public void Save(string path) => SavedState.Save(path, this, StudyJson.Default.StudyState);
}

[JsonSerializable(typeof(StudyState))]
[JsonSourceGenerationOptions(WriteIndented = false)]
internal sealed partial class StudyJson : JsonSerializerContext;

/// <summary>
/// Runs the study: for every task, model, variant and τ, k-fold cross-validation with fixed seeds; each fold's
/// test accuracy, the certified fraction of the cube above 0.5 (exact where the count fits the budget, else a
/// Clopper–Pearson estimate, labelled) and the training time.
/// </summary>
public static class StudyRunner
{
    private static readonly ActivationInterval AboveHalf = ActivationInterval.Above(0.5);

    // A fold's distances to its training rows (the composed baseline): the same for every seed, τ and model.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(TernaryDataset Data, int Fold, int Folds, ulong Seed), Lazy<ComposedBaseline.Distances>> DistanceCache = new();

    public static StudyState Run(IReadOnlyList<StudyTask> tasks, StudyOptions options, string statePath,
        IProgress<StudyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        StudyState state = StudyState.Load(statePath);
        var cells = new List<(StudyTask Task, Model Model, Variant Variant, double? Tau)>();
        foreach (StudyTask task in tasks)
        {
            foreach (Model model in options.Models)
            {
                foreach (Variant variant in options.Variants.Where(v => Applies(v, model)))
                {
                    if (variant == Variant.Free)
                    {
                        cells.Add((task, model, variant, null));
                    }
                    else
                    {
                        cells.AddRange(options.Taus.Where(t => Applies(variant, model, t)).Select(t => (task, model, variant, (double?)t)));
                    }
                }
            }
        }

        var clock = Stopwatch.StartNew();
        int doneAtStart = cells.Count(c => state.Cells.ContainsKey(CellResult.CellKey(c.Task.Name, c.Model, c.Variant, c.Tau)));
        int done = doneAtStart;
        foreach ((StudyTask task, Model model, Variant variant, double? tau) in cells)
        {
            string key = CellResult.CellKey(task.Name, model, variant, tau);
            if (state.Cells.ContainsKey(key))
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            // Every run of the cell at once (each training is single-threaded and seeded, so the results, kept in
            // fold-major order, do not depend on the threads).
            var runs = new FoldResult[options.Folds * options.Seeds];
            Parallel.For(0, runs.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads), CancellationToken = cancellationToken },
                r => runs[r] = RunFold(task, model, variant, tau, r / options.Seeds, r % options.Seeds, options, state, cancellationToken));
            List<FoldResult> folds = [.. runs];
            state.Cells[key] = new CellResult(task.Name, model, variant, tau, folds);
            state.Save(statePath);
            done++;
            int fresh = done - doneAtStart;
            TimeSpan? remaining = fresh == 0 ? null : clock.Elapsed / fresh * (cells.Count - done);
            progress?.Report(new StudyProgress(done, cells.Count, key, clock.Elapsed, remaining));
        }

        return state;
    }

    /// <summary>Whether a variant has cells for a model (projection: one neuron, or 16 hidden by symmetry at τ ≤ ½).</summary>
    public static bool Applies(Variant variant, Model model) => variant != Variant.Projection || model is Model.Neuron or Model.Hidden16;

    /// <summary>Whether a cell exists: projection on 16 hidden holds by symmetry only up to τ = ½.</summary>
    public static bool Applies(Variant variant, Model model, double? tau) =>
        Applies(variant, model) && (variant != Variant.Projection || model == Model.Neuron || tau <= 0.5);

    /// <summary>The trainer's seed of a fold and seed index.</summary>
    public static ulong TrainingSeed(ulong seed, int fold, int seedIndex) => seed + (ulong)fold + ((ulong)seedIndex << 32);

    /// <summary>The train and test rows of fold <paramref name="fold"/> (a seeded shuffle split into k parts).</summary>
    public static (TernaryDataset Train, TernaryDataset Test) Split(TernaryDataset data, int fold, int folds, ulong seed)
    {
        int[] order = data.ShuffledOrder(seed);
        int[] test = [.. order.Where((_, i) => i % folds == fold)];
        int[] train = [.. order.Where((_, i) => i % folds != fold)];
        return (data.Subset(train), data.Subset(test));
    }

    private static FoldResult RunFold(StudyTask task, Model model, Variant variant, double? tau, int fold, int seedIndex, StudyOptions options,
        StudyState state, CancellationToken cancellationToken)
    {
        (TernaryDataset train, TernaryDataset test) = Split(task.Data, fold, options.Folds, options.Seed);
        ITernaryNetwork network = Networks.Create(task.Data.InputCount, model);
        int stepsPerEpoch = Math.Max(1, (int)Math.Ceiling(train.Count * 0.8 / 64));
        ulong seed = TrainingSeed(options.Seed, fold, seedIndex);
        var trainer = new TrainerOptions
        {
            Epochs = Math.Max(options.Epochs, (int)Math.Ceiling((double)options.MinSteps / stepsPerEpoch)),
            Seed = seed,
            // The framing of the 25-input majority problem: an output above 0.5 is a positive, one in [-1, 0.5) a negative.
            DecisionThreshold = 0.5f,
            // The trainer's own check of a candidate is the study's certificate: as many samples, the same confidence;
            // a calibration aims to pass it with 0.999, so that about one run in a thousand misses the certificate.
            FinalSamples = options.EstimateSamples,
            Confidence = 0.999,
            CalibrationPassProbability = CertificatePassProbability,
        };
        Preference cubePreference = new() { Interval = AboveHalf, Target = tau ?? 0 };
        var clock = Stopwatch.StartNew();
        string selection = variant == Variant.Shift ? "free, output bias calibrated" : "";
        ComposedBaseline.Result? composed = null;
        TrainingReport? report = null;
        switch (variant)
        {
            case Variant.Free:
                PreferenceTrainer.Train(network, train, trainer, cancellationToken: cancellationToken);
                break;
            case Variant.Cube:
                report = PreferenceTrainer.Train(network, train, trainer with { Preferences = [cubePreference] }, cancellationToken: cancellationToken);
                break;
            case Variant.Penalty:
                report = PreferenceTrainer.Train(network, train, trainer with
                {
                    Preferences = [cubePreference with { Method = EnforcementMethod.Penalty }],
                }, cancellationToken: cancellationToken);
                break;
            case Variant.Projection:
                report = PreferenceTrainer.Train(network, train, trainer with
                {
                    Preferences = [cubePreference with { Method = EnforcementMethod.Projection }],
                }, cancellationToken: cancellationToken);
                break;
            case Variant.Data:
                PreferenceTrainer.Train(network, train, trainer with
                {
                    Preferences = [cubePreference with { Distribution = PreferenceDistribution.TrainingData }],
                }, cancellationToken: cancellationToken);
                break;
            case Variant.Shift or Variant.Composed:
                FreeNetwork(network, train, trainer, task, model, fold, seedIndex, options, state, cancellationToken);
                if (variant == Variant.Composed)
                {
                    ComposedBaseline.Distances distances = DistanceCache.GetOrAdd((task.Data, fold, options.Folds, options.Seed), _ => new Lazy<ComposedBaseline.Distances>(() => ComposedBaseline.Measure(train, test))).Value;
                    composed = ComposedBaseline.Compose(network, distances, test, tau!.Value, 0.5f);
                    selection = composed.Radius < 0 ? "positive everywhere" : $"radius {composed.Radius}";
                    break;
                }

                Preference calibration = cubePreference with { Method = EnforcementMethod.Calibration };
                if (CoverageCounter.IsCheap(network, calibration) && network.Shape.Layers.Length == 1)
                {
                    ExactCalibration.Calibrate(network, calibration, cancellationToken: cancellationToken);
                }
                else
                {
                    SampleCalibration.Calibrate(network, calibration, options.EstimateSamples, 0.999, CalibrationSeed(seed),
                        new IndependentCheck(options.EstimateSamples, 0.999, CertificatePassProbability));
                }

                break;
        }

        selection = report?.Selection ?? selection;
        double seconds = clock.Elapsed.TotalSeconds;
        bool[] answers = composed?.Positive ?? Answers(network, test, 0.5f);
        (double accuracy, double balanced) = Scores(answers, test);
        int trainPositives = train.PositiveCount;
        bool majorityPositive = 2 * trainPositives > train.Count;
        double majority = (double)(majorityPositive ? test.PositiveCount : test.Count - test.PositiveCount) / test.Count;
        bool oneAnswer = answers.All(a => a) || !answers.Any(a => a);
        // Only the free networks' parameters are kept: the Shift and Composed cells start from them.
        float[] kept = variant == Variant.Free ? network.Parameters.ToArray() : [];
        if (composed is not null)
        {
            bool composedMet = composed.CertifiedFraction >= tau!.Value;
            return new FoldResult(accuracy, composed.CertifiedFraction, composed.CertifiedFraction, composed.Exact, composedMet, seconds, kept, balanced, majority, selection,
                fold, seedIndex, oneAnswer);
        }

        // Exact by rule (the cube's size, or one neuron), never by a timing; an estimate draws its own samples, from a
        // stream no calibration used.
        bool exact = network.Shape.Layers.Length == 1 || network.Shape.InputCount <= options.ExactMaxInputs;
        Certificate certificate = Certifier.Certify(network, cubePreference,
            new CertifyOptions
            {
                ExactTimeBudget = exact ? TimeSpan.MaxValue : TimeSpan.Zero, Samples = options.EstimateSamples, Confidence = 0.999,
                Seed = CertificateSeed(seed),
                Count = new CountOptions { MaxParallelism = Math.Max(1, Environment.ProcessorCount / Math.Max(1, options.Threads)) },
            },
            cancellationToken: cancellationToken);
        bool met = tau is null || certificate.Lower >= tau.Value;
        return new FoldResult(accuracy, certificate.Fraction, certificate.Lower, certificate.Exact, met, seconds, kept, balanced, majority, selection,
            fold, seedIndex, oneAnswer);
    }

    /// <summary>The free network of a run: from the free cell's kept parameters, or trained again (same seed, same bits).</summary>
    private static void FreeNetwork(ITernaryNetwork network, TernaryDataset train, TrainerOptions trainer, StudyTask task, Model model, int fold, int seedIndex,
        StudyOptions options, StudyState state, CancellationToken cancellationToken)
    {
        FoldResult? free;
        lock (state)
        {
            free = state.Cells.TryGetValue(CellResult.CellKey(task.Name, model, Variant.Free, null), out CellResult? cell)
                ? cell.Folds[(fold * options.Seeds) + seedIndex] : null;
        }

        if (free is null)
        {
            PreferenceTrainer.Train(network, train, trainer, cancellationToken: cancellationToken);
        }
        else
        {
            network.SetParameters(free.Parameters);
        }
    }

    /// <summary>The probability with which a calibrated run should pass the study's estimated certificate.</summary>
    public const double CertificatePassProbability = 0.999;

    /// <summary>The seed of a run's sample calibration (the Shift cells), from its training seed.</summary>
    public static ulong CalibrationSeed(ulong trainingSeed) => trainingSeed;

    /// <summary>The seed of a run's estimated certificate: a different stream from the calibration's.</summary>
    public static ulong CertificateSeed(ulong trainingSeed) => trainingSeed ^ 0xCE27_1F1C_A7E5_0003UL;

    /// <summary>The network's answer (output above <paramref name="threshold"/>) on every row.</summary>
    public static bool[] Answers(ITernaryNetwork network, TernaryDataset data, float threshold)
    {
        float[] outputs = new float[data.Count];
        network.ForwardBatch(data.Inputs, outputs);
        return [.. outputs.Select(y => y > threshold)];
    }

    /// <summary>Accuracy and balanced accuracy (mean of the recalls on both classes) at <paramref name="threshold"/>.</summary>
    public static (double Accuracy, double Balanced) Scores(ITernaryNetwork network, TernaryDataset data, float threshold) =>
        Scores(Answers(network, data, threshold), data);

    /// <summary>Accuracy and balanced accuracy of <paramref name="answers"/> on <paramref name="data"/>.</summary>
    public static (double Accuracy, double Balanced) Scores(bool[] answers, TernaryDataset data)
    {
        int truePositive = 0, trueNegative = 0, positives = 0;
        for (int r = 0; r < data.Count; r++)
        {
            bool positive = data.Labels[r] == 1, predicted = answers[r];
            positives += positive ? 1 : 0;
            truePositive += positive && predicted ? 1 : 0;
            trueNegative += !positive && !predicted ? 1 : 0;
        }

        int negatives = data.Count - positives;
        double recallPositive = positives == 0 ? 1 : (double)truePositive / positives, recallNegative = negatives == 0 ? 1 : (double)trueNegative / negatives;
        return ((double)(truePositive + trueNegative) / data.Count, (recallPositive + recallNegative) / 2);
    }

    /// <summary>Accuracy at <paramref name="threshold"/>.</summary>
    public static double Accuracy(ITernaryNetwork network, TernaryDataset data, float threshold) => Scores(network, data, threshold).Accuracy;
}
