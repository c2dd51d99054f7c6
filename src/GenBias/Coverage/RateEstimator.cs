using System;

namespace GenBias;

/// <summary>
/// Estimates a preference's rate over the cube or a product distribution from fresh samples, with a Clopper–Pearson
/// interval: the method where exact counting is out of reach.
/// </summary>
public static class RateEstimator
{
    /// <summary>Draws <paramref name="samples"/> inputs (seeded) and returns the rate of the preference's neurons meeting its interval.</summary>
    public static RateInterval Estimate(ITernaryNetwork network, Preference preference, int samples, double confidence, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        preference.Validate(network.Shape);
        if (preference.Distribution == PreferenceDistribution.TrainingData)
        {
            throw new ArgumentException("A rate over the training data is counted on the data, not estimated by sampling.", nameof(preference));
        }

        if (samples < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least one sample.");
        }

        NetworkShape shape = network.Shape;
        LayerShape layer = shape.Layers[preference.ResolveLayer(shape)];
        var random = new DeterministicRandom(seed);
        sbyte[] input = new sbyte[shape.InputCount];
        float[] activations = new float[shape.ActivationCount];
        double[]? p = preference.Distribution == PreferenceDistribution.Product ? preference.InputProbabilities : null;
        long hits = 0, trials = 0;
        for (int s = 0; s < samples; s++)
        {
            Draw(random, p, input);
            network.ForwardActivations(input, activations);
            for (int k = preference.Neuron ?? 0; k < (preference.Neuron is int n ? n + 1 : layer.Width); k++)
            {
                hits += preference.Interval.Contains(activations[layer.ActivationOffset + k]) ? 1 : 0;
                trials++;
            }
        }

        return ClopperPearson.Interval(hits, trials, confidence);
    }

    /// <summary>One input from the uniform cube (<paramref name="probabilities"/> null) or a product distribution.</summary>
    public static void Draw(DeterministicRandom random, double[]? probabilities, Span<sbyte> input)
    {
        ArgumentNullException.ThrowIfNull(random);
        for (int i = 0; i < input.Length; i++)
        {
            if (probabilities is null)
            {
                input[i] = (sbyte)(random.Next(3) - 1);
            }
            else
            {
                int at = probabilities.Length == 3 ? 0 : 3 * i;
                double u = random.NextDouble();
                input[i] = u < probabilities[at] ? (sbyte)-1 : u < probabilities[at] + probabilities[at + 1] ? (sbyte)0 : (sbyte)1;
            }
        }
    }
}
