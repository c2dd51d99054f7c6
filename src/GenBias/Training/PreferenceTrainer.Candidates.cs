using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace GenBias;

public static partial class PreferenceTrainer
{
    private sealed partial class Run
    {
        /// <summary>Whether one output-bias shift can serve the preference (see <see cref="Preference.Validate"/>).</summary>
        private bool CanCalibrate(Preference preference) =>
            (preference with { Method = EnforcementMethod.Calibration }).Check(_shape).IsValid;

        /// <summary>
        /// <paramref name="parameters"/> with the output bias shifted by the smallest amount that meets the preference:
        /// exact where the cube is cheap to count, else from the Clopper–Pearson bound of the calibration's own sample
        /// stream; null where no shift reaches the target.
        /// </summary>
        private float[]? Calibrated(float[] parameters, Preference preference, CancellationToken cancellationToken)
        {
            _network.SetParameters(parameters);
            try
            {
                CalibrateOutputBias(preference, cancellationToken);
                return _network.Parameters.ToArray();
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }

        /// <summary>
        /// Each candidate's check of every enforced preference (an exact count, or the confidence bounds of samples no
        /// calibration or training step saw) and its scores on the validation rows (the training rows without
        /// validation); the chosen one is <see cref="Select"/>'s, or the model trained with the preferences if none met
        /// them (and false beside it).
        /// </summary>
        private (Candidate Chosen, bool Met, CandidateScore[] Scores) Choose(List<Candidate> candidates, Term[] enforced,
            CancellationToken cancellationToken)
        {
            TernaryDataset scoring = _validation ?? _train;
            var scores = new CandidateScore[candidates.Count];
            for (int i = 0; i < candidates.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                _network.SetParameters(candidates[i].Parameters);
                Dictionary<Term, (long Hits, long Trials)> halfCube = HalfCubeEstimates(_options.FinalSamples);
                bool met = enforced.All(t =>
                {
                    RateInterval interval = FinalRate(t, halfCube, cancellationToken).Interval;
                    return t.Preference!.IsMetBy(interval.Lower) && t.Preference.IsMetBy(interval.Upper);
                });
                Scores s = Measure(scoring);
                scores[i] = new CandidateScore(candidates[i].Description, met, s.Accuracy, s.BalancedAccuracy, s.Loss, s.OneAnswer);
            }

            return Select(scores, ResolvedMetric) is int chosen
                ? (candidates[chosen], true, scores)
                : (candidates.First(c => c.Description == "trained with its preferences"), false, scores);
        }

        /// <summary>
        /// The metric candidates are chosen by: the option's, or for <see cref="SelectionMetric.Automatic"/> balanced
        /// accuracy where the smaller class is under 40% of the training rows (accuracy would reward answering the larger
        /// class), else accuracy.
        /// </summary>
        private SelectionMetric ResolvedMetric => ResolveMetric(_options.SelectionMetric, _train);

        /// <summary>The network's scores on labelled rows at the run's decision threshold (the loss NaN unless <paramref name="withLoss"/>).</summary>
        private Scores Measure(TernaryDataset data, bool withLoss = true)
        {
            double loss = withLoss ? 0 : double.NaN;
            int truePositive = 0, trueNegative = 0, positives = 0, predicted = 0;
            float[] rented = ArrayPool<float>.Shared.Rent(data.Count);
            Span<float> outputs = rented.AsSpan(0, data.Count);
            // Rows in parts on the run's threads (each row's output has the bits of Forward wherever it runs).
            int width = data.InputCount;
            ForEachPart(data.Count, (from, to) => _network.ForwardBatch(data.Inputs.Slice(from * width, (to - from) * width), rented.AsSpan(from, to - from)));
            ReadOnlySpan<byte> labels = data.Labels;
            for (int r = 0; r < outputs.Length; r++)
            {
                bool positive = labels[r] == 1, answer = outputs[r] > _threshold;
                if (withLoss)
                {
                    loss += PreferenceTrainer.Loss(_options.Loss, _outputActivation, outputs[r], labels[r], _threshold).Loss;
                }

                positives += positive ? 1 : 0;
                predicted += answer ? 1 : 0;
                truePositive += positive && answer ? 1 : 0;
                trueNegative += !positive && !answer ? 1 : 0;
            }

            ArrayPool<float>.Shared.Return(rented);
            int negatives = data.Count - positives;
            // A class with no rows has nothing to recall: it counts as recalled, as in the balanced accuracy of one class.
            double balanced = ((positives == 0 ? 1 : (double)truePositive / positives) + (negatives == 0 ? 1 : (double)trueNegative / negatives)) / 2;
            return new Scores(loss / data.Count, (double)(truePositive + trueNegative) / data.Count, balanced, predicted, data.Count);
        }

        /// <summary>A model's scores on labelled rows.</summary>
        private readonly record struct Scores(double Loss, double Accuracy, double BalancedAccuracy, int PredictedPositive, int Count)
        {
            /// <summary>Whether the model gives the same answer on every row.</summary>
            public bool OneAnswer => PredictedPositive == 0 || PredictedPositive == Count;
        }

        /// <summary>
        /// Shifts the network's output bias by the smallest amount that meets <paramref name="preference"/>: exact where
        /// the cube is cheap to count, else from the calibration's own sample stream, aimed so that the final check
        /// (<see cref="FinalRate"/>: as many fresh samples, the same confidence) passes with
        /// <see cref="TrainerOptions.CalibrationPassProbability"/>.
        /// </summary>
        private float CalibrateOutputBias(Preference preference, CancellationToken cancellationToken) =>
            CoverageCounter.IsCheap(_network, preference)
                ? ExactCalibration.Calibrate(_network, preference, cancellationToken: cancellationToken).BiasShift
                : SampleCalibration.Calibrate(_network, preference, _options.FinalSamples, _options.Confidence, _calibration.NextUInt64(),
                    new IndependentCheck(_options.FinalSamples, _options.Confidence, _options.CalibrationPassProbability));

        /// <summary>
        /// The network's rate for a preference: over the training data exactly; over the cube by an exact count where
        /// cheap (meet in the middle for first-layer neurons, or a small cube); else a Clopper–Pearson interval at the
        /// run's confidence from fresh samples of the evaluation stream — for the <see cref="Term.HalfCube"/> terms one
        /// shared sample (<paramref name="halfCube"/>), clipped to what the closed form proves.
        /// </summary>
        private (RateInterval Interval, bool Exact) FinalRate(Term term, Dictionary<Term, (long Hits, long Trials)> halfCube,
            CancellationToken cancellationToken)
        {
            Preference p = term.Preference!;
            if (p.Distribution == PreferenceDistribution.TrainingData)
            {
                (long hits, long trials) = DataRate(term);
                double fraction = (double)hits / trials;
                return (new RateInterval(hits, trials, 1, fraction, fraction), true);
            }

            if (CoverageCounter.IsCheap(_network, p))
            {
                CountResult count = CoverageCounter.Count(_network, p, cancellationToken: cancellationToken);
                return (new RateInterval(count.Count, count.Total, 1, count.Fraction, count.Fraction), true);
            }

            if (halfCube.TryGetValue(term, out (long Hits, long Trials) shared))
            {
                RateInterval estimate = ClopperPearson.Interval(shared.Hits, shared.Trials, _options.Confidence);
                (_, double lower, double upper) = ClipToProof(term, estimate.Estimate, estimate.Lower, estimate.Upper);
                return (estimate with { Lower = lower, Upper = upper }, false);
            }

            (_, long h, long n) = EstimateRate(term, _options.FinalSamples);
            return (ClopperPearson.Interval(h, n, _options.Confidence), false);
        }

        /// <summary>Calibrates where asked, then measures every preference once more with its final interval.</summary>
        private List<PreferenceResult> Finish(CancellationToken cancellationToken)
        {
            var results = new List<PreferenceResult>();
            Dictionary<Term, (long Hits, long Trials)>? halfCube = null;
            foreach (Term term in _terms.Where(t => t.Preference is not null))
            {
                cancellationToken.ThrowIfCancellationRequested();
                Preference p = term.Preference!;
                float shift = 0;
                if (p.Method == EnforcementMethod.Calibration)
                {
                    shift = CalibrateOutputBias(p, cancellationToken);
                    _network.Parameters.CopyTo(_parameters);
                }

                // Hidden activations only: an output-bias calibration does not move them.
                halfCube ??= HalfCubeEstimates(_options.FinalSamples);
                (RateInterval interval, bool exact) = FinalRate(term, halfCube, cancellationToken);
                (double lo, double hi) = p.Bounds;
                bool met = interval.Lower >= lo && interval.Upper <= hi;
                results.Add(new PreferenceResult(p, interval, exact, met, shift, term.Trace));
            }

            return results;
        }
    }

    /// <summary>
    /// <paramref name="metric"/>, or for <see cref="SelectionMetric.Automatic"/> balanced accuracy where the smaller
    /// class is under 40% of <paramref name="train"/>'s rows (accuracy would reward answering the larger class), else
    /// accuracy.
    /// </summary>
    public static SelectionMetric ResolveMetric(SelectionMetric metric, TernaryDataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (metric != SelectionMetric.Automatic)
        {
            return metric;
        }

        int positives = train.PositiveCount;
        return Math.Min(positives, train.Count - positives) < 0.4 * train.Count ? SelectionMetric.BalancedAccuracy : SelectionMetric.Accuracy;
    }

    /// <summary>
    /// The index of the candidate the trainer returns among <paramref name="candidates"/>, or null if none met every
    /// preference: the best by <paramref name="metric"/> among those that did (then the lower loss, then the earlier
    /// candidate). One that gives one answer on every scoring row is passed over while a feasible one that separates
    /// them beats chance (balanced accuracy above ½, which any one-answer model scores exactly): the "positive
    /// everywhere" model a cube preference can push a calibration to wins on accuracy where most rows are positive,
    /// without classifying anything.
    /// </summary>
    public static int? Select(IReadOnlyList<CandidateScore> candidates, SelectionMetric metric)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        bool separating = candidates.Any(c => c.Met && !c.OneAnswer && c.BalancedAccuracy > 0.5);
        int? best = null;
        for (int i = 0; i < candidates.Count; i++)
        {
            CandidateScore c = candidates[i];
            if (!c.Met || (separating && c.OneAnswer))
            {
                continue;
            }

            if (best is not int b || c.Value(metric) > candidates[b].Value(metric)
                || (c.Value(metric) == candidates[b].Value(metric) && c.Loss < candidates[b].Loss))
            {
                best = i;
            }
        }

        return best;
    }
}
