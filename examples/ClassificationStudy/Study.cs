using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
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
    /// One neuron only: the preference enforced exactly by projection (the bias clamped after every step to
    /// b ≥ atanh(0.5) − q, q the (1 − τ)-quantile of w·x over the cube, by meet in the middle).
    /// </summary>
    Projection,
}

/// <summary>Settings of a study run.</summary>
public sealed record StudyOptions
{
    public IReadOnlyList<double> Taus { get; init; } = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];

    public IReadOnlyList<Model> Models { get; init; } = [Model.Neuron, Model.Hidden16];

    public IReadOnlyList<Variant> Variants { get; init; } = [Variant.Free, Variant.Cube, Variant.Data, Variant.Shift, Variant.Projection];

    public int Folds { get; init; } = 5;

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

/// <summary>One fold of a cell.</summary>
/// <param name="Accuracy">Test accuracy at the decision threshold 0.5.</param>
/// <param name="BalancedAccuracy">The mean of the test recall on positives and on negatives.</param>
/// <param name="Majority">The test accuracy of the trivial rule that always answers the training folds' majority class.</param>
public sealed record FoldResult(double Accuracy, double CertifiedFraction, double CertifiedLower, bool Exact, bool Met, double Seconds, float[] Parameters,
    double BalancedAccuracy, double Majority, string Selection);

/// <summary>One cell of the table: a task, a model, a variant and a τ (null for the free baseline), over every fold.</summary>
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

    public static StudyState Load(string path)
    {
        if (!File.Exists(path))
        {
            return new StudyState();
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), StudyJson.Default.StudyState) ?? new StudyState();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the saved study state is not readable ({e.Message}); delete it to start over.", e);
        }
    }

    public void Save(string path) => AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this, StudyJson.Default.StudyState));
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
                        cells.AddRange(options.Taus.Select(t => (task, model, variant, (double?)t)));
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
            var folds = new List<FoldResult>();
            for (int fold = 0; fold < options.Folds; fold++)
            {
                folds.Add(RunFold(task, model, variant, tau, fold, options, state, cancellationToken));
            }

            state.Cells[key] = new CellResult(task.Name, model, variant, tau, folds);
            state.Save(statePath);
            done++;
            int fresh = done - doneAtStart;
            TimeSpan? remaining = fresh == 0 ? null : clock.Elapsed / fresh * (cells.Count - done);
            progress?.Report(new StudyProgress(done, cells.Count, key, clock.Elapsed, remaining));
        }

        return state;
    }

    /// <summary>Whether a variant has cells for a model (projection clamps a first-layer bias: one neuron only).</summary>
    public static bool Applies(Variant variant, Model model) => variant != Variant.Projection || model == Model.Neuron;

    /// <summary>The train and test rows of fold <paramref name="fold"/> (a seeded shuffle split into k parts).</summary>
    public static (TernaryDataset Train, TernaryDataset Test) Split(TernaryDataset data, int fold, int folds, ulong seed)
    {
        int[] order = data.ShuffledOrder(seed);
        int[] test = [.. order.Where((_, i) => i % folds == fold)];
        int[] train = [.. order.Where((_, i) => i % folds != fold)];
        return (data.Subset(train), data.Subset(test));
    }

    private static FoldResult RunFold(StudyTask task, Model model, Variant variant, double? tau, int fold, StudyOptions options,
        StudyState state, CancellationToken cancellationToken)
    {
        (TernaryDataset train, TernaryDataset test) = Split(task.Data, fold, options.Folds, options.Seed);
        ITernaryNetwork network = Networks.Create(task.Data.InputCount, model);
        int stepsPerEpoch = Math.Max(1, (int)Math.Ceiling(train.Count * 0.8 / 64));
        var trainer = new TrainerOptions
        {
            Epochs = Math.Max(options.Epochs, (int)Math.Ceiling((double)options.MinSteps / stepsPerEpoch)),
            Seed = options.Seed + (ulong)fold,
            // As in the 25-input majority problem: an output above 0.5 is a positive, one in [-1, 0.5) a negative.
            DecisionThreshold = 0.5f,
        };
        Preference cubePreference = new() { Interval = AboveHalf, Target = tau ?? 0 };
        var clock = Stopwatch.StartNew();
        string selection = variant == Variant.Shift ? "free, output bias calibrated" : "";
        switch (variant)
        {
            case Variant.Free:
                PreferenceTrainer.Train(network, train, trainer, cancellationToken: cancellationToken);
                break;
            case Variant.Cube:
                selection = PreferenceTrainer.Train(network, train, trainer with { Preferences = [cubePreference] }, cancellationToken: cancellationToken).Selection;
                break;
            case Variant.Projection:
                selection = PreferenceTrainer.Train(network, train, trainer with
                {
                    Preferences = [cubePreference with { Method = EnforcementMethod.Projection }],
                }, cancellationToken: cancellationToken).Selection;
                break;
            case Variant.Data:
                PreferenceTrainer.Train(network, train, trainer with
                {
                    Preferences = [cubePreference with { Distribution = PreferenceDistribution.TrainingData }],
                }, cancellationToken: cancellationToken);
                break;
            case Variant.Shift:
                // The free network of the same fold (trained again if the free cell is not in the state: same seed, same bits).
                FoldResult? free = state.Cells.TryGetValue(CellResult.CellKey(task.Name, model, Variant.Free, null), out CellResult? cell)
                    ? cell.Folds[fold] : null;
                if (free is null)
                {
                    PreferenceTrainer.Train(network, train, trainer, cancellationToken: cancellationToken);
                }
                else
                {
                    network.SetParameters(free.Parameters);
                }

                Preference calibration = cubePreference with { Method = EnforcementMethod.Calibration };
                if (CoverageCounter.IsCheap(network, calibration) && network.Shape.Layers.Length == 1)
                {
                    ExactCalibration.Calibrate(network, calibration, cancellationToken: cancellationToken);
                }
                else
                {
                    SampleCalibration.Calibrate(network, calibration, options.EstimateSamples, 0.999, CalibrationSeed(options.Seed, fold));
                }

                break;
        }

        double seconds = clock.Elapsed.TotalSeconds;
        (double accuracy, double balanced) = Scores(network, test, 0.5f);
        int trainPositives = train.PositiveCount;
        bool majorityPositive = 2 * trainPositives > train.Count;
        double majority = (double)(majorityPositive ? test.PositiveCount : test.Count - test.PositiveCount) / test.Count;
        // Exact by rule (the cube's size, or one neuron), never by a timing; an estimate draws its own samples, from a
        // stream no calibration used.
        bool exact = network.Shape.Layers.Length == 1 || network.Shape.InputCount <= options.ExactMaxInputs;
        Certificate certificate = Certifier.Certify(network, cubePreference,
            new CertifyOptions
            {
                ExactTimeBudget = exact ? TimeSpan.MaxValue : TimeSpan.Zero, Samples = options.EstimateSamples, Confidence = 0.999,
                Seed = CertificateSeed(options.Seed, fold),
            },
            cancellationToken: cancellationToken);
        bool met = tau is null || certificate.Lower >= tau.Value;
        // Only the free networks' parameters are kept: the Shift cells start from them.
        float[] kept = variant == Variant.Free ? network.Parameters.ToArray() : [];
        return new FoldResult(accuracy, certificate.Fraction, certificate.Lower, certificate.Exact, met, seconds, kept, balanced, majority, selection);
    }

    /// <summary>The seed of a fold's sample calibration (the Shift cells).</summary>
    public static ulong CalibrationSeed(ulong seed, int fold) => seed + (ulong)fold;

    /// <summary>The seed of a fold's estimated certificate: a different stream from the calibration's.</summary>
    public static ulong CertificateSeed(ulong seed, int fold) => (seed + (ulong)fold) ^ 0xCE27_1F1C_A7E5_0003UL;

    /// <summary>Accuracy and balanced accuracy (mean of the recalls on both classes) at <paramref name="threshold"/>.</summary>
    public static (double Accuracy, double Balanced) Scores(ITernaryNetwork network, TernaryDataset data, float threshold)
    {
        float[] outputs = new float[data.Count];
        network.ForwardBatch(data.Inputs, outputs);
        int truePositive = 0, trueNegative = 0, positives = 0;
        for (int r = 0; r < data.Count; r++)
        {
            bool positive = data.Labels[r] == 1, predicted = outputs[r] > threshold;
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
