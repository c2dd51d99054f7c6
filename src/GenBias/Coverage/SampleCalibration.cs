using System;

namespace GenBias;

/// <summary>
/// Calibration of the output bias from a large sample: the smallest shift that makes the preference hold for the
/// whole confidence interval of the sampled rate. The exact counter (when it can count the cube) gives a
/// certificate instead; this is the estimate used where it cannot.
/// </summary>
public static class SampleCalibration
{
    /// <summary>
    /// Shifts the output bias of <paramref name="network"/> by the smallest amount for which the Clopper–Pearson
    /// interval of the rate over <paramref name="samples"/> fresh inputs lies within the preference's bounds; returns
    /// the shift (0 if already met).
    /// </summary>
    /// <exception cref="ArgumentException">The preference is not one calibration can serve (see <see cref="Preference.Validate"/>).</exception>
    /// <exception cref="InvalidOperationException">No shift reaches the target (for example a target of 1 for an open interval).</exception>
    public static float Calibrate(ITernaryNetwork network, Preference preference, int samples, double confidence, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        NetworkShape shape = network.Shape;
        var asCalibration = preference with { Method = EnforcementMethod.Calibration };
        asCalibration.Validate(shape);
        if (preference.Distribution == PreferenceDistribution.TrainingData)
        {
            throw new ArgumentException("Sample calibration draws from the cube or a product distribution, not the training data.", nameof(preference));
        }

        var random = new DeterministicRandom(seed);
        int n = shape.InputCount;
        sbyte[] inputs = new sbyte[samples * n];
        double[]? p = preference.Distribution == PreferenceDistribution.Product ? preference.InputProbabilities : null;
        for (int s = 0; s < samples; s++)
        {
            RateEstimator.Draw(random, p, inputs.AsSpan(s * n, n));
        }

        float[] parameters = network.Parameters.ToArray();
        int biasIndex = shape.OutputLayer.BiasIndex(0);
        float bias = parameters[biasIndex];
        float[] outputs = new float[samples];
        long Hits(float shift)
        {
            parameters[biasIndex] = bias + shift;
            network.SetParameters(parameters);
            network.ForwardBatch(inputs, outputs);
            long hits = 0;
            foreach (float y in outputs)
            {
                hits += preference.Interval.Contains(y) ? 1 : 0;
            }

            return hits;
        }

        (double lo, double hi) = preference.Bounds;
        long minHits = 0, maxHits = samples;
        if (lo > 0)
        {
            // The fewest hits whose lower bound reaches lo.
            minHits = SearchCount(samples, k => ClopperPearson.Interval(k, samples, confidence).Lower >= lo, smallest: true);
        }

        if (hi < 1)
        {
            maxHits = SearchCount(samples, k => ClopperPearson.Interval(k, samples, confidence).Upper <= hi, smallest: false);
        }

        if (minHits > maxHits || minHits < 0 || maxHits < 0)
        {
            throw new InvalidOperationException($"{preference}: no count out of {samples} samples has its {confidence:P0} interval inside [{lo}, {hi}]; use more samples or a wider tolerance.");
        }

        long current = Hits(0);
        if (current >= minHits && current <= maxHits)
        {
            network.SetParameters(WithBias(parameters, biasIndex, bias));
            return 0;
        }

        // Raising the bias raises a monotone activation: more hits for an interval above a value, fewer below.
        bool above = double.IsPositiveInfinity(preference.Interval.Upper);
        bool needMore = current < minHits;
        float direction = above == needMore ? 1f : -1f;
        bool Satisfied(float shift)
        {
            long hits = Hits(shift);
            return needMore ? hits >= minHits : hits <= maxHits;
        }

        float far = 1f / 1024;
        while (!Satisfied(direction * far))
        {
            far *= 2;
            if (far > 1e6f)
            {
                network.SetParameters(WithBias(parameters, biasIndex, bias));
                throw new InvalidOperationException($"{preference}: no shift of the output bias up to 1e6 reaches the target.");
            }
        }

        float near = far / 2 >= 1f / 1024 && !Satisfied(direction * far / 2) ? far / 2 : 0;
        for (int i = 0; i < 60 && far - near > Math.Max(1e-7f, far * 1e-7f); i++)
        {
            float mid = (near + far) / 2;
            if (Satisfied(direction * mid))
            {
                far = mid;
            }
            else
            {
                near = mid;
            }
        }

        float result = direction * far;
        float calibrated = bias + result;
        if (shape.Layers.Length == 1)
        {
            // The output is a first-layer neuron: keep its bias on the exact grid, rounding away from the old bias
            // (a larger shift still meets the target, the count being monotone in the bias).
            calibrated = (float)(direction > 0 ? FixedPointGrid.CeilingUnits(calibrated) : FixedPointGrid.FloorUnits(calibrated)) * FixedPointGrid.Step;
            result = calibrated - bias;
        }

        network.SetParameters(WithBias(parameters, biasIndex, calibrated));
        return result;
    }

    private static float[] WithBias(float[] parameters, int index, float value)
    {
        parameters[index] = value;
        return parameters;
    }

    /// <summary>The smallest (or largest) k in [0, n] with a monotone predicate true, or -1 if none.</summary>
    private static long SearchCount(long n, Func<long, bool> predicate, bool smallest)
    {
        long lo = 0, hi = n;
        if (smallest)
        {
            if (!predicate(n))
            {
                return -1;
            }

            while (lo < hi)
            {
                long mid = (lo + hi) / 2;
                if (predicate(mid))
                {
                    hi = mid;
                }
                else
                {
                    lo = mid + 1;
                }
            }

            return lo;
        }

        if (!predicate(0))
        {
            return -1;
        }

        while (lo < hi)
        {
            long mid = (lo + hi + 1) / 2;
            if (predicate(mid))
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }
}
