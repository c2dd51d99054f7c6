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
        /// <summary>Whether <see cref="Coefficient"/> of the term reads the samples' activations (a penalty's size depends on the surrogate rate).</summary>
        private static bool NeedsRate(Term term) => term.Reward is null && term.Preference!.Method != EnforcementMethod.ProxyLagrangian;

        /// <summary>dLoss/d(surrogate rate) for a preference; for a reward, the reward weight (its sign handled in AddTermGradient).</summary>
        private double Coefficient(Term term, ReadOnlySpan<float> activations, int samples, int stride)
        {
            if (term.Reward is not null)
            {
                return term.Reward.Weight;
            }

            Preference p = term.Preference!;
            if (p.Method == EnforcementMethod.ProxyLagrangian)
            {
                // loss + λ_lo (aimLo − r̃) + λ_hi (r̃ − aimHi): the derivative with respect to r̃.
                return -term.LambdaLower + term.LambdaUpper;
            }

            // Penalty: μ (max(0, aimLo − r̃)² + max(0, r̃ − aimHi)²).
            double surrogate = 0;
            for (int s = 0; s < samples; s++)
            {
                foreach (int k in term.Neurons)
                {
                    surrogate += Surrogate(p.Surrogate, p.Interval, p.Temperature, activations[(s * stride) + term.Offset + k]).Value;
                }
            }

            surrogate /= samples * term.Neurons.Length;
            return (-2 * p.PenaltyWeight * Math.Max(0, term.AimLower - surrogate)) + (2 * p.PenaltyWeight * Math.Max(0, surrogate - term.AimUpper));
        }

        private static void AddTermGradient(Term term, double coefficient, ReadOnlySpan<float> activations, Span<float> g, int samples)
        {
            if (coefficient == 0)
            {
                return;
            }

            foreach (int k in term.Neurons)
            {
                int at = term.Offset + k;
                double derivative;
                if (term.Reward is { } reward)
                {
                    // loss − weight · Σ reward_i · s_i(a).
                    derivative = 0;
                    foreach ((ActivationInterval range, double value) in reward.Ranges)
                    {
                        derivative -= value * Surrogate(SurrogateKind.Sigmoid, range, reward.Temperature, activations[at]).Derivative;
                    }
                }
                else
                {
                    Preference p = term.Preference!;
                    derivative = Surrogate(p.Surrogate, p.Interval, p.Temperature, activations[at]).Derivative;
                }

                g[at] += (float)(coefficient * derivative / (samples * term.Neurons.Length));
            }
        }

        /// <summary>The smooth indicator of the interval and its derivative at activation <paramref name="a"/>.</summary>
        private static (double Value, double Derivative) Surrogate(SurrogateKind kind, ActivationInterval interval, double temperature, float a)
        {
            (double lower, double dLower) = Edge(kind, a - interval.Lower, temperature, double.IsNegativeInfinity(interval.Lower));
            (double upper, double dUpper) = Edge(kind, interval.Upper - a, temperature, double.IsPositiveInfinity(interval.Upper));
            return (lower * upper, (dLower * upper) - (lower * dUpper));
        }

        private static (double Value, double Derivative) Edge(SurrogateKind kind, double distance, double temperature, bool open)
        {
            if (open)
            {
                return (1, 0);
            }

            if (kind == SurrogateKind.Sigmoid)
            {
                double s = 1 / (1 + Math.Exp(-distance / temperature));
                return (s, s * (1 - s) / temperature);
            }

            double ramp = 1 + (distance / temperature);
            return ramp <= 0 ? (0, 0) : ramp >= 1 ? (1, 0) : (ramp, 1 / temperature);
        }

        /// <summary>The proxy-Lagrangian multiplier step, from the true 0/1 rate on fresh inputs (the kernel's forward pass).</summary>
        private void UpdateMultipliers()
        {
            if (!_enforce)
            {
                return;
            }

            int stride = _kernel.RowStride;
            foreach (Term term in _lagrangian)
            {
                int n = _options.MultiplierSamplesPerStep;
                byte[] codes;
                if (term.Distribution == PreferenceDistribution.TrainingData)
                {
                    // Fresh rows of the training data (a random draw, not the batch the model step used).
                    n = Math.Min(n, _train.Count);
                    codes = Codes(n);
                    for (int s = 0; s < n; s++)
                    {
                        _trainCodes.AsSpan(_random.Next(_train.Count) * _chunks, _chunks).CopyTo(codes.AsSpan(s * _chunks));
                    }
                }
                else
                {
                    codes = SampleCodes(term, n);
                }

                TrainingProfile.Lap(TrainingProfile.Phase.Codes);
                // Each shard's hits counted on the thread that ran it (a count: the same in any order).
                (_rateTerm, _rateHits) = (term, 0);
                _kernel.Forward(codes, n, _rateRows);
                double rate = (double)_rateHits / (n * term.Neurons.Length);
                double eta = _options.MultiplierLearningRate;
                term.LambdaLower = term.AimLower > 0 ? Math.Max(0, term.LambdaLower + (eta * (term.AimLower - rate))) : 0;
                term.LambdaUpper = term.AimUpper < 1 ? Math.Max(0, term.LambdaUpper + (eta * (rate - term.AimUpper))) : 0;
            }
        }

        // The multiplier's rate in progress (RateRows).
        private Term? _rateTerm;
        private long _rateHits;

        /// <summary>Adds the hits of the multiplier's term at rows <paramref name="from"/> … <paramref name="to"/> − 1 (in the kernel's scratch from <paramref name="at"/>).</summary>
        private void RateRows(int from, int to, int at)
        {
            long hits = _rateTerm!.Hits(_kernel.Activations.Slice(at * _kernel.RowStride), to - from, _kernel.RowStride);
            Interlocked.Add(ref _rateHits, hits);
        }

        /// <summary>The rate of the network itself (exact activations) on fresh inputs from the term's distribution.</summary>
        private (double Rate, long Hits, long Trials) EstimateRate(Term term, int samples)
        {
            int n = _shape.InputCount;
            long hits = 0;
            ActivationInterval interval = term.Preference!.Interval;
            if (term.Layer.Index == _shape.Layers.Length - 1)
            {
                // The output layer: the network's batch path, on packed rows where the inputs fit (the cube's samples,
                // drawn as chunk codes, go straight to masks).
                int width = _shape.OutputCount;
                float[] outputs = ArrayPool<float>.Shared.Rent(samples * width);
                if (term.Distribution == PreferenceDistribution.UniformCube && n <= ShapeRules.MaxPackedInputs)
                {
                    byte[] codes = ArrayPool<byte>.Shared.Rent(samples * _chunks);
                    ulong[] packed = ArrayPool<ulong>.Shared.Rent(2 * samples);
                    TrainingKernel.DrawUniform(_evaluation, n, codes.AsSpan(0, samples * _chunks));
                    TrainingKernel.Pack(codes.AsSpan(0, samples * _chunks), _chunks, packed.AsSpan(0, 2 * samples));
                    _network.ForwardBatch(packed.AsSpan(0, 2 * samples), outputs.AsSpan(0, samples * width));
                    ArrayPool<ulong>.Shared.Return(packed);
                    ArrayPool<byte>.Shared.Return(codes);
                }
                else
                {
                    sbyte[] inputs = ArrayPool<sbyte>.Shared.Rent(samples * n);
                    Sample(term, samples, inputs.AsSpan(0, samples * n));
                    _network.ForwardBatch(inputs.AsSpan(0, samples * n), outputs.AsSpan(0, samples * width));
                    ArrayPool<sbyte>.Shared.Return(inputs);
                }

                for (int s = 0; s < samples; s++)
                {
                    foreach (int k in term.Neurons)
                    {
                        hits += interval.Contains(outputs[(s * width) + k]) ? 1 : 0;
                    }
                }

                ArrayPool<float>.Shared.Return(outputs);
            }
            else
            {
                hits = EstimateHits([term], samples)[0];
            }

            long trials = (long)samples * term.Neurons.Length;
            return ((double)hits / trials, hits, trials);
        }

        /// <summary>
        /// The hits of hidden-layer terms of one distribution on one shared sample of fresh inputs (each term's own
        /// neurons, <paramref name="samples"/> trials per neuron): one forward pass per input for all of them.
        /// </summary>
        private long[] EstimateHits(Term[] terms, int samples)
        {
            int n = _shape.InputCount;
            var hits = new long[terms.Length];
            sbyte[] inputs = ArrayPool<sbyte>.Shared.Rent(samples * n);
            Sample(terms[0], samples, inputs.AsSpan(0, samples * n));
            float[] activations = new float[_shape.ActivationCount];
            for (int s = 0; s < samples; s++)
            {
                _network.ForwardActivations(inputs.AsSpan(s * n, n), activations);
                for (int t = 0; t < terms.Length; t++)
                {
                    ActivationInterval interval = terms[t].Preference!.Interval;
                    foreach (int k in terms[t].Neurons)
                    {
                        hits[t] += interval.Contains(activations[terms[t].Layer.ActivationOffset + k]) ? 1 : 0;
                    }
                }
            }

            ArrayPool<sbyte>.Shared.Return(inputs);
            return hits;
        }

        /// <summary>
        /// The <see cref="Term.HalfCube"/> terms that are not counted exactly, with their hits on one shared sample of
        /// <paramref name="samples"/> fresh cube inputs (empty where there are none).
        /// </summary>
        private Dictionary<Term, (long Hits, long Trials)> HalfCubeEstimates(int samples)
        {
            Term[] terms = [.. _terms.Where(t => t.HalfCube && !t.CountExactly)];
            if (terms.Length == 0)
            {
                return [];
            }

            long[] hits = EstimateHits(terms, samples);
            return terms.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => (hits[x.i], (long)samples * x.t.Neurons.Length));
        }

        /// <summary>
        /// A <see cref="Term.HalfCube"/> term's estimate and interval clipped into its bounds where the network's
        /// neuron meets the closed form (<see cref="HalfCubeProjection.Holds"/>): the rate lies there surely, so the
        /// clipped interval covers it whenever the estimate's did. Unchanged where the closed form does not hold.
        /// </summary>
        private (double Rate, double Lower, double Upper) ClipToProof(Term term, double rate, double lower, double upper)
        {
            if (!term.HalfCube || !HalfCubeProjection.Holds(_shape, _network.Parameters, term.Preference!, term.Neurons[0]))
            {
                return (rate, lower, upper);
            }

            (double lo, double hi) = term.Preference!.Bounds;
            return (Math.Clamp(rate, lo, hi), Math.Clamp(lower, lo, hi), Math.Clamp(upper, lo, hi));
        }

        private (long Hits, long Trials) DataRate(Term term)
        {
            int stride = _shape.ActivationCount;
            float[] activations = new float[stride];
            long hits = 0;
            for (int r = 0; r < _train.Count; r++)
            {
                _network.ForwardActivations(_train.Row(r), activations);
                foreach (int k in term.Neurons)
                {
                    if (term.Preference!.Interval.Contains(activations[term.Layer.ActivationOffset + k]))
                    {
                        hits++;
                    }
                }
            }

            return (hits, (long)_train.Count * term.Neurons.Length);
        }

        private static string DistributionKey(Term term) =>
            term.Distribution == PreferenceDistribution.Product
                ? "product:" + string.Join(",", term.Preference!.InputProbabilities!)
                : term.Distribution.ToString();

        /// <summary>Draws <paramref name="count"/> inputs from the term's distribution (the cube or a product) into <paramref name="inputs"/>.</summary>
        private void Sample(Term term, int count, Span<sbyte> inputs)
        {
            int n = _shape.InputCount;
            if (term.Distribution == PreferenceDistribution.Product)
            {
                for (int s = 0; s < count; s++)
                {
                    RateEstimator.Draw(_evaluation, term.Preference!.InputProbabilities, inputs.Slice(s * n, n));
                }

                return;
            }

            byte[] codes = ArrayPool<byte>.Shared.Rent(count * _chunks);
            TrainingKernel.DrawUniform(_evaluation, n, codes.AsSpan(0, count * _chunks));
            for (int s = 0; s < count; s++)
            {
                TrainingKernel.Decode(codes.AsSpan(s * _chunks, _chunks), inputs.Slice(s * n, n));
            }

            ArrayPool<byte>.Shared.Return(codes);
        }

        /// <summary>
        /// Draws <paramref name="count"/> inputs from the term's distribution as chunk codes into the run's code buffer
        /// from row <paramref name="at"/> on (the buffer must hold them already where <paramref name="at"/> is not 0).
        /// </summary>
        private byte[] SampleCodes(Term term, int count, int at = 0)
        {
            byte[] codes = at == 0 ? Codes(count) : _codes;
            if (term.Distribution == PreferenceDistribution.Product)
            {
                int n = _shape.InputCount;
                Span<sbyte> input = stackalloc sbyte[n];
                for (int s = 0; s < count; s++)
                {
                    RateEstimator.Draw(_random, term.Preference!.InputProbabilities, input);
                    TrainingKernel.Encode(input, codes.AsSpan((at + s) * _chunks, _chunks));
                }
            }
            else
            {
                TrainingKernel.DrawUniform(_random, _shape.InputCount, codes.AsSpan(at * _chunks, count * _chunks));
            }

            return codes;
        }
    }
}
