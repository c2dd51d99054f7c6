using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using GenBias;

namespace ClassificationStudy;

/// <summary>Writes the study's markdown table and PNG plots.</summary>
public static class Report
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>
    /// The markdown table: one row per cell, tasks in order. Deterministic: the same commit writes the same table on
    /// any machine (timings go to <see cref="Timings"/>).
    /// </summary>
    public static string Table(IReadOnlyList<StudyTask> tasks, StudyState state, StudyOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Create(C,
            $"Every cell is {options.Folds} folds × {options.Seeds} training seeds; Δ is the paired difference from the free network of the same fold and seed, with its 95% corrected resampled t interval (Nadeau–Bengio, repeated k-fold form: variance × (1/J + 1/(k − 1)), t with J − 1 degrees of freedom); an interval that leaves out 0 is in bold."));
        text.AppendLine();
        text.AppendLine("| task | model | training | τ | accuracy (mean ± sd over runs) | Δ accuracy (95% interval) | balanced accuracy | Δ balanced (95% interval) | majority rule | cube above 0.5: certified fraction (mean; lowest bound) | certificate | runs meeting τ | one-answer runs | returned |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach ((StudyTask task, Model model, CellResult cell, string tau) in Rows(tasks, state, options))
        {
            string certificate = cell.Variant == Variant.Composed && !cell.AllExact ? "union bound"
                : cell.AllExact ? "exact" : cell.Folds.Any(f => f.Exact) ? "exact/estimated" : "estimated (99.9%)";
            string met = cell.Tau is null ? "—" : $"{cell.FoldsMet}/{cell.Folds.Count}";
            string below = cell.MeanAccuracy < cell.MeanMajority ? " **below the majority rule**" : "";
            CellResult? free = FreeCell(state, cell);
            string delta = Delta(cell, free, options, f => f.Accuracy), deltaBalanced = Delta(cell, free, options, f => f.BalancedAccuracy);
            string oneAnswer = cell.OneAnswerRuns == 0 ? "0" : $"**{cell.OneAnswerRuns}**";
            text.AppendLine(string.Create(C,
                $"| {task.Name} | {Name(model)} | {Name(cell.Variant)} | {tau} | {cell.MeanAccuracy:P1} ± {cell.AccuracySpread * 100:F1}{below} | {delta} | {cell.MeanBalanced:P1} | {deltaBalanced} | {cell.MeanMajority:P1} | {cell.MeanCertified:P1}; {cell.MinCertifiedLower:P1} | {certificate} | {met} | {oneAnswer} | {Returned(cell)} |"));
        }

        return text.ToString();
    }

    /// <summary>
    /// Mean accuracy by τ, one column per τ, one row per task, model and training; each entry with its Δ interval
    /// against the free network and, where not every run met τ, the runs that did.
    /// </summary>
    public static string Summary(IReadOnlyList<StudyTask> tasks, StudyState state, StudyOptions options)
    {
        var text = new StringBuilder();
        text.Append("| task | model | training | no preference |");
        text.AppendJoin("", options.Taus.Select(t => string.Create(C, $" τ = {t:0.##} |")));
        text.AppendLine();
        text.Append("|---|---|---|---|");
        text.AppendJoin("", options.Taus.Select(_ => "---|"));
        text.AppendLine();
        foreach (StudyTask task in tasks)
        {
            foreach (Model model in options.Models)
            {
                CellResult? free = state.Cells.GetValueOrDefault(CellResult.CellKey(task.Name, model, Variant.Free, null));
                foreach (Variant variant in options.Variants.Where(v => v != Variant.Free && StudyRunner.Applies(v, model)))
                {
                    text.Append(string.Create(C, $"| {task.Name} | {Name(model)} | {Name(variant)} | {(free is null ? "—" : $"{free.MeanAccuracy:P1}")} |"));
                    foreach (double tau in options.Taus)
                    {
                        if (!state.Cells.TryGetValue(CellResult.CellKey(task.Name, model, variant, tau), out CellResult? cell))
                        {
                            text.Append(" — |");
                            continue;
                        }

                        string met = cell.FoldsMet == cell.Folds.Count ? "" : $", met {cell.FoldsMet}/{cell.Folds.Count}";
                        string one = cell.OneAnswerRuns == 0 ? "" : $", one answer {cell.OneAnswerRuns}";
                        text.Append(string.Create(C, $" {cell.MeanAccuracy:P1} ({Delta(cell, free, options, f => f.Accuracy)}){met}{one} |"));
                    }

                    text.AppendLine();
                }
            }
        }

        return text.ToString();
    }

    /// <summary>Every run of every cell, one CSV line each (fold-major): the per-fold values behind the tables.</summary>
    public static string Runs(IReadOnlyList<StudyTask> tasks, StudyState state, StudyOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine("task,model,training,tau,fold,seed,accuracy,balanced_accuracy,majority,certified_fraction,certified_lower,exact,met,one_answer,returned");
        foreach ((StudyTask task, Model model, CellResult cell, string tau) in Rows(tasks, state, options))
        {
            foreach (FoldResult f in cell.Folds)
            {
                text.AppendLine(string.Create(C,
                    $"{task.Name},{Name(model)},{Name(cell.Variant)},{tau},{f.Fold},{f.SeedIndex},{f.Accuracy:R},{f.BalancedAccuracy:R},{f.Majority:R},{f.CertifiedFraction:R},{f.CertifiedLower:R},{f.Exact},{f.Met},{f.OneAnswer},\"{f.Selection}\""));
            }
        }

        return text.ToString();
    }

    /// <summary>The free cell of the same task and model (null for a free cell itself).</summary>
    private static CellResult? FreeCell(StudyState state, CellResult cell) => cell.Variant == Variant.Free
        ? null
        : state.Cells.GetValueOrDefault(CellResult.CellKey(cell.Task, cell.Model, Variant.Free, null));

    /// <summary>The paired difference from the free cell (same fold, same seed) with its corrected interval, in points.</summary>
    private static string Delta(CellResult cell, CellResult? free, StudyOptions options, Func<FoldResult, double> score)
    {
        if (free is null || free.Folds.Count != cell.Folds.Count || cell.Folds.Count < 2)
        {
            return "—";
        }

        double[] differences = [.. cell.Folds.Zip(free.Folds, (c, f) => score(c) - score(f))];
        PairedInterval interval = Statistics.CorrectedInterval(differences, 1.0 / (options.Folds - 1));
        string text = string.Create(C, $"{interval.Mean * 100:+0.0;−0.0;0.0} [{interval.Lower * 100:+0.0;−0.0;0.0}, {interval.Upper * 100:+0.0;−0.0;0.0}]");
        return interval.Significant ? $"**{text}**" : text;
    }

    /// <summary>Every finished cell in table order, with its task, model and τ as written.</summary>
    private static IEnumerable<(StudyTask Task, Model Model, CellResult Cell, string Tau)> Rows(IReadOnlyList<StudyTask> tasks, StudyState state, StudyOptions options) =>
        from task in tasks
        from model in options.Models
        from cell in Cells(state, task.Name, model, options)
        select (task, model, cell, cell.Tau is double t ? t.ToString("0.##", C) : "—");

    /// <summary>Which candidate the trainer returned in each fold (preference over the cube, or projected), counted.</summary>
    private static string Returned(CellResult cell) => cell.Variant is not (Variant.Cube or Variant.Projection or Variant.Penalty or Variant.Composed)
        ? "—"
        : string.Join(", ", cell.Folds.GroupBy(f => f.Selection switch
        {
            "the free network, output bias calibrated" => "free+shift",
            "trained, output bias calibrated" => "trained+shift",
            "trained with its preferences" => "trained",
            string other => other,
        }).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));

    /// <summary>Training seconds per cell (mean over folds): machine-dependent, so kept out of the table.</summary>
    public static string Timings(IReadOnlyList<StudyTask> tasks, StudyState state, StudyOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine("| task | model | training | τ | train s (mean over folds) |");
        text.AppendLine("|---|---|---|---|---|");
        foreach ((StudyTask task, Model model, CellResult cell, string tau) in Rows(tasks, state, options))
        {
            text.AppendLine(string.Create(C, $"| {task.Name} | {Name(model)} | {Name(cell.Variant)} | {tau} | {cell.MeanSeconds:F2} |"));
        }

        return text.ToString();
    }

    /// <summary>The cells of one task and model in table order (free first, then each variant by τ).</summary>
    public static IEnumerable<CellResult> Cells(StudyState state, string task, Model model, StudyOptions options)
    {
        foreach (Variant variant in options.Variants)
        {
            IEnumerable<double?> taus = variant == Variant.Free ? [null] : options.Taus.Select(t => (double?)t);
            foreach (double? tau in taus)
            {
                if (state.Cells.TryGetValue(CellResult.CellKey(task, model, variant, tau), out CellResult? cell))
                {
                    yield return cell;
                }
            }
        }
    }

    /// <summary>Per task: accuracy against τ, and the certified fraction against τ. Returns the files written.</summary>
    public static List<string> Plots(IReadOnlyList<StudyTask> tasks, StudyState state, StudyOptions options, string folder)
    {
        var files = new List<string>();
        foreach (StudyTask task in tasks)
        {
            var accuracy = new ScottPlot.Plot();
            var certified = new ScottPlot.Plot();
            foreach (Model model in options.Models)
            {
                foreach (Variant variant in options.Variants.Where(v => v != Variant.Free))
                {
                    CellResult[] cells = [.. Cells(state, task.Name, model, options).Where(c => c.Variant == variant)];
                    if (cells.Length == 0)
                    {
                        continue;
                    }

                    double[] taus = [.. cells.Select(c => c.Tau!.Value)];
                    var line = accuracy.Add.Scatter(taus, [.. cells.Select(c => c.MeanAccuracy)]);
                    line.LegendText = $"{Name(model)}, {Name(variant)}";
                    line.LinePattern = model == Model.Neuron ? ScottPlot.LinePattern.Solid : ScottPlot.LinePattern.Dashed;
                    var fraction = certified.Add.Scatter(taus, [.. cells.Select(c => c.MeanCertified)]);
                    fraction.LegendText = line.LegendText;
                    fraction.LinePattern = line.LinePattern;
                    fraction.Color = line.Color;
                }

                CellResult? free = Cells(state, task.Name, model, options).FirstOrDefault(c => c.Variant == Variant.Free);
                if (free is not null)
                {
                    var baseline = accuracy.Add.HorizontalLine(free.MeanAccuracy);
                    baseline.LegendText = $"{Name(model)}, no preference";
                    baseline.LinePattern = ScottPlot.LinePattern.Dotted;
                    baseline.Color = model == Model.Neuron ? ScottPlot.Colors.Black : ScottPlot.Colors.Gray;
                }
            }

            CellResult? any = options.Models.SelectMany(m => Cells(state, task.Name, m, options)).FirstOrDefault();
            if (any is not null)
            {
                // The trivial rule: always the training folds' majority class.
                var majority = accuracy.Add.HorizontalLine(any.MeanMajority);
                majority.LegendText = "majority rule (always the larger class)";
                majority.LinePattern = ScottPlot.LinePattern.Dashed;
                majority.Color = ScottPlot.Colors.Red;
            }

            double[] grid = [.. options.Taus];
            var diagonal = certified.Add.Scatter(grid, grid);
            diagonal.LegendText = "required: τ";
            diagonal.Color = ScottPlot.Colors.Black;
            diagonal.LinePattern = ScottPlot.LinePattern.Dotted;

            accuracy.Title($"{task.Name}: {task.Description} — test accuracy");
            accuracy.XLabel("τ: required fraction of all 3^n inputs with output > 0.5");
            accuracy.YLabel("accuracy (mean over folds)");
            accuracy.ShowLegend(ScottPlot.Alignment.LowerLeft);
            certified.Title($"{task.Name}: fraction of the cube with output > 0.5");
            certified.XLabel("τ");
            certified.YLabel("certified fraction (mean over folds)");
            certified.ShowLegend(ScottPlot.Alignment.UpperLeft);
            foreach ((ScottPlot.Plot plot, string suffix) in new[] { (accuracy, "accuracy"), (certified, "certified") })
            {
                string path = Path.Combine(folder, $"{task.Name}-{suffix}.png");
                AtomicFile.Write(path, plot.GetImageBytes(900, 560, ScottPlot.ImageFormat.Png));
                files.Add(path);
            }
        }

        return files;
    }

    public static string Name(Model model) => model == Model.Neuron ? "1 neuron" : $"{Networks.Width(model)} hidden";

    /// <summary>
    /// The capacity curve: accuracy against the hidden width (0 = one neuron), without the preference and at
    /// τ = <paramref name="tau"/>, one line each per task, the majority rule dashed. Returns the table and writes the plot.
    /// </summary>
    public static string Capacity(IReadOnlyList<StudyTask> tasks, StudyState state, StudyOptions options, double tau, string plotPath)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Create(C, $"| task | hidden width | no preference | τ = {tau:0.##} over the cube | balanced accuracy at τ | folds meeting τ | majority rule |"));
        text.AppendLine("|---|---|---|---|---|---|---|");
        var plot = new ScottPlot.Plot();
        foreach (StudyTask task in tasks)
        {
            var widths = new List<double>();
            var free = new List<double>();
            var constrained = new List<double>();
            double majority = 0;
            foreach (Model model in options.Models.OrderBy(Networks.Width))
            {
                if (!state.Cells.TryGetValue(CellResult.CellKey(task.Name, model, Variant.Free, null), out CellResult? f) ||
                    !state.Cells.TryGetValue(CellResult.CellKey(task.Name, model, Variant.Cube, tau), out CellResult? c))
                {
                    continue;
                }

                widths.Add(Networks.Width(model));
                free.Add(f.MeanAccuracy);
                constrained.Add(c.MeanAccuracy);
                majority = f.MeanMajority;
                text.AppendLine(string.Create(C,
                    $"| {task.Name} | {Networks.Width(model)} | {f.MeanAccuracy:P1} | {c.MeanAccuracy:P1}{(c.MeanAccuracy < c.MeanMajority ? " **below the majority rule**" : "")} | {c.MeanBalanced:P1} | {c.FoldsMet}/{c.Folds.Count} | {f.MeanMajority:P1} |"));
            }

            var freeLine = plot.Add.Scatter(widths.ToArray(), free.ToArray());
            freeLine.LegendText = $"{task.Name}, no preference";
            freeLine.LinePattern = ScottPlot.LinePattern.Dotted;
            var tauLine = plot.Add.Scatter(widths.ToArray(), constrained.ToArray());
            tauLine.LegendText = string.Create(C, $"{task.Name}, τ = {tau:0.##} over the cube");
            tauLine.Color = freeLine.Color;
            var rule = plot.Add.HorizontalLine(majority);
            rule.LegendText = $"{task.Name}, majority rule";
            rule.LinePattern = ScottPlot.LinePattern.Dashed;
            rule.Color = freeLine.Color;
        }

        plot.Title(string.Create(C, $"How much capacity makes τ = {tau:0.##} free"));
        plot.XLabel("hidden width (0 = one neuron)");
        plot.YLabel("test accuracy (mean over folds)");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        AtomicFile.Write(plotPath, plot.GetImageBytes(900, 560, ScottPlot.ImageFormat.Png));
        return text.ToString();
    }

    public static string Name(Variant variant) => variant switch
    {
        Variant.Free => "no preference",
        Variant.Cube => "preference over the cube",
        Variant.Data => "preference over the data",
        Variant.Projection => "projection (exact)",
        Variant.Penalty => "penalty over the cube",
        Variant.Composed => "free + far from the data ⇒ positive",
        _ => "output bias shifted",
    };
}
