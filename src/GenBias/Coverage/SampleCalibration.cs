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
    /// the shift (0 if already met). With <paramref name="check"/>, the sample's rate is aimed further inside, so that
    /// an independent check of that size passes with its probability (<see cref="CalibrationMargin.RequiredHits"/>);
    /// without, a check of the same size as the sample passes about half the time.
    /// </summary>
    /// <exception cref="ArgumentException">The preference is not one calibration can serve (see <see cref="Preference.Validate"/>).</exception>
    /// <exception cref="InvalidOperationException">No shift reaches the target (for example a target of 1 for an open interval).</exception>
    public static float Calibrate(ITernaryNetwork network, Preference preference, int samples, double confidence, ulong seed,
        IndependentCheck? check = null)
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

        (long minHits, long maxHits) = CalibrationMargin.RequiredHits(preference, samples, confidence, check);
        if (minHits < 0)
        {
            (double lo, double hi) = preference.Bounds;
            throw new InvalidOperationException($"{preference}: no count out of {samples} samples has its {confidence:P0} interval inside [{lo}, {hi}]{(check is null ? "" : $" with room for a check of {check.Samples} samples passing with probability {check.PassProbability}")}; use more samples or a wider tolerance.");
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
}
