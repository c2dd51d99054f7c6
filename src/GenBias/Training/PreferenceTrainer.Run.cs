using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;

namespace GenBias;

public static partial class PreferenceTrainer
{
    /// <summary>Whether the kernel may update the parameters inside a step's pass (off: the canonical update after it, for tests of the two's bits).</summary>
    internal static volatile bool UpdateInKernel = true;

    /// <summary>The state of one training run.</summary>
    private sealed partial class Run
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
        private readonly Term[] _lagrangian;  // the terms enforced by the proxy-Lagrangian method (their multipliers stepped)
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
        private (double Loss, bool Correct)[] _rowScores = []; // a step's loss of each row, and whether it was answered right
        private long _step;
        private readonly bool _kernelSteps; // the kernel updates the parameters inside a step's pass (KernelStep)
        private readonly Action<int, int, int> _dataRows, _sampleRows, _jointRows, _rateRows;

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
            _lagrangian = [.. _terms.Where(t => t.Preference?.Method == EnforcementMethod.ProxyLagrangian)];
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
            // No projection and no term whose gradient waits for a rate: every step is one joint pass, and the kernel
            // can update the parameters in the same job as their gradient sums.
            _kernelSteps = UpdateInKernel && _projected.Length == 0 && _terms.All(t => t.Distribution != PreferenceDistribution.TrainingData && (t.Reward is not null || !NeedsRate(t)));
            if (_kernelSteps)
            {
                _kernel.KeepMoments((float)options.WeightDecay);
            }

            _dataRows = DataRows;
            _sampleRows = SampleRows;
            _jointRows = JointRows;
            _rateRows = RateRows;
            foreach (Term term in _terms)
            {
                term.Offset = _kernel.Offset(term.Layer.Index);
            }

            _chunks = _kernel.ChunkCount;
            _trainCodes = ArrayPool<byte>.Shared.Rent(_train.Count * _chunks);
        }

        public TrainingReport Execute(IProgress<EpochReport>? progress, CancellationToken cancellationToken)
        {
            // The step's passes on the options' threads: the same bits for any number of them.
            TrainingWorkers workers = TrainingWorkers.Rent(_options.Threads);
            _kernel.Workers = workers;
            try
            {
                // The training rows as chunk codes, once, in parts on the threads: a step reads its rows' codes, never the sbytes.
                ForEachPart(_train.Count, (from, to) => TrainingKernel.EncodeRows(
                    _train.Inputs.Slice(from * _train.InputCount, (to - from) * _train.InputCount), _train.InputCount, _trainCodes.AsSpan(from * _chunks)));
                return Execute(progress, cancellationToken, Stopwatch.StartNew());
            }
            finally
            {
                _kernel.Workers = null;
                TrainingWorkers.Return(workers);
                ArrayPool<byte>.Shared.Return(_trainCodes);
            }
        }

        private TrainingReport Execute(IProgress<EpochReport>? progress, CancellationToken cancellationToken, Stopwatch clock)
        {
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

            TrainingProfile.Lap(TrainingProfile.Phase.Setup);
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
                if (_kernelSteps)
                {
                    _kernel.ClearMoments();
                }

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

            TrainingProfile.Lap(TrainingProfile.Phase.EpochEnd);
            (Candidate chosen, bool candidateMet, CandidateScore[] scores) = candidates.Count == 1 ? (candidates[0], true, []) : Choose(candidates, enforced, cancellationToken);
            chosen.Parameters.CopyTo(_parameters, 0);
            _network.SetParameters(_parameters);
            cancellationToken.ThrowIfCancellationRequested();
            List<PreferenceResult> results = Finish(cancellationToken);
            TrainingProfile.Lap(TrainingProfile.Phase.Finish);
            // The final model's accuracies (its loss is not reported): one pass over each set of rows.
            Scores train = Measure(_train, withLoss: false);
            Scores? validation = _validation is null ? null : Measure(_validation, withLoss: false);
            TrainingProfile.Lap(TrainingProfile.Phase.FinalPass);
            return new TrainingReport(epochs, chosen.Epoch, stoppedEarly, train.Accuracy, validation?.Accuracy ?? double.NaN, results, clock.Elapsed)
            {
                Selection = chosen.Description,
                Candidates = candidates.Count,
                CandidateMet = candidates.Count == 1 ? results.All(r => r.Met) : candidateMet,
                CandidateScores = scores,
                SelectedBy = ResolvedMetric,
                AnswersOneClass = (validation ?? train).OneAnswer,
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
            int rows = _train.Count;
            int[] order = ArrayPool<int>.Shared.Rent(rows);
            for (int r = 0; r < rows; r++)
            {
                order[r] = r;
            }

            try
            {
                return RunEpochs(epochs, progress, order, cancellationToken);
            }
            finally
            {
                ArrayPool<int>.Shared.Return(order);
            }
        }

        /// <summary><see cref="RunEpochs(List{EpochReport}, IProgress{EpochReport}?, CancellationToken)"/> with the rows' order (its first rows).</summary>
        private (float[] Parameters, int Epoch, bool StoppedEarly) RunEpochs(List<EpochReport> epochs, IProgress<EpochReport>? progress, int[] order,
            CancellationToken cancellationToken)
        {
            float[]? best = null;
            double bestLoss = double.PositiveInfinity;
            int bestEpoch = 0, sinceBest = 0;
            bool stoppedEarly = false;
            int rows = _train.Count;
            for (int round = 1; round <= _options.Epochs; round++)
            {
                int epoch = epochs.Count + 1;
                _random.Shuffle(order.AsSpan(0, rows));
                double lossSum = 0;
                int correct = 0;
                TrainingProfile.Lap(TrainingProfile.Phase.EpochEnd);
                for (int start = 0; start < rows; start += _options.BatchSize)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        // Steps update the kernel only; the network takes the last completed step's parameters.
                        TakeKernelParameters();
                        _network.SetParameters(_parameters);
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    int count = Math.Min(_options.BatchSize, rows - start);
                    TrainingProfile.StepStart();
                    (double batchLoss, int batchCorrect) = Step(order, start, count);
                    TrainingProfile.StepEnd();
                    lossSum += batchLoss;
                    correct += batchCorrect;
                }

                // An epoch ends on an exact projection: the model it reports and may return meets projected preferences.
                TakeKernelParameters();
                Project(refresh: true);
                _kernel.SetParameters(_parameters);
                _network.SetParameters(_parameters);
                TrainingProfile.Lap(TrainingProfile.Phase.EpochEnd);

                EpochReport report = Evaluate(epoch, lossSum / _train.Count, (double)correct / _train.Count);
                TrainingProfile.Lap(TrainingProfile.Phase.Evaluate);
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

        /// <summary>
        /// Runs <paramref name="part"/>(from, to) over rows 0 … <paramref name="rows"/> − 1 in contiguous parts, one per
        /// thread of the run (each row in exactly one part, on any thread: the parts must write disjoint rows).
        /// </summary>
        private void ForEachPart(int rows, Action<int, int> part)
        {
            int parts = _kernel.Workers is { } workers && rows >= 4096 ? workers.Threads : 1;
            if (parts == 1)
            {
                part(0, rows);
                return;
            }

            _kernel.Workers!.Run(parts, (p, _) => part((int)((long)rows * p / parts), (int)((long)rows * (p + 1) / parts)));
        }

        /// <summary>The parameters from the kernel, where its steps update them.</summary>
        private void TakeKernelParameters()
        {
            if (_kernelSteps)
            {
                _kernel.GetParameters(_parameters);
            }
        }

        private (double Loss, int Correct) Step(int[] order, int start, int batch)
        {
            StepTerms active = ActiveTerms();
            if (_kernelSteps)
            {
                // The optimiser's step inside the joint pass's gradient sums (the same arithmetic as ApplyUpdate's).
                _step++;
                _kernel.PrepareStep(OptimizerStep.For(_options, _step));
                (double stepLoss, int stepCorrect) = JointPass(active.SampleGroups, order, start, batch);
                TrainingProfile.Enter(TrainingProfile.Part.Multipliers);
                UpdateMultipliers();
                TrainingProfile.Lap(TrainingProfile.Phase.Rates);
                TrainingProfile.Enter(TrainingProfile.Part.Data);
                return (stepLoss, stepCorrect);
            }

            double loss;
            int correct;
            if (active.Joint)
            {
                // One pass over the batch and every distribution's samples together: their rows are independent, so
                // they run in the same blocks, and every gradient is summed in the same order as one pass after another.
                (loss, correct) = JointPass(active.SampleGroups, order, start, batch);
            }
            else
            {
                byte[] codes = Codes(batch);
                TrainingKernel.CopyRows(_trainCodes, _chunks, order.AsSpan(start, batch), codes);
                TrainingProfile.Lap(TrainingProfile.Phase.Codes);
                (loss, correct) = DataPass(codes, order, start, batch);
                TrainingProfile.Enter(TrainingProfile.Part.Samples);

                // Cube and product terms: fresh samples every step, shared by the terms of one distribution.
                foreach (Term[] group in active.SampleGroups)
                {
                    SamplePass(group);
                }

                TrainingProfile.Lap(TrainingProfile.Phase.RowGradients);
                TrainingProfile.Enter(TrainingProfile.Part.Data);
            }

            _kernel.CollectGradient(_gradient);
            ApplyUpdate();
            TrainingProfile.Enter(TrainingProfile.Part.Multipliers);
            UpdateMultipliers();
            TrainingProfile.Lap(TrainingProfile.Phase.Rates);
            TrainingProfile.Enter(TrainingProfile.Part.Data);
            return (loss, correct);
        }

        // The joint pass in progress: each sample group's terms and coefficients.
        private Term[][] _jointGroups = [];
        private double[][] _jointCoefficients = [];
        private int[] _jointEnds = [];

        /// <summary>
        /// The batch (rows order[start …]) and fresh samples of each group's distribution (drawn in group order, as the
        /// passes one after another draw them) in one pass: the batch's rows first, then each group's samples.
        /// </summary>
        private (double Loss, int Correct) JointPass(Term[][] groups, int[] order, int start, int batch)
        {
            int stride = _kernel.RowStride, n = _options.SurrogateSamplesPerStep, rows = batch + (groups.Length * n);
            // The batch's rows are gathered by the kernel's shards (each its own rows); the samples follow them here.
            byte[] codes = Codes(rows);
            if (_jointCoefficients.Length != groups.Length)
            {
                _jointCoefficients = [.. groups.Select(g => new double[g.Length])];
            }

            for (int g = 0; g < groups.Length; g++)
            {
                SampleCodes(groups[g][0], n, batch + (g * n));
                for (int t = 0; t < groups[g].Length; t++)
                {
                    _jointCoefficients[g][t] = Coefficient(groups[g][t], [], n, stride);
                }
            }

            TrainingProfile.Lap(TrainingProfile.Phase.Codes);
            if (_rowScores.Length < batch)
            {
                _rowScores = new (double, bool)[batch];
            }

            (_passOrder, _passStart, _passRows, _passTerms, _jointGroups) = (order, start, batch, [], groups);
            // Segments: the batch, then each group's samples; each is cut into the kernel's shards alike.
            if (_jointEnds.Length != groups.Length + 1)
            {
                _jointEnds = new int[groups.Length + 1];
            }

            for (int g = 0; g <= groups.Length; g++)
            {
                _jointEnds[g] = batch + (g * n);
            }

            _kernel.Pass(codes, rows, _jointRows, last: true, _jointEnds, _jointEnds.Length, (_trainCodes, order, start));
            TrainingProfile.Lap(TrainingProfile.Phase.RowGradients);
            return SumLoss(batch);
        }

        /// <summary>
        /// The gradients of the joint pass's rows <paramref name="from"/> … <paramref name="to"/> − 1 (within one segment:
        /// the batch's, or one group's samples), found in the kernel's scratch from row <paramref name="at"/> on.
        /// </summary>
        private void JointRows(int from, int to, int at)
        {
            int batch = _passRows, n = _options.SurrogateSamplesPerStep;
            if (from < batch)
            {
                DataRows(from, to, at);
                return;
            }

            int g = (from - batch) / n;
            AddSampleGradients(_jointGroups[g], _jointCoefficients[g], n, from, to, at);
        }

        /// <summary>The terms that shape the steps (<see cref="Active"/>): those over the data, and the others grouped by distribution.</summary>
        private sealed record StepTerms(Term[] Data, Term[][] SampleGroups)
        {
            /// <summary>Whether no term's gradient waits for a rate over its rows: then a step is one pass (<see cref="JointPass"/>).</summary>
            public bool Joint { get; } = Data.Length == 0 && SampleGroups.All(g => g.All(t => !NeedsRate(t)));
        }

        private StepTerms? _enforcedTerms, _freeTerms;

        /// <summary>The terms active now (found once for each of the two phases).</summary>
        private StepTerms ActiveTerms()
        {
            StepTerms Find() => new(
                [.. _terms.Where(t => Active(t) && t.Distribution == PreferenceDistribution.TrainingData)],
                [.. _terms.Where(t => Active(t) && t.Distribution != PreferenceDistribution.TrainingData).GroupBy(t => DistributionKey(t)).Select(g => g.ToArray())]);
            return _enforce ? _enforcedTerms ??= Find() : _freeTerms ??= Find();
        }

        // The pass in progress, for the kernel's callbacks (DataRows, SampleRows): no closure per step.
        private int[] _passOrder = [];
        private int _passStart, _passRows;
        private Term[] _passTerms = [];
        private double[] _passCoefficients = [];

        /// <summary>
        /// The batch forward and back (rows order[start …], their codes in <paramref name="codes"/>): the task loss of
        /// each row, and the data terms, whose penalty's size depends on the batch's surrogate rate, so that they take
        /// a forward pass first; without them one fused pass, each row's loss found on the thread that runs the row.
        /// </summary>
        private (double Loss, int Correct) DataPass(byte[] codes, int[] order, int start, int batch)
        {
            int stride = _kernel.RowStride;
            if (_rowScores.Length < batch)
            {
                _rowScores = new (double, bool)[batch];
            }

            Term[] dataTerms = ActiveTerms().Data;
            (_passOrder, _passStart, _passRows, _passTerms) = (order, start, batch, dataTerms);
            if (dataTerms.Length == 0)
            {
                _kernel.Pass(codes, batch, _dataRows);
            }
            else
            {
                _kernel.Forward(codes, batch);
                _kernel.ClearGradients(batch);
                _passCoefficients = [.. dataTerms.Select(t => Coefficient(t, _kernel.Activations, batch, stride))];
                DataRows(0, batch, 0);
                _kernel.Backward(codes, batch);
            }

            TrainingProfile.Lap(TrainingProfile.Phase.RowGradients);
            return SumLoss(batch);
        }

        /// <summary>The loss summed in row order, whichever thread found each row's, and the rows answered right.</summary>
        private (double Loss, int Correct) SumLoss(int batch)
        {
            double loss = 0;
            int correct = 0;
            for (int r = 0; r < batch; r++)
            {
                loss += _rowScores[r].Loss;
                correct += _rowScores[r].Correct ? 1 : 0;
            }

            TrainingProfile.Lap(TrainingProfile.Phase.RowGradients);
            return (loss, correct);
        }

        /// <summary>
        /// The task loss's gradients (and the data terms') of the data pass's rows <paramref name="from"/> … <paramref name="to"/> − 1,
        /// found in the kernel's scratch from row <paramref name="at"/> on.
        /// </summary>
        private void DataRows(int from, int to, int at)
        {
            int stride = _kernel.RowStride, output = _kernel.Offset(_shape.Layers.Length - 1), batch = _passRows, start = _passStart;
            Span<float> activations = _kernel.Activations, g = _kernel.Gradients;
            ReadOnlySpan<byte> labels = _train.Labels;
            int[] order = _passOrder;
            Term[] terms = _passTerms;
            for (int r = from; r < to; r++)
            {
                int row = (at + r - from) * stride;
                float y = activations[row + output];
                int label = labels[order[start + r]];
                (double l, float dy) = PreferenceTrainer.Loss(_options.Loss, _outputActivation, y, label, _threshold);
                _rowScores[r] = (l, (y > _threshold) == (label == 1));
                g[row + output] = dy / batch;
                for (int t = 0; t < terms.Length; t++)
                {
                    AddTermGradient(terms[t], _passCoefficients[t], activations.Slice(row, stride), g.Slice(row, stride), batch);
                }
            }
        }

        /// <summary>
        /// Fresh samples of the terms' distribution forward and back, with the terms' surrogate gradients: one fused pass
        /// unless a penalty term needs the samples' surrogate rate first.
        /// </summary>
        private void SamplePass(Term[] terms)
        {
            int stride = _kernel.RowStride, n = _options.SurrogateSamplesPerStep;
            byte[] samples = SampleCodes(terms[0], n);
            TrainingProfile.Lap(TrainingProfile.Phase.Codes);
            (_passRows, _passTerms) = (n, terms);
            if (terms.All(t => !NeedsRate(t)))
            {
                _passCoefficients = [.. terms.Select(t => Coefficient(t, [], n, stride))];
                _kernel.Pass(samples, n, _sampleRows);
            }
            else
            {
                _kernel.Forward(samples, n);
                _kernel.ClearGradients(n);
                _passCoefficients = [.. terms.Select(t => Coefficient(t, _kernel.Activations, n, stride))];
                SampleRows(0, n, 0);
                _kernel.Backward(samples, n);
            }
        }

        /// <summary>The terms' surrogate gradients of the sample pass's rows <paramref name="from"/> … <paramref name="to"/> − 1 (in the scratch from <paramref name="at"/>).</summary>
        private void SampleRows(int from, int to, int at) => AddSampleGradients(_passTerms, _passCoefficients, _passRows, from, to, at);

        /// <summary>
        /// The surrogate gradients of <paramref name="terms"/> at the pass's rows <paramref name="from"/> … <paramref name="to"/> − 1
        /// (found in the kernel's scratch from row <paramref name="at"/> on), of <paramref name="n"/> samples.
        /// </summary>
        private void AddSampleGradients(Term[] terms, double[] coefficients, int n, int from, int to, int at)
        {
            int stride = _kernel.RowStride;
            Span<float> activations = _kernel.Activations, g = _kernel.Gradients;
            for (int s = at; s < at + to - from; s++)
            {
                for (int t = 0; t < terms.Length; t++)
                {
                    AddTermGradient(terms[t], coefficients[t], activations.Slice(s * stride, stride), g.Slice(s * stride, stride), n);
                }
            }
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

        private (double Loss, double Accuracy) LossAndAccuracy(TernaryDataset data)
        {
            Scores scores = Measure(data);
            return (scores.Loss, scores.Accuracy);
        }

        private EpochReport Evaluate(int epoch, double trainLoss, double trainAccuracy)
        {
            (double validationLoss, double validationAccuracy) = _validation is null ? (double.NaN, double.NaN) : LossAndAccuracy(_validation);
            var statuses = new List<PreferenceStatus>();
            Dictionary<Term, (long Hits, long Trials)>? halfCube = null;
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
                else if (term.HalfCube)
                {
                    // Projected by the closed form: one shared sample for all such terms, clipped to what the proof gives.
                    halfCube ??= HalfCubeEstimates(_options.EvaluationSamples);
                    (long hits, long trials) = halfCube[term];
                    RateInterval interval = ClopperPearson.Interval(hits, trials, 0.95);
                    (rate, lower, upper) = ClipToProof(term, interval.Estimate, interval.Lower, interval.Upper);
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
    }
}
