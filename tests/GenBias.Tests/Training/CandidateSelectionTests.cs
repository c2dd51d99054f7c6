using System;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Tests.Training;

/// <summary>The trainer chooses among its candidates by the metric asked for, and not the one-answer model while a separating one beats chance.</summary>
public class CandidateSelectionTests(ITestOutputHelper output)
{
    private static CandidateScore Score(string name, bool met, double accuracy, double balanced, double loss, bool oneAnswer = false) =>
        new(name, met, accuracy, balanced, loss, oneAnswer);

    [Fact]
    public void Select_takes_the_best_feasible_candidate_by_the_metric_then_the_lower_loss()
    {
        CandidateScore[] candidates =
        [
            Score("a", met: true, accuracy: 0.80, balanced: 0.75, loss: 0.40),
            Score("b", met: true, accuracy: 0.85, balanced: 0.70, loss: 0.45),
            Score("c", met: false, accuracy: 0.95, balanced: 0.95, loss: 0.10),
            Score("d", met: true, accuracy: 0.85, balanced: 0.60, loss: 0.35),
        ];
        Assert.Equal(3, PreferenceTrainer.Select(candidates, SelectionMetric.Accuracy));          // 0.85 tie: d's loss is lower
        Assert.Equal(0, PreferenceTrainer.Select(candidates, SelectionMetric.BalancedAccuracy));
        Assert.Equal(3, PreferenceTrainer.Select(candidates, SelectionMetric.Loss));               // c is infeasible
        Assert.Null(PreferenceTrainer.Select([.. candidates.Select(c => c with { Met = false })], SelectionMetric.Accuracy));
    }

    [Fact]
    public void Select_passes_over_the_one_answer_candidate_while_a_separating_one_beats_chance()
    {
        // 90% positive rows: "positive everywhere" scores 0.90 accuracy and exactly 0.5 balanced accuracy.
        CandidateScore everywhere = Score("the free network, output bias calibrated", true, 0.90, 0.5, 0.30, oneAnswer: true);
        CandidateScore separating = Score("trained with its preferences", true, 0.86, 0.72, 0.35);
        Assert.Equal(1, PreferenceTrainer.Select([everywhere, separating], SelectionMetric.Accuracy));
        Assert.Equal(1, PreferenceTrainer.Select([everywhere, separating], SelectionMetric.Loss));

        // What the data wants: no feasible separating candidate beats chance, so the one-answer model may win.
        CandidateScore worseThanChance = separating with { Accuracy = 0.6, BalancedAccuracy = 0.45 };
        Assert.Equal(0, PreferenceTrainer.Select([everywhere, worseThanChance], SelectionMetric.Accuracy));
        // An infeasible separating candidate does not pass it over either.
        Assert.Equal(0, PreferenceTrainer.Select([everywhere, separating with { Met = false }], SelectionMetric.Accuracy));
    }

    [Fact]
    public void Automatic_is_balanced_accuracy_where_the_smaller_class_is_under_40_percent()
    {
        TernaryDataset Rows(int positives, int negatives) => TernaryDataset.FromArrays(
            [.. Enumerable.Range(0, positives + negatives).Select(i => new sbyte[] { (sbyte)((i % 3) - 1) })],
            [.. Enumerable.Range(0, positives + negatives).Select(i => i < positives ? 1 : 0)]);
        Assert.Equal(SelectionMetric.BalancedAccuracy, PreferenceTrainer.ResolveMetric(SelectionMetric.Automatic, Rows(39, 61)));
        Assert.Equal(SelectionMetric.BalancedAccuracy, PreferenceTrainer.ResolveMetric(SelectionMetric.Automatic, Rows(90, 10)));
        Assert.Equal(SelectionMetric.Accuracy, PreferenceTrainer.ResolveMetric(SelectionMetric.Automatic, Rows(40, 60)));
        Assert.Equal(SelectionMetric.Accuracy, PreferenceTrainer.ResolveMetric(SelectionMetric.Automatic, Rows(50, 50)));
        Assert.Equal(SelectionMetric.Loss, PreferenceTrainer.ResolveMetric(SelectionMetric.Loss, Rows(90, 10)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainerOptions { SelectionMetric = (SelectionMetric)9 }.Validate());
    }

    [Theory]
    [InlineData(SelectionMetric.Automatic)]
    [InlineData(SelectionMetric.Accuracy)]
    [InlineData(SelectionMetric.Loss)]
    public void A_run_reports_every_candidate_and_returns_the_one_Select_picks_with_the_scores_it_reports(SelectionMetric metric)
    {
        // About a fifth of the rows positive: Automatic resolves to balanced accuracy.
        TernaryDataset data = SeedProblem.Data(600, seed: 3);
        var network = new SeedHidden();
        var options = new TrainerOptions { Epochs = 4, Seed = 9, SelectionMetric = metric, Preferences = [Preference.OutputAbove(0.5, 0.6)] };
        TrainingReport report = PreferenceTrainer.Train(network, data, options);
        output.WriteLine(report.ToString());
        foreach (CandidateScore c in report.CandidateScores)
        {
            output.WriteLine($"  {c}");
        }

        SelectionMetric resolved = metric == SelectionMetric.Automatic ? SelectionMetric.BalancedAccuracy : metric;
        Assert.Equal(resolved, report.SelectedBy);
        Assert.Equal(report.Candidates, report.CandidateScores.Count);
        Assert.True(report.CandidateScores.Count >= 2, "the free baseline adds candidates");
        int? chosen = PreferenceTrainer.Select(report.CandidateScores, resolved);
        Assert.Equal(report.CandidateMet, chosen is not null);
        Assert.NotNull(chosen);
        Assert.Equal(report.CandidateScores[chosen!.Value].Description, report.Selection);

        // The oracle: the returned network's scores on the validation rows, recomputed here.
        (_, TernaryDataset validation) = data.Split(1 - options.ValidationFraction, options.Seed ^ 0x5EEDUL);
        float[] outputs = new float[validation.Count];
        network.ForwardBatch(validation.Inputs, outputs);
        int tp = 0, tn = 0, positives = validation.PositiveCount, predicted = 0;
        for (int r = 0; r < validation.Count; r++)
        {
            bool answer = outputs[r] > 0f;
            predicted += answer ? 1 : 0;
            tp += answer && validation.Labels[r] == 1 ? 1 : 0;
            tn += !answer && validation.Labels[r] == 0 ? 1 : 0;
        }

        CandidateScore reported = report.CandidateScores[chosen.Value];
        Assert.Equal((double)(tp + tn) / validation.Count, reported.Accuracy, 12);
        Assert.Equal((((double)tp / positives) + ((double)tn / (validation.Count - positives))) / 2, reported.BalancedAccuracy, 12);
        Assert.Equal(reported.Accuracy, report.ValidationAccuracy, 12);
        Assert.Equal(predicted == 0 || predicted == validation.Count, report.AnswersOneClass);
        Assert.Equal(reported.OneAnswer, report.AnswersOneClass);
    }
}
