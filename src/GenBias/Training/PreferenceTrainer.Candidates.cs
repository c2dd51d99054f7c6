using System;
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
        /// The candidate with the best validation accuracy (then the lower validation loss) among those meeting every
        /// enforced preference by an exact count or by the confidence bounds of samples no calibration or training step
        /// saw; the model trained with the preferences if none does (and false beside it).
        /// </summary>
        private (Candidate Chosen, bool Met) Choose(List<Candidate> candidates, Term[] enforced, CancellationToken cancellationToken)
        {
            TernaryDataset scoring = _validation ?? _train;
            Candidate? chosen = null;
            double bestAccuracy = double.NegativeInfinity, bestLoss = double.PositiveInfinity;
            foreach (Candidate candidate in candidates)
            {
                cancellationToken.ThrowIfCancellationRequested();
                _network.SetParameters(candidate.Parameters);
                bool feasible = enforced.All(t =>
                {
                    RateInterval interval = FinalRate(t, cancellationToken).Interval;
                    return t.Preference!.IsMetBy(interval.Lower) && t.Preference.IsMetBy(interval.Upper);
                });
                if (!feasible)
                {
                    continue;
                }

                (double loss, double accuracy) = LossAndAccuracy(scoring);
                if (accuracy > bestAccuracy || (accuracy == bestAccuracy && loss < bestLoss))
                {
                    (chosen, bestAccuracy, bestLoss) = (candidate, accuracy, loss);
                }
            }

            return chosen is null ? (candidates.First(c => c.Description == "trained with its preferences"), false) : (chosen, true);
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
        /// run's confidence from fresh samples of the evaluation stream.
        /// </summary>
        private (RateInterval Interval, bool Exact) FinalRate(Term term, CancellationToken cancellationToken)
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

            (_, long h, long n) = EstimateRate(term, _options.FinalSamples);
            return (ClopperPearson.Interval(h, n, _options.Confidence), false);
        }

        /// <summary>Calibrates where asked, then measures every preference once more with its final interval.</summary>
        private List<PreferenceResult> Finish(CancellationToken cancellationToken)
        {
            var results = new List<PreferenceResult>();
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

                (RateInterval interval, bool exact) = FinalRate(term, cancellationToken);
                (double lo, double hi) = p.Bounds;
                bool met = interval.Lower >= lo && interval.Upper <= hi;
                results.Add(new PreferenceResult(p, interval, exact, met, shift, term.Trace));
            }

            return results;
        }
    }
}
