using System;
using System.Collections.Generic;
using System.Linq;

namespace GenBias;

public static partial class PreferenceTrainer
{
    /// <summary>One preference or reward's bookkeeping during a run.</summary>
    private sealed class Term
    {
        public Term(NetworkShape shape, Preference preference, TrainerOptions options)
        {
            Preference = preference;
            Layer = shape.Layers[preference.ResolveLayer(shape)];
            Offset = Layer.ActivationOffset;
            Neurons = preference.Neuron is int n ? [n] : [.. Enumerable.Range(0, Layer.Width)];
            (double lo, double hi) = preference.Bounds;
            // Aim inside the bounds by the margin (never past the other bound).
            AimLower = lo > 0 ? Math.Min(lo + options.TargetMargin, (lo + hi) / 2) : 0;
            AimUpper = hi < 1 ? Math.Max(hi - options.TargetMargin, (lo + hi) / 2) : 1;
            HalfCube = preference.Method == EnforcementMethod.Projection && HalfCubeProjection.Applies(shape, preference);
        }

        public Term(NetworkShape shape, ActivationReward reward)
        {
            Reward = reward;
            Layer = shape.Layers[reward.Layer < 0 ? shape.Layers.Length + reward.Layer : reward.Layer];
            Offset = Layer.ActivationOffset;
            Neurons = reward.Neuron is int n ? [n] : [.. Enumerable.Range(0, Layer.Width)];
        }

        public Preference? Preference { get; }

        public ActivationReward? Reward { get; }

        public LayerShape Layer { get; }

        /// <summary>Where the layer's activations start in a row of the training kernel's activations.</summary>
        public int Offset { get; set; }

        public int[] Neurons { get; }

        public double AimLower { get; }

        public double AimUpper { get; }

        public double LambdaLower { get; set; }

        public double LambdaUpper { get; set; }

        public List<double> Trace { get; } = [];

        public PreferenceDistribution Distribution => Preference?.Distribution ?? Reward!.Distribution;

        /// <summary>For <see cref="EnforcementMethod.Projection"/>: the bias range (grid units) found at the last refresh.</summary>
        public (long Low, long High)? ProjectionRange { get; set; }

        /// <summary>
        /// Whether the term is projected by <see cref="HalfCubeProjection"/>: met by proof where its neuron's bias lies in
        /// the closed-form range, so its estimates (one shared sample for all such terms) are clipped into its bounds.
        /// </summary>
        public bool HalfCube { get; }

        /// <summary>Whether per-epoch rates are counted exactly (decided once: it depends on the shape, not the values).</summary>
        public bool CountExactly { get; set; }

        public bool Enforced => Preference is null || Preference.Method != EnforcementMethod.Calibration;

        /// <summary>The fraction of (sample, neuron) pairs whose activation lies in the interval (kernel layout).</summary>
        public double TrueRate(ReadOnlySpan<float> activations, int samples, int stride) => (double)Hits(activations, samples, stride) / (samples * Neurons.Length);

        /// <summary>How many of the neurons' activations at the first <paramref name="samples"/> rows lie in the preference's interval.</summary>
        public long Hits(ReadOnlySpan<float> activations, int samples, int stride)
        {
            long hits = 0;
            ActivationInterval interval = Preference!.Interval;
            int[] neurons = Neurons;
            for (int s = 0; s < samples; s++)
            {
                foreach (int k in neurons)
                {
                    hits += interval.Contains(activations[(s * stride) + Offset + k]) ? 1 : 0;
                }
            }

            return hits;
        }
    }
}
