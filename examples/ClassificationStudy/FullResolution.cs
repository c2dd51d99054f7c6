using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using GenBias;

namespace ClassificationStudy;

/// <summary>
/// Settings of the full-resolution task: MNIST at 28×28 (784 ternary inputs), a hidden layer of 64 tanh neurons, trained
/// free and with preferences on every hidden neuron and on the output.
/// </summary>
public sealed record FullResolutionOptions
{
    public int Folds { get; init; } = 5;

    /// <summary>Training seeds per fold (one: the cell is 5 trainings).</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>Threads of each training step (<see cref="TrainerOptions.Threads"/>); the folds run one after the other.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    public ulong Seed { get; init; } = 2026;

    public int Epochs { get; init; } = 30;

    /// <summary>
    /// Adam's step: 0.001, a tenth of the trainer's default. With 784 inputs (most of them -1, the background) a step of
    /// 0.01 on every weight moves a hidden pre-activation by several units at once: two of five free trainings saturated
    /// on the first epoch and answered "not 0" everywhere.
    /// </summary>
    public double LearningRate { get; init; } = 0.001;

    /// <summary>The fewest optimiser steps per training, as in the main study.</summary>
    public int MinSteps { get; init; } = 2500;

    /// <summary>The hidden preference: every hidden neuron above this activation on at most <see cref="HiddenTarget"/> of the cube.</summary>
    public double HiddenThreshold { get; init; }

    public double HiddenTarget { get; init; } = 0.5;

    /// <summary>The output preference: the output above 0.5 on at least this fraction of the cube.</summary>
    public double OutputTau { get; init; } = 0.9;

    /// <summary>
    /// Whether the free networks' hidden neurons are certified too (they have no hidden preference: informative only,
    /// and 64 histograms over 3^784 inputs per run).
    /// </summary>
    public bool CertifyFreeHidden { get; init; }

    /// <summary>Samples of the output's estimated certificate (as the main study).</summary>
    public int EstimateSamples { get; init; } = 100_000;
}

/// <summary>One training of the full-resolution task and its certificates.</summary>
/// <param name="HiddenMet">Hidden neurons whose own preference is certified met (of <paramref name="HiddenNeurons"/>).</param>
/// <param name="HiddenExact">Hidden neurons certified by an exact count (the rest by a certified interval).</param>
/// <param name="HiddenWidest">The widest certified interval among the hidden neurons (0 where all are exact).</param>
/// <param name="HiddenHighest">The highest upper bound of a hidden neuron's rate above the threshold.</param>
/// <param name="LayerLower">The hidden layer's pooled rate: the mean of the neurons' certified lower bounds.</param>
/// <param name="OutputLower">The output's estimated interval (Clopper–Pearson at 99.9%).</param>
/// <param name="TrainSeconds">The training alone.</param>
/// <param name="CertifySeconds">The hidden neurons' certificates, one per neuron.</param>
/// <param name="EpochSeconds">The training's epochs (from its start to its last epoch report), of <paramref name="TrainSeconds"/>.</param>
/// <param name="FinishSeconds">The training after its last epoch (the candidates' checks and final rates), of <paramref name="TrainSeconds"/>.</param>
/// <param name="TrainCpuSeconds">Processor time of the process during the training (all threads): the load-independent cost.</param>
public sealed record FullResolutionRun(string Training, int Fold, int SeedIndex, double Accuracy, double BalancedAccuracy, double Majority,
    int HiddenNeurons, int HiddenMet, int HiddenExact, double HiddenWidest, double HiddenHighest, double LayerLower, double LayerUpper, bool LayerMet,
    double OutputFraction, double OutputLower, double OutputUpper, bool OutputMet, double TrainSeconds, double CertifySeconds, string Selection, int Epochs,
    double EpochSeconds = 0, double FinishSeconds = 0, double TrainCpuSeconds = 0, double CertifyCpuSeconds = 0);

/// <summary>The finished runs of the full-resolution task, saved after each run so that a stopped study resumes.</summary>
public sealed class FullResolutionState
{
    public List<FullResolutionRun> Runs { get; set; } = [];

    public static FullResolutionState Load(string path) => SavedState.Load(path, FullResolutionJson.Default.FullResolutionState, "state");

    public void Save(string path) => SavedState.Save(path, this, FullResolutionJson.Default.FullResolutionState);
}

[JsonSerializable(typeof(FullResolutionState))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class FullResolutionJson : JsonSerializerContext;

/// <summary>
/// The study's fifth task: MNIST "0" vs rest at full resolution (784 ternary inputs), 64 hidden tanh neurons. Free, and
/// constrained: every hidden neuron above 0 on at most half of the cube (64 preferences, one per neuron, held by
/// projection) and the output above 0.5 on at least τ of the cube. Each hidden neuron is certified on its own, exactly or by a certified
/// interval (the histogram of its sum over 3^784 inputs); the output, behind the hidden layer, by a labelled estimate.
/// </summary>
public static class FullResolution
{
    public const string TaskName = "mnist784-0";

    public const string Free = "no preference";

    public const string Constrained = "each hidden ≤ ½ above 0, output τ";

    private static readonly string[] Trainings = [Free, Constrained];

    /// <summary>
    /// Hidden neuron <paramref name="neuron"/>'s preference: above the threshold on at most the target of the cube, held by
    /// projection (for a target of ½ a bound on its bias alone, by the symmetry of its sum over the cube).
    /// </summary>
    public static Preference HiddenPreference(FullResolutionOptions options, int neuron) => new()
    {
        Layer = 0, Neuron = neuron, Interval = ActivationInterval.Above(options.HiddenThreshold), Relation = PreferenceRelation.AtMost, Target = options.HiddenTarget,
        Method = EnforcementMethod.Projection,
    };

    /// <summary>The output's preference: above 0.5 on at least τ of the cube.</summary>
    public static Preference OutputPreference(FullResolutionOptions options) => new() { Interval = ActivationInterval.Above(0.5), Target = options.OutputTau };

    public static FullResolutionState Run(StudyTask task, FullResolutionOptions options, string statePath, Action<string>? log, CancellationToken cancellationToken)
    {
        FullResolutionState state = FullResolutionState.Load(statePath);
        foreach (string training in Trainings)
        {
            for (int fold = 0; fold < options.Folds; fold++)
            {
                for (int seedIndex = 0; seedIndex < options.Seeds; seedIndex++)
                {
                    if (state.Runs.Any(r => r.Training == training && r.Fold == fold && r.SeedIndex == seedIndex))
                    {
                        continue;
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    FullResolutionRun run = RunOne(task, training, fold, seedIndex, options, log, cancellationToken);
                    state.Runs.Add(run);
                    state.Save(statePath);
                    log?.Invoke(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"{TaskName} | {training} | fold {fold} seed {seedIndex}: accuracy {run.Accuracy:P1}, trained in {run.TrainSeconds:F1} s ({run.Epochs} epochs {run.EpochSeconds:F1} s, then {run.FinishSeconds:F1} s; {run.TrainCpuSeconds:F1} s of processor time), hidden met {run.HiddenMet}/{run.HiddenNeurons} (widest interval {run.HiddenWidest:G2}, certified in {run.CertifySeconds:F1} s), layer [{run.LayerLower:R}, {run.LayerUpper:R}], output ≥ {run.OutputLower:P2}; load {Load()}"));
                }
            }
        }

        return state;
    }

    private static FullResolutionRun RunOne(StudyTask task, string training, int fold, int seedIndex, FullResolutionOptions options, Action<string>? log,
        CancellationToken cancellationToken)
    {
        (TernaryDataset train, TernaryDataset test) = StudyRunner.Split(task.Data, fold, options.Folds, options.Seed);
        var network = new Hidden784x64();
        int stepsPerEpoch = Math.Max(1, (int)Math.Ceiling(train.Count * 0.8 / 64));
        ulong seed = StudyRunner.TrainingSeed(options.Seed, fold, seedIndex);
        var trainer = new TrainerOptions
        {
            Epochs = Math.Max(options.Epochs, (int)Math.Ceiling((double)options.MinSteps / stepsPerEpoch)),
            Seed = seed,
            LearningRate = options.LearningRate,
            Threads = options.Threads,
            DecisionThreshold = 0.5f,
            FinalSamples = options.EstimateSamples,
            Confidence = 0.999,
            CalibrationPassProbability = StudyRunner.CertificatePassProbability,
            Preferences = training == Free ? [] : [.. Enumerable.Range(0, Hidden784x64.Shape.Layers[0].Width).Select(k => HiddenPreference(options, k)), OutputPreference(options)],
        };
        int epochs = 0;
        double lastEpoch = 0;
        using Process self = Process.GetCurrentProcess();
        TimeSpan cpu = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        TrainingReport report = PreferenceTrainer.Train(network, train, trainer, new Progress(e =>
        {
            epochs++;
            double now = clock.Elapsed.TotalSeconds;
            log?.Invoke(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"  {training} fold {fold}: epoch {e.Epoch}/{e.Epochs} in {now - lastEpoch:F1} s, train accuracy {e.TrainAccuracy:P1}"));
            lastEpoch = now;
        }), cancellationToken);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        self.Refresh();
        double trainCpu = (self.TotalProcessorTime - cpu).TotalSeconds;
        cpu = self.TotalProcessorTime;

        bool[] answers = StudyRunner.Answers(network, test, 0.5f);
        (double accuracy, double balanced) = StudyRunner.Scores(answers, test);
        bool majorityPositive = 2 * train.PositiveCount > train.Count;
        double majority = (double)(majorityPositive ? test.PositiveCount : test.Count - test.PositiveCount) / test.Count;

        // Every hidden neuron's own preference (the trained ones), one neuron per core; the layer's pooled rate is their mean.
        clock.Restart();
        int width = training == Free && !options.CertifyFreeHidden ? 0 : Hidden784x64.Shape.Layers[0].Width;
        var hidden = new Certificate[width];
        Parallel.For(0, width, new ParallelOptions { MaxDegreeOfParallelism = options.Threads, CancellationToken = cancellationToken }, k =>
            hidden[k] = Certifier.Certify(network, HiddenPreference(options, k), new CertifyOptions { Count = new CountOptions { MaxParallelism = 1 } },
                cancellationToken: cancellationToken));
        double certifySeconds = clock.Elapsed.TotalSeconds;
        self.Refresh();
        double certifyCpu = (self.TotalProcessorTime - cpu).TotalSeconds;
        if (hidden.FirstOrDefault(c => c.Method is not (CountMethod.CertifiedInterval or CountMethod.CubeHistogram or CountMethod.MeetInTheMiddle)) is Certificate odd)
        {
            throw new InvalidOperationException($"A hidden neuron was not certified from its sum's distribution: {odd}");
        }

        Certificate output = Certifier.Certify(network, OutputPreference(options), new CertifyOptions
        {
            ExactTimeBudget = TimeSpan.Zero, Samples = options.EstimateSamples, Confidence = 0.999, Seed = StudyRunner.CertificateSeed(seed),
        }, cancellationToken: cancellationToken);
        return new FullResolutionRun(training, fold, seedIndex, accuracy, balanced, majority,
            width, hidden.Count(c => c.Met), hidden.Count(c => c.Exact), width == 0 ? 0 : hidden.Max(c => c.Width ?? 0), width == 0 ? 0 : hidden.Max(c => c.Upper),
            width == 0 ? 0 : hidden.Average(c => c.Lower), width == 0 ? 0 : hidden.Average(c => c.Upper), width > 0 && hidden.Average(c => c.Upper) <= options.HiddenTarget, output.Fraction, output.Lower, output.Upper, output.Lower >= options.OutputTau,
            trainSeconds, certifySeconds, report.Selection, epochs, lastEpoch, trainSeconds - lastEpoch, trainCpu, certifyCpu);
    }

    /// <summary>The section of results.md: one row per training, with the command, machine and load it was measured under.</summary>
    public static string Report(FullResolutionState state, FullResolutionOptions options, string command, string machine)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(string.Create(c, $"## {TaskName}: MNIST \"0\" vs rest at full resolution (28×28 = 784 ternary inputs), 64 hidden tanh neurons"));
        text.AppendLine();
        text.AppendLine(string.Create(c,
            $"Same data, split and thresholds as mnist-0 (< 0.15 → -1, > 0.5 → +1) without downsampling; {options.Folds} folds × {options.Seeds} training seed; the folds one after the other, each training on {options.Threads} threads; Adam's step {options.LearningRate:0.####} (the main study's 0.01 saturates 784-input neurons). Constrained: every hidden neuron above {options.HiddenThreshold:0.##} on at most {options.HiddenTarget:P0} of the cube — 64 preferences, one per neuron, held by projection: a neuron's sum over the cube is symmetric about 0, so for a target of ½ the preference is exactly a bound on the neuron's bias (here b ≤ 0), clamped after every step without counting — and the output above 0.5 on at least τ = {options.OutputTau:0.##} of the cube (proxy-Lagrangian). Each hidden neuron's own preference is certified from the distribution of its sum over the 3^784 inputs (a certified interval: the rate lies in it, its width is the proved rounding bound, no samples); the output, behind the hidden layer, by a Clopper–Pearson estimate from {options.EstimateSamples:N0} samples (99.9%), labelled as such."));
        text.AppendLine();
        text.AppendLine(string.Create(c, $"Command: `{command}`; machine: {machine}."));
        text.AppendLine();
        text.AppendLine("| training | accuracy (mean ± sd) | Δ accuracy (95% interval) | balanced accuracy | majority rule | hidden neurons meeting their preference (≤ ½ above 0), each certified (all runs) | widest hidden interval | highest hidden neuron's rate above 0 (certified upper bound, all runs) | output above 0.5: estimated fraction (mean; lowest bound) | runs meeting output τ | time to train, all folds (epochs + final checks; processor time) | time to certify the 64 hidden neurons, per run (processor time) |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        List<FullResolutionRun> free = [.. state.Runs.Where(r => r.Training == Free).OrderBy(r => r.Fold).ThenBy(r => r.SeedIndex)];
        foreach (string training in Trainings)
        {
            List<FullResolutionRun> runs = [.. state.Runs.Where(r => r.Training == training).OrderBy(r => r.Fold).ThenBy(r => r.SeedIndex)];
            if (runs.Count == 0)
            {
                continue;
            }

            double mean = runs.Average(r => r.Accuracy);
            double sd = Math.Sqrt(runs.Sum(r => Math.Pow(r.Accuracy - mean, 2)) / Math.Max(1, runs.Count - 1));
            string delta = "—";
            if (training != Free && free.Count == runs.Count && runs.Count >= 2)
            {
                PairedInterval d = Statistics.CorrectedInterval([.. runs.Zip(free, (a, b) => a.Accuracy - b.Accuracy)], 1.0 / (options.Folds - 1));
                string body = string.Create(c, $"{d.Mean * 100:+0.0;−0.0;0.0} [{d.Lower * 100:+0.0;−0.0;0.0}, {d.Upper * 100:+0.0;−0.0;0.0}]");
                delta = d.Significant ? $"**{body}**" : body;
            }

            List<FullResolutionRun> certified = [.. runs.Where(r => r.HiddenNeurons > 0)];
            string some = certified.Count == runs.Count ? "" : $" ({certified.Count} of {runs.Count} runs certified)";
            string hiddenMet = certified.Count == 0 ? "not certified" : $"{certified.Sum(r => r.HiddenMet)}/{certified.Sum(r => r.HiddenNeurons)}{some}";
            string widest = certified.Count == 0 ? "—" : certified.Max(r => r.HiddenWidest).ToString("G2", c);
            string highest = certified.Count == 0 ? "—" : certified.Max(r => r.HiddenHighest).ToString("P4", c);
            string certifyTime = certified.Count == 0 ? "—" : string.Create(c, $"{certified.Average(r => r.CertifySeconds):F0} s ({certified.Average(r => r.CertifyCpuSeconds):F0} s)");
            string outputMet = training == Free ? "—" : $"{runs.Count(r => r.OutputMet)}/{runs.Count}";
            text.AppendLine(string.Create(c,
                $"| {training} | {mean:P1} ± {sd * 100:F1} | {delta} | {runs.Average(r => r.BalancedAccuracy):P1} | {runs.Average(r => r.Majority):P1} | {hiddenMet} | {widest} | {highest} | {runs.Average(r => r.OutputFraction):P1}; {runs.Min(r => r.OutputLower):P1} | {outputMet} | {runs.Sum(r => r.TrainSeconds):F0} s ({runs.Sum(r => r.EpochSeconds):F0} + {runs.Sum(r => r.FinishSeconds):F0} s; {runs.Sum(r => r.TrainCpuSeconds):F0} s) | {certifyTime} |"));
        }

        return text.ToString();
    }

    /// <summary>The load average (1, 5 and 15 minutes) where the system reports it.</summary>
    public static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Replaces the task's section of results.md (between its markers) or appends it.</summary>
    public static string Splice(string results, string section)
    {
        const string begin = "<!-- " + TaskName + " -->", end = "<!-- /" + TaskName + " -->";
        string block = begin + "\n" + section.TrimEnd() + "\n" + end + "\n";
        int from = results.IndexOf(begin, StringComparison.Ordinal), to = results.IndexOf(end, StringComparison.Ordinal);
        return from >= 0 && to > from
            ? results[..from] + block + results[(to + end.Length)..].TrimStart('\n')
            : results.TrimEnd() + "\n\n" + block;
    }

    private sealed class Progress(Action<EpochReport> handler) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => handler(value);
    }
}
