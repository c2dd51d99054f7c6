using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading;

namespace GenBias;

/// <summary>
/// The bias-penalty trainer: minibatch training of a ternary network on a binary task, plus preferences on any
/// neuron's activation rate over the cube, a product distribution or the data, each enforced by a fixed penalty,
/// the proxy-Lagrangian method, or calibration of the output bias.
/// </summary>
/// <remarks>
/// Training runs on the calling thread, so the result depends only on the seed, the data and the options, never on
/// the machine's thread count. Cube rates are estimated from fresh uniform samples at every step, not from the data.
/// The first layer is kept on <see cref="FixedPointGrid"/> after every step so that the certifier can count exactly.
/// The model returned is one deterministic network: the epoch with the best validation loss among those whose
/// estimated rates meet every preference (the last epoch if none does), never a randomised mixture.
/// </remarks>
public static class PreferenceTrainer
{
    /// <summary>Trains <paramref name="network"/> on <paramref name="data"/>; its parameters are replaced by the result.</summary>
    /// <exception cref="ArgumentException">Mismatched widths, a network with more than one output, or an invalid preference.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the network keeps the parameters of the last completed step.</exception>
    public static TrainingReport Train(ITernaryNetwork network, TernaryDataset data, TrainerOptions options,
        IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        NetworkShape shape = network.Shape;
        if (data.InputCount != shape.InputCount)
        {
            throw new ArgumentException($"The data has {data.InputCount} inputs per row; the network {shape} takes {shape.InputCount}.", nameof(data));
        }

        if (shape.OutputCount != 1)
        {
            throw new ArgumentException($"Binary classification needs one output; {shape} has {shape.OutputCount}.", nameof(network));
        }

        foreach (Preference preference in options.Preferences)
        {
            preference.Validate(shape);
        }

        Activation outputActivation = shape.OutputLayer.Activation;
        float threshold = options.DecisionThreshold ?? DefaultDecisionThreshold(outputActivation);
        (float low, float high) = ActivationMath.Range(outputActivation);
        if (!float.IsFinite(threshold) || (outputActivation is not (Activation.Linear or Activation.ReLU) && !(threshold > low && threshold < high)))
        {
            throw new ArgumentException(
                $"DecisionThreshold {threshold} must lie strictly inside the output's range [{low}, {high}] ({outputActivation}): the loss is centred on it.", nameof(options));
        }

        foreach (ActivationReward reward in options.Rewards)
        {
            reward.Validate(shape);
        }

        var run = new Run(network, data, options);
        TrainingReport report = run.Execute(progress, cancellationToken);
        if (options.ThrowIfNotMet && !report.AllMet)
        {
            throw new PreferencesNotMetException(report);
        }

        return report;
    }

    /// <summary>The decision threshold used when <see cref="TrainerOptions.DecisionThreshold"/> is null.</summary>
    public static float DefaultDecisionThreshold(Activation output) =>
        output is Activation.Sigmoid or Activation.ReLU ? 0.5f : 0f;

    /// <summary>
    /// The task loss and its derivative with respect to the output, for one row; every loss is centred on the decision
    /// <paramref name="threshold"/>, so that the model is trained for the boundary it is scored at.
    /// </summary>
    /// <remarks>
    /// Logistic: the output is mapped to a probability p that is ½ exactly at the threshold — for outputs in [−1, 1]
    /// (tanh, hard tanh, ternary step) or [0, 1] (sigmoid), linearly on each side of it (with the default thresholds 0
    /// and ½ this is p = (y + 1)/2 and p = y); for unbounded outputs p = σ(y − threshold). Squared: the targets lie
    /// symmetrically about the threshold, as far as the output's range allows (±1 about 0; 1 and 0 about ½). Hinge:
    /// the margin is measured from the threshold.
    /// </remarks>
    public static (double Loss, float Gradient) Loss(LossKind kind, Activation output, float y, int label, float threshold)
    {
        (double low, double high) = output switch
        {
            Activation.Tanh or Activation.HardTanh or Activation.TernaryStep => (-1.0, 1.0),
            Activation.Sigmoid => (0.0, 1.0),
            _ => (double.NegativeInfinity, double.PositiveInfinity),
        };
        switch (kind)
        {
            case LossKind.Logistic:
            {
                double p, slope;
                if (double.IsInfinity(low))
                {
                    // Unbounded outputs are logits about the threshold.
                    p = 1 / (1 + Math.Exp(-(y - threshold)));
                    double pc = Math.Clamp(p, 1e-12, 1 - 1e-12);
                    return (-Math.Log(label == 1 ? pc : 1 - pc), (float)(p - label));
                }

                // Piecewise linear, ½ at the threshold: [low, t] → [0, ½], [t, high] → [½, 1].
                (p, slope) = y <= threshold
                    ? (0.5 * (y - low) / (threshold - low), 0.5 / (threshold - low))
                    : (0.5 + (0.5 * (y - threshold) / (high - threshold)), 0.5 / (high - threshold));
                p = Math.Clamp(p, 1e-7, 1 - 1e-7);
                return (-Math.Log(label == 1 ? p : 1 - p), (float)(slope * (p - label) / (p * (1 - p))));
            }

            case LossKind.Squared:
            {
                // Targets about the threshold: as far on each side as the range allows (unbounded: 1).
                double reach = Math.Min(Math.Min(high - threshold, threshold - low), 1.0);
                if (output is Activation.Sigmoid or Activation.ReLU)
                {
                    reach = output is Activation.ReLU ? Math.Min(0.5, Math.Max(threshold, 0)) : Math.Min(high - threshold, threshold - low);
                }

                float t = (float)(label == 1 ? threshold + reach : threshold - reach);
                return ((y - t) * (double)(y - t), 2 * (y - t));
            }

            default:
            {
                float t = label == 1 ? 1f : -1f;
                double margin = t * (y - threshold);
                return margin < 1 ? (1 - margin, -t) : (0, 0f);
            }
        }
    }

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

        /// <summary>Whether per-epoch rates are counted exactly (decided once: it depends on the shape, not the values).</summary>
        public bool CountExactly { get; set; }

        public bool Enforced => Preference is null || Preference.Method != EnforcementMethod.Calibration;

        /// <summary>The fraction of (sample, neuron) pairs whose activation lies in the interval (kernel layout).</summary>
        public double TrueRate(ReadOnlySpan<float> activations, int samples, int stride)
        {
            long hits = 0;
            for (int s = 0; s < samples; s++)
            {
                foreach (int k in Neurons)
                {
                    if (Preference!.Interval.Contains(activations[(s * stride) + Offset + k]))
                    {
                        hits++;
                    }
                }
            }

            return (double)hits / (samples * Neurons.Length);
        }
    }

    /// <summary>The state of one training run.</summary>
    private sealed class Run
    {
        private readonly ITernaryNetwork _network;
        private readonly NetworkShape _shape;
        private readonly TrainerOptions _options;
        private readonly TernaryDataset _train;
        private readonly TernaryDataset? _validation;
        private readonly DeterministicRandom _random;       // training: shuffles, the steps' samples
        private readonly DeterministicRandom _evaluation;   // rates in reports, candidates' checks, the final interval
        private readonly DeterministicRandom _calibration;  // sample calibration
        private bool _enforce = true;
        private int _totalEpochs;
        private readonly Term[] _terms;
        private readonly Term[] _projected;   // the terms enforced by projection (clamped in Project)
        private readonly float _threshold;
        private readonly Activation _outputActivation;
        private readonly int _outputOffset;
        private readonly float[] _parameters;
        private readonly float[] _gradient;
        private readonly float[] _moment1;
        private readonly float[] _moment2;
        private readonly float[] _decay;
        private readonly TrainingKernel _kernel;
        private readonly byte[] _trainCodes;
        private readonly int _chunks;
        private byte[] _codes = [];
        private long _step;

        public Run(ITernaryNetwork network, TernaryDataset data, TrainerOptions options)
        {
            _network = network;
            _shape = network.Shape;
            _options = options;
            _random = new DeterministicRandom(options.Seed);
            // Separate streams, so that no certificate or candidate check reuses a sample a step or a calibration saw.
            _evaluation = new DeterministicRandom(options.Seed ^ 0xE7A1_0A7E_5EED_0001UL);
            _calibration = new DeterministicRandom(options.Seed ^ 0xCA11_B2A7_5EED_0002UL);
            if (options.ValidationFraction > 0 && data.Count >= 2)
            {
                (_train, _validation) = data.Split(1 - options.ValidationFraction, options.Seed ^ 0x5EEDUL);
            }
            else
            {
                _train = data;
            }

            _terms = [.. options.Preferences.Select(p => new Term(_shape, p, options)), .. options.Rewards.Select(r => new Term(_shape, r))];
            _projected = [.. _terms.Where(t => t.Preference?.Method == EnforcementMethod.Projection)];
            _outputActivation = _shape.OutputLayer.Activation;
            _outputOffset = _shape.OutputLayer.ActivationOffset;
            _threshold = options.DecisionThreshold ?? DefaultDecisionThreshold(_outputActivation);
            _parameters = network.Parameters.ToArray();
            _gradient = new float[_parameters.Length];
            _moment1 = new float[_parameters.Length];
            _moment2 = new float[_parameters.Length];
            // Weight decay applies to weights, never to biases.
            _decay = new float[_parameters.Length];
            Array.Fill(_decay, (float)options.WeightDecay);
            foreach (LayerShape layer in _shape.Layers)
            {
                for (int k = 0; k < layer.Width; k++)
                {
                    _decay[layer.BiasIndex(k)] = 0;
                }
            }

            _kernel = new TrainingKernel(_shape);
            foreach (Term term in _terms)
            {
                term.Offset = _kernel.Offset(term.Layer.Index);
            }

            // The training rows as chunk codes, once: a step reads its rows' codes, never the sbytes.
            _chunks = _kernel.ChunkCount;
            _trainCodes = TrainingKernel.EncodeRows(_train.Inputs, _train.InputCount);
        }

        public TrainingReport Execute(IProgress<EpochReport>? progress, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            if (_options.InitializeParameters)
            {
                Initialize();
            }

            FixedPointGrid.SnapFirstLayer(_shape, _parameters);
            _network.SetParameters(_parameters);
            _kernel.SetParameters(_parameters);
            foreach (Term term in _terms.Where(t => t.Preference?.Distribution == PreferenceDistribution.UniformCube))
            {
                term.CountExactly = CoverageCounter.IsCheap(_network, term.Preference!);
            }

            var epochs = new List<EpochReport>();
            Term[] enforced = [.. _terms.Where(t => t.Preference is not null && t.Enforced)];
            // The free phase is worth its time only where its network can be made feasible: one preference that an
            // output-bias shift can serve.
            bool calibratable = enforced.Length == 1 && CanCalibrate(enforced[0].Preference!);
            bool warm = _options.FreeBaseline && calibratable;
            float[] initial = (float[])_parameters.Clone();
            _totalEpochs = warm ? 2 * _options.Epochs : _options.Epochs;
            var candidates = new List<Candidate>();
            if (warm)
            {
                // The free network first (preferences watched, not enforced): the same run as training without them.
                _enforce = false;
                (float[] free, int freeEpoch, _) = RunEpochs(epochs, progress, cancellationToken);
                if (Calibrated(free, enforced[0].Preference!, cancellationToken) is float[] shifted)
                {
                    candidates.Add(new Candidate("the free network, output bias calibrated", shifted, freeEpoch));
                }

                // Then the preferences, from the same initial parameters, with the optimiser's moments reset (starting from
                // the free network instead leaves a saturated output that the preferences can hardly move).
                initial.CopyTo(_parameters, 0);
                Array.Clear(_moment1);
                Array.Clear(_moment2);
                _step = 0;
                _network.SetParameters(_parameters);
                _kernel.SetParameters(_parameters);
                _enforce = true;
            }

            (float[] trained, int trainedEpoch, bool stoppedEarly) = RunEpochs(epochs, progress, cancellationToken);
            candidates.Add(new Candidate("trained with its preferences", trained, trainedEpoch));
            if (warm && Calibrated(trained, enforced[0].Preference!, cancellationToken) is float[] recalibrated)
            {
                candidates.Add(new Candidate("trained, output bias calibrated", recalibrated, trainedEpoch));
            }

            (Candidate chosen, bool candidateMet) = candidates.Count == 1 ? (candidates[0], true) : Choose(candidates, enforced, cancellationToken);
            chosen.Parameters.CopyTo(_parameters, 0);
            _network.SetParameters(_parameters);
            cancellationToken.ThrowIfCancellationRequested();
            List<PreferenceResult> results = Finish(cancellationToken);
            (_, double trainAccuracy) = LossAndAccuracy(_train);
            double validationAccuracy = _validation is null ? double.NaN : LossAndAccuracy(_validation).Accuracy;
            return new TrainingReport(epochs, chosen.Epoch, stoppedEarly, trainAccuracy, validationAccuracy, results, clock.Elapsed)
            {
                Selection = chosen.Description,
                Candidates = candidates.Count,
                CandidateMet = candidates.Count == 1 ? results.All(r => r.Met) : candidateMet,
            };
        }

        /// <summary>A model the run may return: where it came from, its parameters, the epoch they are from.</summary>
        private sealed record Candidate(string Description, float[] Parameters, int Epoch);

        /// <summary>
        /// Epochs until the budget or early stopping: returns the parameters of the epoch with the best validation loss
        /// among those meeting every enforced preference (all epochs qualify while preferences are not enforced), or the
        /// last epoch's if none does.
        /// </summary>
        private (float[] Parameters, int Epoch, bool StoppedEarly) RunEpochs(List<EpochReport> epochs, IProgress<EpochReport>? progress,
            CancellationToken cancellationToken)
        {
            float[]? best = null;
            double bestLoss = double.PositiveInfinity;
            int bestEpoch = 0, sinceBest = 0;
            bool stoppedEarly = false;
            int[] order = Enumerable.Range(0, _train.Count).ToArray();
            for (int round = 1; round <= _options.Epochs; round++)
            {
                int epoch = epochs.Count + 1;
                _random.Shuffle<int>(order);
                double lossSum = 0;
                int correct = 0;
                for (int start = 0; start < order.Length; start += _options.BatchSize)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        // Steps update the kernel only; the network takes the last completed step's parameters.
                        _network.SetParameters(_parameters);
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    int count = Math.Min(_options.BatchSize, order.Length - start);
                    (double batchLoss, int batchCorrect) = Step(order.AsSpan(start, count));
                    lossSum += batchLoss;
                    correct += batchCorrect;
                }

                // An epoch ends on an exact projection: the model it reports and may return meets projected preferences.
                Project(refresh: true);
                _kernel.SetParameters(_parameters);
                _network.SetParameters(_parameters);

                EpochReport report = Evaluate(epoch, lossSum / _train.Count, (double)correct / _train.Count);
                epochs.Add(report);
                if (_enforce)
                {
                    foreach (Term term in _terms.Where(t => t.Preference?.Method == EnforcementMethod.ProxyLagrangian))
                    {
                        term.Trace.Add(term.LambdaLower + term.LambdaUpper);
                    }
                }

                progress?.Report(report);

                double monitored = _validation is null ? report.TrainLoss : report.ValidationLoss;
                // Feasible: every enforced preference met over its whole interval (exact, or the 95% bounds of the estimate).
                bool feasible = !_enforce || _terms.Where(t => t.Preference is not null && t.Enforced).All(t =>
                {
                    PreferenceStatus status = report.Preferences[Array.IndexOf(_terms, t)];
                    return t.Preference!.IsMetBy(status.Lower) && t.Preference.IsMetBy(status.Upper);
                });
                if (feasible && monitored < bestLoss)
                {
                    bestLoss = monitored;
                    best = (float[])_parameters.Clone();
                    bestEpoch = epoch;
                    sinceBest = 0;
                }
                else if (best is not null)
                {
                    sinceBest++;
                    if (_options.Patience > 0 && sinceBest >= _options.Patience)
                    {
                        stoppedEarly = round < _options.Epochs;
                        break;
                    }
                }
            }

            return best is null ? ((float[])_parameters.Clone(), epochs.Count, stoppedEarly) : (best, bestEpoch, stoppedEarly);
        }

        /// <summary>Whether one output-bias shift can serve the preference (see <see cref="Preference.Validate"/>).</summary>
        private bool CanCalibrate(Preference preference)
        {
            try
            {
                (preference with { Method = EnforcementMethod.Calibration }).Validate(_shape);
                return true;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

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

        private void Initialize()
        {
            // Xavier-uniform weights, zero biases.
            foreach (LayerShape layer in _shape.Layers)
            {
                double limit = Math.Sqrt(6.0 / (layer.InputCount + layer.Width));
                for (int p = layer.WeightOffset; p < layer.BiasOffset; p++)
                {
                    _parameters[p] = (float)(((_random.NextDouble() * 2) - 1) * limit);
                }

                Array.Clear(_parameters, layer.BiasOffset, layer.Width);
            }
        }

        private (double Loss, int Correct) Step(ReadOnlySpan<int> rows)
        {
            int batch = rows.Length, stride = _kernel.RowStride, output = _kernel.Offset(_shape.Layers.Length - 1);
            byte[] codes = Codes(batch);
            for (int r = 0; r < batch; r++)
            {
                _trainCodes.AsSpan(rows[r] * _chunks, _chunks).CopyTo(codes.AsSpan(r * _chunks));
            }

            // The batch forward once, its activations kept for the backward pass.
            _kernel.Forward(codes, batch);
            _kernel.ClearGradients(batch);
            Span<float> activations = _kernel.Activations, g = _kernel.Gradients;

            // Data terms need the batch's surrogate rate before their gradients (the penalty's size depends on it).
            double loss = 0;
            int correct = 0;
            Term[] dataTerms = [.. _terms.Where(t => Active(t) && t.Distribution == PreferenceDistribution.TrainingData)];
            double[] dataCoefficients = dataTerms.Select(t => Coefficient(t, _kernel.Activations, batch, stride)).ToArray();
            for (int r = 0; r < batch; r++)
            {
                float y = activations[(r * stride) + output];
                int label = _train.Labels[rows[r]];
                (double l, float dy) = PreferenceTrainer.Loss(_options.Loss, _outputActivation, y, label, _threshold);
                loss += l;
                correct += (y > _threshold) == (label == 1) ? 1 : 0;
                g[(r * stride) + output] = dy / batch;
                for (int t = 0; t < dataTerms.Length; t++)
                {
                    AddTermGradient(dataTerms[t], dataCoefficients[t], activations.Slice(r * stride, stride), g.Slice(r * stride, stride), batch);
                }
            }

            _kernel.Backward(codes, batch);

            // Cube and product terms: fresh samples every step, shared by the terms of one distribution.
            foreach (IGrouping<string, Term> group in _terms.Where(t => Active(t) && t.Distribution != PreferenceDistribution.TrainingData)
                         .GroupBy(t => DistributionKey(t)))
            {
                Term[] terms = [.. group];
                int n = _options.SurrogateSamplesPerStep;
                byte[] samples = SampleCodes(terms[0], n);
                _kernel.Forward(samples, n);
                _kernel.ClearGradients(n);
                double[] coefficients = terms.Select(t => Coefficient(t, _kernel.Activations, n, stride)).ToArray();
                for (int s = 0; s < n; s++)
                {
                    for (int t = 0; t < terms.Length; t++)
                    {
                        AddTermGradient(terms[t], coefficients[t], _kernel.Activations.Slice(s * stride, stride), _kernel.Gradients.Slice(s * stride, stride), n);
                    }
                }

                _kernel.Backward(samples, n);
            }

            _kernel.CollectGradient(_gradient);
            ApplyUpdate();
            UpdateMultipliers();
            return (loss, correct);
        }

        /// <summary>
        /// Whether a term's surrogate shapes the steps now: rewards always, preferences unless the free phase is running
        /// (projected preferences act on the parameters instead, in <see cref="Project"/>).
        /// </summary>
        private bool Active(Term term) =>
            term.Enforced && term.Preference?.Method != EnforcementMethod.Projection && (term.Reward is not null || _enforce);

        /// <summary>The run's code buffer, large enough for <paramref name="rows"/> rows.</summary>
        private byte[] Codes(int rows)
        {
            if (_codes.Length < rows * _chunks)
            {
                _codes = new byte[rows * _chunks];
            }

            return _codes;
        }

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

        /// <summary>
        /// Adam (or SGD with momentum) over every parameter, eight at a time in float, lane by lane, so that the result has
        /// the same bits with or without SIMD; then the first layer back on the grid and the kernel's tables rebuilt.
        /// </summary>
        private void ApplyUpdate()
        {
            _step++;
            float lr = (float)_options.LearningRate;
            ref float parameters = ref MemoryMarshal.GetArrayDataReference(_parameters);
            ref float gradient = ref MemoryMarshal.GetArrayDataReference(_gradient);
            ref float decay = ref MemoryMarshal.GetArrayDataReference(_decay);
            ref float m1 = ref MemoryMarshal.GetArrayDataReference(_moment1);
            ref float m2 = ref MemoryMarshal.GetArrayDataReference(_moment2);
            int n = _parameters.Length, p = 0;
            if (_options.Optimizer == OptimizerKind.Adam)
            {
                const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f;
                float scale1 = (float)(1 / (1 - Math.Pow(Beta1, _step))), scale2 = (float)(1 / (1 - Math.Pow(Beta2, _step)));
                for (; p <= n - 8; p += 8)
                {
                    Vector256<float> w = Vector256.LoadUnsafe(ref parameters, (nuint)p);
                    Vector256<float> grad = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref decay, (nuint)p), w, Vector256.LoadUnsafe(ref gradient, (nuint)p));
                    Vector256<float> m = Vector256.FusedMultiplyAdd(Vector256.Create(Beta1), Vector256.LoadUnsafe(ref m1, (nuint)p), Vector256.Create(1 - Beta1) * grad);
                    Vector256<float> v = Vector256.FusedMultiplyAdd(Vector256.Create(Beta2), Vector256.LoadUnsafe(ref m2, (nuint)p), Vector256.Create(1 - Beta2) * (grad * grad));
                    m.StoreUnsafe(ref m1, (nuint)p);
                    v.StoreUnsafe(ref m2, (nuint)p);
                    Vector256<float> step = Vector256.Create(lr) * (m * Vector256.Create(scale1)) / (Vector256.Sqrt(v * Vector256.Create(scale2)) + Vector256.Create(Epsilon));
                    (w - step).StoreUnsafe(ref parameters, (nuint)p);
                }

                for (; p < n; p++)
                {
                    ref float w = ref Unsafe.Add(ref parameters, p);
                    float grad = MathF.FusedMultiplyAdd(Unsafe.Add(ref decay, p), w, Unsafe.Add(ref gradient, p));
                    float m = MathF.FusedMultiplyAdd(Beta1, Unsafe.Add(ref m1, p), (1 - Beta1) * grad);
                    float v = MathF.FusedMultiplyAdd(Beta2, Unsafe.Add(ref m2, p), (1 - Beta2) * (grad * grad));
                    Unsafe.Add(ref m1, p) = m;
                    Unsafe.Add(ref m2, p) = v;
                    w -= lr * (m * scale1) / (MathF.Sqrt(v * scale2) + Epsilon);
                }
            }
            else
            {
                float momentum = (float)_options.Momentum;
                for (; p <= n - 8; p += 8)
                {
                    Vector256<float> w = Vector256.LoadUnsafe(ref parameters, (nuint)p);
                    Vector256<float> grad = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref decay, (nuint)p), w, Vector256.LoadUnsafe(ref gradient, (nuint)p));
                    Vector256<float> m = Vector256.FusedMultiplyAdd(Vector256.Create(momentum), Vector256.LoadUnsafe(ref m1, (nuint)p), grad);
                    m.StoreUnsafe(ref m1, (nuint)p);
                    (w - (Vector256.Create(lr) * m)).StoreUnsafe(ref parameters, (nuint)p);
                }

                for (; p < n; p++)
                {
                    ref float w = ref Unsafe.Add(ref parameters, p);
                    float grad = MathF.FusedMultiplyAdd(Unsafe.Add(ref decay, p), w, Unsafe.Add(ref gradient, p));
                    float m = MathF.FusedMultiplyAdd(momentum, Unsafe.Add(ref m1, p), grad);
                    Unsafe.Add(ref m1, p) = m;
                    w -= lr * m;
                }
            }

            FixedPointGrid.SnapFirstLayer(_shape, _parameters);
            Project(refresh: _step % _options.ProjectionInterval == 0);
            _kernel.SetParameters(_parameters);
        }

        /// <summary>
        /// Clamps the bias of every projected preference's neuron into the range where the preference holds over the
        /// cube: refreshed by exact counts when <paramref name="refresh"/> (or never found yet), else the last range.
        /// </summary>
        private void Project(bool refresh)
        {
            if (!_enforce || _projected.Length == 0)
            {
                return;
            }

            foreach (Term term in _projected)
            {
                int neuron = term.Neurons[0];
                int biasIndex = term.Layer.BiasIndex(neuron);
                if (refresh || term.ProjectionRange is null)
                {
                    term.ProjectionRange = ProjectionRange(term.Preference!, neuron, term.ProjectionRange);
                }

                (long low, long high) = term.ProjectionRange.Value;
                long bias = (long)Math.Round(_parameters[biasIndex] / FixedPointGrid.Step);
                long clamped = Math.Clamp(bias, low, high);
                if (clamped != bias)
                {
                    _parameters[biasIndex] = clamped * FixedPointGrid.Step;
                    if (!FixedPointGrid.IsFirstLayerOnGrid(_shape, _parameters))
                    {
                        throw new InvalidOperationException($"{term.Preference}: the bias {clamped * FixedPointGrid.Step} that meets it leaves the exact grid (the neuron's weights and bias must sum to less than 256 in magnitude).");
                    }
                }
            }
        }

        /// <summary>
        /// The first-layer biases (grid units) at which the preference holds exactly with the current weights: the rate
        /// is monotone in the bias (non-decreasing for an interval open above, non-increasing for one open below), so
        /// each end is a bisection over exact meet-in-the-middle counts (the halves prepared once), checked at the end
        /// against the activation's last-bit wiggle.
        /// </summary>
        private (long Low, long High) ProjectionRange(Preference preference, int neuron, (long Low, long High)? previous)
        {
            (int[] weights, long current) = CoverageCounter.FirstLayerIntegers(_shape, _parameters, neuron);
            using MeetInTheMiddle.Halves halves = MeetInTheMiddle.Prepare(weights, CancellationToken.None);
            long total = CoverageCounter.Pow3(_shape.InputCount);
            (long minCount, long maxCount) = ExactCalibration.CountBounds(preference, total);
            Activation activation = _shape.Layers[0].Activation;
            bool rising = double.IsPositiveInfinity(preference.Interval.Upper);
            // Biases the exact grid allows with these weights (Σ|w| + |b| < 256).
            long limit = Math.Max(0, (1L << 24) - 1 - halves.Reach);
            long Count(long bias) => halves.Count(bias, activation, preference.Interval, CancellationToken.None);
            long low = -limit, high = limit;
            if (minCount > 0)
            {
                // The least bias meeting the lower bound (rising) or the largest (falling).
                long edge = Edge(b => Count(b) >= minCount, rising, (rising ? previous?.Low : previous?.High) ?? current);
                (low, high) = rising ? (edge, high) : (low, edge);
            }

            if (maxCount < total)
            {
                long edge = Edge(b => Count(b) <= maxCount, !rising, (rising ? previous?.High : previous?.Low) ?? current);
                (low, high) = rising ? (low, Math.Min(high, edge)) : (Math.Max(low, edge), high);
            }

            long at = Math.Clamp(current, low, high), counted = low <= high ? Count(at) : -1;
            if (counted < minCount || counted > maxCount)
            {
                (double lo, double hi) = preference.Bounds;
                throw new InvalidOperationException($"{preference}: no bias of layer 0 neuron {neuron} meets it with the current weights (the rate over the cube cannot reach [{lo:P2}, {hi:P2}]).");
            }

            return (low, high);

            // The edge of the set where ok holds (monotone in the bias: for large biases when upward), searched from
            // start — the last refresh's edge, which the weights moved little from — by ExactCalibration's doubling
            // steps and bisection.
            long Edge(Func<long, bool> ok, bool upward, long start)
            {
                int toward = upward ? 1 : -1;
                start = Math.Clamp(start, -limit, limit);
                long edge = ok(start)
                    ? (ExactCalibration.FirstMeeting(b => !ok(b), start, -toward, -toward * limit) is long failing ? failing + toward : -toward * limit)
                    : ExactCalibration.FirstMeeting(ok, start, toward, toward * limit)
                        ?? throw new InvalidOperationException($"{preference}: no bias of layer 0 neuron {neuron} within the exact grid meets it.");

                // The activation's last-bit wiggle can make the count dip by a few inputs just past the edge: step on
                // until it holds there.
                while (!ok(edge))
                {
                    edge += toward;
                }

                return edge;
            }
        }

        /// <summary>The proxy-Lagrangian multiplier step, from the true 0/1 rate on fresh inputs (the kernel's forward pass).</summary>
        private void UpdateMultipliers()
        {
            if (!_enforce)
            {
                return;
            }

            int stride = _kernel.RowStride;
            foreach (Term term in _terms.Where(t => t.Preference?.Method == EnforcementMethod.ProxyLagrangian))
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

                _kernel.Forward(codes, n);
                double rate = term.TrueRate(_kernel.Activations, n, stride);
                double eta = _options.MultiplierLearningRate;
                term.LambdaLower = term.AimLower > 0 ? Math.Max(0, term.LambdaLower + (eta * (term.AimLower - rate))) : 0;
                term.LambdaUpper = term.AimUpper < 1 ? Math.Max(0, term.LambdaUpper + (eta * (rate - term.AimUpper))) : 0;
            }
        }

        /// <summary>The rate of the network itself (exact activations) on fresh inputs from the term's distribution.</summary>
        private (double Rate, long Hits, long Trials) EstimateRate(Term term, int samples)
        {
            int n = _shape.InputCount;
            sbyte[] inputs = Sample(term, samples);
            long hits = 0;
            if (term.Layer.Index == _shape.Layers.Length - 1)
            {
                // The output layer: the network's batch path.
                int width = _shape.OutputCount;
                float[] outputs = new float[samples * width];
                _network.ForwardBatch(inputs, outputs);
                for (int s = 0; s < samples; s++)
                {
                    foreach (int k in term.Neurons)
                    {
                        hits += term.Preference!.Interval.Contains(outputs[(s * width) + k]) ? 1 : 0;
                    }
                }
            }
            else
            {
                float[] activations = new float[_shape.ActivationCount];
                for (int s = 0; s < samples; s++)
                {
                    _network.ForwardActivations(inputs.AsSpan(s * n, n), activations);
                    foreach (int k in term.Neurons)
                    {
                        hits += term.Preference!.Interval.Contains(activations[term.Layer.ActivationOffset + k]) ? 1 : 0;
                    }
                }
            }

            long trials = (long)samples * term.Neurons.Length;
            return ((double)hits / trials, hits, trials);
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

        /// <summary>Draws <paramref name="count"/> inputs from the term's distribution (the cube or a product).</summary>
        private sbyte[] Sample(Term term, int count)
        {
            int n = _shape.InputCount;
            sbyte[] inputs = new sbyte[count * n];
            if (term.Distribution == PreferenceDistribution.Product)
            {
                for (int s = 0; s < count; s++)
                {
                    RateEstimator.Draw(_evaluation, term.Preference!.InputProbabilities, inputs.AsSpan(s * n, n));
                }

                return inputs;
            }

            byte[] codes = new byte[count * _chunks];
            TrainingKernel.DrawUniform(_evaluation, n, codes);
            for (int s = 0; s < count; s++)
            {
                TrainingKernel.Decode(codes.AsSpan(s * _chunks, _chunks), inputs.AsSpan(s * n, n));
            }

            return inputs;
        }

        /// <summary>Draws <paramref name="count"/> inputs from the term's distribution as chunk codes (the run's code buffer).</summary>
        private byte[] SampleCodes(Term term, int count)
        {
            byte[] codes = Codes(count);
            if (term.Distribution == PreferenceDistribution.Product)
            {
                int n = _shape.InputCount;
                Span<sbyte> input = stackalloc sbyte[n];
                for (int s = 0; s < count; s++)
                {
                    RateEstimator.Draw(_random, term.Preference!.InputProbabilities, input);
                    TrainingKernel.Encode(input, codes.AsSpan(s * _chunks, _chunks));
                }
            }
            else
            {
                TrainingKernel.DrawUniform(_random, _shape.InputCount, codes.AsSpan(0, count * _chunks));
            }

            return codes;
        }

        private (double Loss, double Accuracy) LossAndAccuracy(TernaryDataset data)
        {
            double loss = 0;
            int correct = 0;
            float[] outputs = new float[data.Count];
            _network.ForwardBatch(data.Inputs, outputs);
            for (int r = 0; r < data.Count; r++)
            {
                loss += PreferenceTrainer.Loss(_options.Loss, _outputActivation, outputs[r], data.Labels[r], _threshold).Loss;
                correct += (outputs[r] > _threshold) == (data.Labels[r] == 1) ? 1 : 0;
            }

            return (loss / data.Count, (double)correct / data.Count);
        }

        private EpochReport Evaluate(int epoch, double trainLoss, double trainAccuracy)
        {
            (double validationLoss, double validationAccuracy) = _validation is null ? (double.NaN, double.NaN) : LossAndAccuracy(_validation);
            var statuses = new List<PreferenceStatus>();
            foreach (Term term in _terms)
            {
                if (term.Preference is null)
                {
                    statuses.Add(new PreferenceStatus(double.NaN, double.NaN, 0, 0, double.NaN, double.NaN));
                    continue;
                }

                double rate, lower, upper;
                if (term.Distribution == PreferenceDistribution.TrainingData)
                {
                    (long hits, long trials) = DataRate(term);
                    rate = lower = upper = (double)hits / trials;
                }
                else if (term.CountExactly)
                {
                    // Cheap to count (first-layer neuron, small cube): the exact rate, not an estimate.
                    rate = lower = upper = CoverageCounter.Count(_network, term.Preference, new CountOptions { MaxParallelism = 1 }).Fraction;
                }
                else
                {
                    (_, long hits, long trials) = EstimateRate(term, _options.EvaluationSamples);
                    RateInterval interval = ClopperPearson.Interval(hits, trials, 0.95);
                    (rate, lower, upper) = (interval.Estimate, interval.Lower, interval.Upper);
                }

                statuses.Add(new PreferenceStatus(rate, term.Preference.Slack(rate), term.LambdaLower, term.LambdaUpper, lower, upper));
            }

            return new EpochReport(epoch, _totalEpochs, trainLoss, trainAccuracy, validationLoss, validationAccuracy, statuses);
        }

        /// <summary>
        /// Shifts the network's output bias by the smallest amount that meets <paramref name="preference"/>: exact where
        /// the cube is cheap to count, else from the Clopper–Pearson bound of the calibration's own sample stream.
        /// </summary>
        private float CalibrateOutputBias(Preference preference, CancellationToken cancellationToken) =>
            CoverageCounter.IsCheap(_network, preference)
                ? ExactCalibration.Calibrate(_network, preference, cancellationToken: cancellationToken).BiasShift
                : SampleCalibration.Calibrate(_network, preference, _options.FinalSamples, _options.Confidence, _calibration.NextUInt64());

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
