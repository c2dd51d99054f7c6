using System;
using System.Collections.Generic;
using System.Threading;

namespace GenBias;

/// <summary>The outcome of <see cref="SampledCalibration.Calibrate"/>: an estimate, not a certificate.</summary>
/// <param name="BiasShift">New output bias minus the old one (0 if the sample already met the preference).</param>
/// <param name="Rate">The rate on the calibration's sample at the new bias, with its Clopper–Pearson interval: the whole interval meets the preference.</param>
public sealed record SampledCalibrationResult(float BiasShift, RateInterval Rate)
{
    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"output bias shifted by {BiasShift:G6}; estimated rate {Rate}");
}

/// <summary>
/// Calibration of the output bias from a sample of the cube, for networks whose cube is beyond exact counting: the
/// smallest shift (in adjacent floats) for which the Clopper–Pearson interval of the sampled rate lies within the
/// preference's bounds. Like <see cref="ExactCalibration"/> it computes each sample's output pre-activation before the
/// bias once, so every candidate bias costs a few binary searches instead of a pass over the sample.
/// </summary>
public static class SampledCalibration
{
    /// <summary>Shifts the output bias of <paramref name="network"/>; returns the shift and the sample's rate there.</summary>
    /// <param name="network">The network; its output bias is changed in place (unchanged if this throws).</param>
    /// <param name="preference">A preference on the single output neuron, over the cube or a product distribution.</param>
    /// <param name="samples">Inputs drawn (seeded) from the preference's distribution.</param>
    /// <param name="confidence">The confidence of the interval.</param>
    /// <param name="seed">The seed of the sample.</param>
    /// <param name="progress">Fraction of the sample evaluated (0 to 1).</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <exception cref="ArgumentException">The preference is not one calibration can serve.</exception>
    /// <exception cref="InvalidOperationException">No shift reaches the target with this many samples.</exception>
    public static SampledCalibrationResult Calibrate(ITernaryNetwork network, Preference preference, int samples, double confidence, ulong seed,
        IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        NetworkShape shape = network.Shape;
        (preference with { Method = EnforcementMethod.Calibration }).Validate(shape);
        if (preference.Distribution == PreferenceDistribution.TrainingData)
        {
            throw new ArgumentException("Sampled calibration draws from the cube or a product distribution, not the training data.", nameof(preference));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        float[] parameters = network.Parameters.ToArray();
        int biasIndex = shape.OutputLayer.BiasIndex(0);
        float original = parameters[biasIndex];

        // Each sample's pre-activation with the output bias +0 is fl(s + 0) = s (−0 aside, which no bias tells apart).
        float[] zeroBias = (float[])parameters.Clone();
        zeroBias[biasIndex] = 0f;
        var random = new DeterministicRandom(seed);
        double[]? p = preference.Distribution == PreferenceDistribution.Product ? preference.InputProbabilities : null;
        int n = shape.InputCount;
        sbyte[] input = new sbyte[n];
        float[] x = new float[n];
        float[] pre = new float[shape.ActivationCount], act = new float[shape.ActivationCount];
        long[] keys = new long[samples];
        int outputAt = shape.OutputLayer.ActivationOffset;
        for (int s = 0; s < samples; s++)
        {
            if ((s & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report((double)s / samples);
            }

            RateEstimator.Draw(random, p, input);
            TernaryInput.ToFloats(input, x);
            ReferenceNetwork.ForwardScalar(shape, zeroBias, x, pre, act);
            float sum = pre[outputAt];
            if (float.IsNaN(sum))
            {
                throw new InvalidOperationException($"{preference}: the output's pre-activation is NaN for a sampled input; no bias can be calibrated.");
            }

            keys[s] = NeuronMembership.Ordered(sum);
        }

        progress?.Report(1);
        Array.Sort(keys);
        List<(long Low, long High)> members = NeuronMembership.FloatMembers(shape.OutputLayer.Activation, preference.Interval);
        long Hits(long step)
        {
            float bias = ExactCalibration.BiasAt(original, step);
            long hits = 0;
            foreach ((long zLow, long zHigh) in members)
            {
                (long first, long last) = ExactCalibration.KeysInto(bias, zLow, zHigh);
                if (first <= last)
                {
                    hits += UpperBound(keys, last) - UpperBound(keys, first - 1);
                }
            }

            return hits;
        }

        (double lo, double hi) = preference.Bounds;
        bool Inside(long k) => ClopperPearson.Interval(k, samples, confidence) is { } r && r.Lower >= lo && r.Upper <= hi;
        long current = Hits(0);
        long far = 0;
        if (!Inside(current))
        {
            bool above = double.IsPositiveInfinity(preference.Interval.Upper);
            bool needMore = ClopperPearson.Interval(current, samples, confidence).Lower < lo;
            long direction = above == needMore ? 1 : -1;
            far = ExactCalibration.FirstMeeting(step => Inside(Hits(step)), 0, (int)direction, direction * (1L << 31))
                ?? throw new InvalidOperationException($"{preference}: no output bias within reach puts the {confidence:P1} interval of {samples:N0} samples inside [{lo}, {hi}]; use more samples or a wider tolerance.");
        }

        float calibrated = ExactCalibration.BiasAt(original, far);
        parameters[biasIndex] = calibrated;
        network.SetParameters(parameters);
        return new SampledCalibrationResult(calibrated - original, ClopperPearson.Interval(Hits(far), samples, confidence));
    }

    /// <summary>How many of the sorted <paramref name="keys"/> are at most <paramref name="key"/>.</summary>
    private static long UpperBound(long[] keys, long key)
    {
        int lo = 0, hi = keys.Length;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) / 2);
            if (keys[mid] <= key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

}
