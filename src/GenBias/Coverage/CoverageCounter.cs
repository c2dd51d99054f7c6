using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace GenBias;

/// <summary>Settings of <see cref="CoverageCounter.Count"/>.</summary>
public sealed record CountOptions
{
    /// <summary>Threads counting disjoint sub-cubes at once.</summary>
    public int MaxParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Sub-cubes with this many free inputs are enumerated with a ternary Gray code.</summary>
    public int LeafFreeInputs { get; init; } = 11;

    /// <summary>The inputs fixed at the top level: 3^SplitDepth sub-cubes, the unit of parallelism, progress and checkpoints.</summary>
    public int SplitDepth { get; init; } = 6;

    /// <summary>Whether to skip sub-cubes whose outcome interval bounds already decide.</summary>
    public bool Prune { get; init; } = true;

    /// <summary>
    /// Whether pruning also uses the linear bound of a layer-1 preference (a linear relaxation of the first layer's
    /// activation, exact over the ternary box), which decides far more sub-cubes of trained networks than interval
    /// bounds alone. False keeps interval bounds only (for comparison).
    /// </summary>
    public bool LinearBounds { get; init; } = true;

    /// <summary>
    /// Whether the counting leaf (tanh hidden layer, preference on layer 1) first evaluates each input from the
    /// addition theorem of tanh (one exact tanh per hidden neuron and Gray-code step, the tabled inputs' tanh once per
    /// count, no activation per input) with a proved error bound, and decides it when the resulting interval of the
    /// pre-activation lies wholly inside or outside the preference; only the inputs this leaves open are evaluated
    /// exactly. The count is the same either way; false evaluates every input exactly (for comparison).
    /// </summary>
    public bool BoundedFirstPass { get; init; } = true;

    /// <summary>Where to keep a resumable checkpoint of the finished sub-cubes (null for none).</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>How often the checkpoint is rewritten while counting.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Meet in the middle for a first-layer neuron (the fast exact method); false forces enumeration.</summary>
    public bool AllowMeetInTheMiddle { get; init; } = true;
}

/// <summary>Progress of an exact count.</summary>
/// <param name="SubCubesDone">Top-level sub-cubes finished (including those restored from a checkpoint).</param>
/// <param name="SubCubesTotal">All top-level sub-cubes.</param>
/// <param name="Elapsed">Time since this call started.</param>
/// <param name="SubCubesRestored">Sub-cubes already finished in the checkpoint when this call started.</param>
public sealed record CountProgress(long SubCubesDone, long SubCubesTotal, TimeSpan Elapsed, long SubCubesRestored = 0)
{
    /// <summary>The estimated time left, from this call's pace (null before its first sub-cube).</summary>
    public TimeSpan? Remaining => SubCubesDone == SubCubesRestored ? null
        : Elapsed / (SubCubesDone - SubCubesRestored) * (SubCubesTotal - SubCubesDone);
}

/// <summary>The exact number of (input, neuron) pairs meeting a preference's interval over the whole cube.</summary>
/// <param name="Count">The pairs whose activation lies in the interval.</param>
/// <param name="Total">All pairs: 3^n times the number of neurons of the preference.</param>
/// <param name="Method"><see cref="CountMethod.MeetInTheMiddle"/> or <see cref="CountMethod.Enumeration"/>.</param>
/// <param name="Elapsed">Time taken by this call.</param>
/// <param name="DecidedByBounds">The fraction of the cube decided by interval bounds without enumeration.</param>
public sealed record CountResult(long Count, long Total, CountMethod Method, TimeSpan Elapsed, double DecidedByBounds)
{
    /// <summary>Where the count ran when not in this process (for example "3 silos (Orleans)"); null here.</summary>
    public string? ComputedOn { get; init; }

    /// <summary>Sub-cubes whose counts were read from a checkpoint instead of counted by this run (0 when none).</summary>
    public long SubCubesRestored { get; init; }

    /// <summary>Count / Total.</summary>
    public double Fraction => (double)Count / Total;
}

/// <summary>
/// Counts exactly how many of the 3^n inputs meet a preference, agreeing bit for bit with the generated
/// <c>Forward</c>: meet in the middle for first-layer neurons, otherwise enumeration with a ternary Gray code over
/// integer first-layer accumulators, SIMD activations, interval-bound pruning, threads over disjoint sub-cubes, and a
/// resumable checkpoint. The first layer must be on <see cref="FixedPointGrid"/> (the trainer keeps it there):
/// that is what makes every order of summation give the bits of Forward.
/// </summary>
public static class CoverageCounter
{
    /// <summary>The most inputs counted exactly.</summary>
    public const int MaxInputs = 32;

    /// <summary>Counts the inputs of the uniform cube whose activations meet <paramref name="preference"/>'s interval.</summary>
    /// <exception cref="ArgumentException">The preference is not over the uniform cube, or the network has more than <see cref="MaxInputs"/> inputs.</exception>
    /// <exception cref="InvalidOperationException">The first layer is not on the grid.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; finished sub-cubes are in the checkpoint, if one is kept.</exception>
    public static CountResult Count(ITernaryNetwork network, Preference preference, CountOptions? options = null,
        IProgress<CountProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new CountOptions();
        NetworkShape shape = network.Shape;
        float[] parameters = Countable(network, preference, shape.InputCount);

        var clock = Stopwatch.StartNew();
        int layerIndex = preference.ResolveLayer(shape);
        LayerShape layer = shape.Layers[layerIndex];
        int[] neurons = preference.Neuron is int single ? [single] : [.. Enumerable.Range(0, layer.Width)];
        long cube = Pow3(shape.InputCount);
        long total = checked(cube * neurons.Length);
        if (layerIndex == 0 && options.AllowMeetInTheMiddle)
        {
            long count = 0;
            foreach (int k in neurons)
            {
                (int[] weights, long bias) = FirstLayerIntegers(shape, parameters, k);
                count += MeetInTheMiddle.Count(weights, bias, layer.Activation, preference.Interval, cancellationToken);
            }

            progress?.Report(new CountProgress(1, 1, clock.Elapsed));
            return new CountResult(count, total, CountMethod.MeetInTheMiddle, clock.Elapsed, 0);
        }

        var enumerator = new LayeredEnumerator(shape, parameters, preference, neurons, options);
        (long counted, long decided) = enumerator.Run(progress, clock, cancellationToken);
        return new CountResult(counted, total, CountMethod.Enumeration, clock.Elapsed, (double)decided / cube);
    }

    /// <summary>
    /// Whether an exact count takes milliseconds: a first-layer neuron (meet in the middle) or a cube of at most
    /// 3^12 inputs, over the uniform cube, with the first layer on the grid. Needs no timing.
    /// </summary>
    public static bool IsCheap(ITernaryNetwork network, Preference preference)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        NetworkShape shape = network.Shape;
        return preference.Distribution == PreferenceDistribution.UniformCube && shape.InputCount <= MaxInputs &&
               (preference.ResolveLayer(shape) == 0 || shape.InputCount <= 12) &&
               FixedPointGrid.IsFirstLayerOnGrid(shape, network.Parameters);
    }

    /// <summary>
    /// Seconds per input of plain enumeration (no pruning), timed on one sub-cube of 3^<paramref name="freeInputs"/>
    /// inputs with the rest fixed at 0 (the median of three timings after a warm-up): the basis of a projected count time.
    /// </summary>
    public static double MeasureSecondsPerInput(ITernaryNetwork network, Preference preference, int freeInputs)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        NetworkShape shape = network.Shape;
        int n = shape.InputCount;
        int free = Math.Min(freeInputs, n);
        float[] parameters = network.Parameters.ToArray();
        int layerIndex = preference.ResolveLayer(shape);
        int[] neurons = preference.Neuron is int single ? [single] : [.. Enumerable.Range(0, shape.Layers[layerIndex].Width)];
        var enumerator = new LayeredEnumerator(shape, parameters, preference,
            neurons, new CountOptions { Prune = false, LeafFreeInputs = free, SplitDepth = n - free, MaxParallelism = 1 });
        // Small sub-cubes first, twice with a pause: a real count calls the leaf tens of thousands of times, so the
        // runtime recompiles it optimised (tiered compilation); a single long call would time unoptimised code.
        var warm = new LayeredEnumerator(shape, parameters, preference, neurons,
            new CountOptions { Prune = false, LeafFreeInputs = Math.Min(free, 6), SplitDepth = n - Math.Min(free, 6), MaxParallelism = 1 });
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < 64; i++)
            {
                warm.CountOneSubCube(i);
            }

            Thread.Sleep(200);
        }

        // The timed sub-cube itself once untimed (its own loops reach optimised code), then the median of three: one
        // timing of a few milliseconds is at the mercy of a preempted thread or a late recompilation.
        long middle = CoverageCounter.Pow3(n - free) / 2;
        enumerator.CountOneSubCube(middle);
        Thread.Sleep(200);
        double[] seconds = new double[3];
        for (int round = 0; round < seconds.Length; round++)
        {
            var clock = Stopwatch.StartNew();
            enumerator.CountOneSubCube(middle);
            seconds[round] = clock.Elapsed.TotalSeconds;
        }

        Array.Sort(seconds);
        return seconds[1] / Pow3(free);
    }

    /// <summary>A hash of the shape and the parameter bits, naming the network a count or certificate belongs to.</summary>
    public static string NetworkHash(ITernaryNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        byte[] shape = System.Text.Encoding.UTF8.GetBytes(network.Shape.ToString());
        byte[] bits = new byte[network.Parameters.Length * 4];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(network.Parameters).CopyTo(bits);
        return Convert.ToHexString(SHA256.HashData([.. shape, .. bits]))[..16].ToLowerInvariant();
    }

    /// <summary>
    /// The checks every exact count makes (a valid preference over the uniform cube, at most <see cref="MaxInputs"/>
    /// inputs left to count, the first layer on the grid); returns a copy of the parameters.
    /// </summary>
    internal static float[] Countable(ITernaryNetwork network, Preference preference, int inputsCounted)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        NetworkShape shape = network.Shape;
        preference.Validate(shape);
        if (preference.Distribution != PreferenceDistribution.UniformCube)
        {
            throw new ArgumentException($"{preference}: exact counts are over the uniform cube; estimate other distributions with RateEstimator.", nameof(preference));
        }

        if (inputsCounted > MaxInputs)
        {
            throw new ArgumentException($"{shape}: {inputsCounted} inputs to count; exact counting handles up to {MaxInputs}. Use RateEstimator.", nameof(network));
        }

        float[] parameters = network.Parameters.ToArray();
        if (!FixedPointGrid.IsFirstLayerOnGrid(shape, parameters))
        {
            throw new InvalidOperationException(
                "The first layer is not on FixedPointGrid, so the order of summation changes the bits and no count can be exact; call FixedPointGrid.SnapFirstLayer (the trainer does).");
        }

        return parameters;
    }

    internal static long Pow3(int k)
    {
        long p = 1;
        for (int i = 0; i < k; i++)
        {
            p = checked(p * 3);
        }

        return p;
    }

    /// <summary>Neuron k of the first layer as exact integers in units of 2^-16.</summary>
    internal static (int[] Weights, long Bias) FirstLayerIntegers(NetworkShape shape, float[] parameters, int k)
    {
        LayerShape first = shape.Layers[0];
        int[] weights = new int[first.InputCount];
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = (int)(parameters[first.WeightIndex(k, i)] * 65536f);
        }

        return (weights, (long)(parameters[first.BiasIndex(k)] * 65536f));
    }

    /// <summary>Enumeration for networks whose preference lies beyond the first layer.</summary>
    internal sealed class LayeredEnumerator
    {
        private readonly NetworkShape _shape;
        private readonly Preference _preference;
        private readonly int[] _neurons;
        private readonly CountOptions _options;
        private readonly int _n;
        private readonly int _hidden;          // first-layer width
        private readonly int _paddedHidden;    // rounded up to 16
        private readonly int[] _order;         // inputs in the order they are fixed
        private readonly int[][] _columns;     // _columns[i][k] = W_ki as an integer, padded to _paddedHidden
        private readonly int[] _bias;          // first-layer biases as integers, padded
        private readonly long[] _columnAbs;    // per (position in order, k): |W|, flattened
        private readonly float[] _packed;      // the packed layout (ParameterPacking) of every layer
        private readonly int[] _packedOffsets;
        private readonly float[] _parameters;
        private readonly int _targetLayer;
        private readonly string _signature;
        private readonly InnerTable? _innerTable;          // the lanes-are-inputs leaf for a preference on layer 1

        public LayeredEnumerator(NetworkShape shape, float[] parameters, Preference preference, int[] neurons, CountOptions options)
        {
            _shape = shape;
            _preference = preference;
            _neurons = neurons;
            _options = options;
            _parameters = parameters;
            _n = shape.InputCount;
            _targetLayer = preference.ResolveLayer(shape);
            LayerShape first = shape.Layers[0];
            _hidden = first.Width;
            _paddedHidden = ShapeRules.PaddedWidth(_hidden);
            _columns = new int[_n][];
            _bias = new int[_paddedHidden];
            for (int k = 0; k < _hidden; k++)
            {
                _bias[k] = (int)(parameters[first.BiasIndex(k)] * 65536f);
            }

            int[][] byInput = new int[_n][];
            for (int i = 0; i < _n; i++)
            {
                byInput[i] = new int[_paddedHidden];
                for (int k = 0; k < _hidden; k++)
                {
                    byInput[i][k] = (int)(parameters[first.WeightIndex(k, i)] * 65536f);
                }
            }

            // Fix the inputs with the largest weights first: their sub-cubes have the tightest bounds.
            _order = [.. Enumerable.Range(0, _n).OrderByDescending(i => byInput[i].Sum(w => Math.Abs((long)w))).ThenBy(i => i)];
            for (int p = 0; p < _n; p++)
            {
                _columns[p] = byInput[_order[p]];
            }

            _columnAbs = new long[_n * _hidden];
            for (int p = 0; p < _n; p++)
            {
                for (int k = 0; k < _hidden; k++)
                {
                    _columnAbs[(p * _hidden) + k] = Math.Abs((long)_columns[p][k]);
                }
            }

            _packed = new float[ParameterPacking.PackedSize(shape) + 32];
            ParameterPacking.Pack(shape, parameters, _packed);
            _packedOffsets = new int[shape.Layers.Length];
            int offset = 0;
            for (int l = 0; l < shape.Layers.Length; l++)
            {
                _packedOffsets[l] = offset;
                offset += ShapeRules.PackedLayerSize(shape.Layers[l].InputCount, shape.Layers[l].Width);
            }

            if (_targetLayer == 1 && Vector256.IsHardwareAccelerated && _hidden <= InnerTable.MaxHidden)
            {
                _innerTable = new InnerTable(this, Math.Min(InnerTable.MaxInner, _n));
            }

            _signature = $"{shape}|{preference}|{Convert.ToHexString(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(parameters.AsSpan())))}|{SplitDepth}|{string.Join(",", _order)}";
        }

        internal int SplitDepth => Math.Clamp(_options.SplitDepth, 0, Math.Max(0, _n - 1));

        internal string Signature => _signature;

        internal int InputCount => _n;

        internal (long Count, long Decided) CountSubCube(long index, CancellationToken cancellationToken) =>
            new Worker(this).CountSubCube(index, SplitDepth, cancellationToken);

        public long CountOneSubCube(long index) => new Worker(this).CountSubCube(index, SplitDepth, CancellationToken.None).Count;

        public (long Count, long Decided) Run(IProgress<CountProgress>? progress, Stopwatch clock, CancellationToken cancellationToken)
        {
            int depth = SplitDepth;
            long subCubes = Pow3(depth);
            CountCheckpoint state = CountCheckpoint.Load(_options.CheckpointPath, _signature) ?? new CountCheckpoint { Signature = _signature };
            state.Check(_options.CheckpointPath ?? "", subCubes, Pow3(_n - depth), _neurons.Length);
            object gate = new();
            var lastSave = Stopwatch.StartNew();
            var pending = Enumerable.Range(0, (int)subCubes).Where(s => !state.Done.ContainsKey(s)).ToArray();
            int restored = state.Done.Count;
            progress?.Report(new CountProgress(restored, subCubes, clock.Elapsed, restored));
            try
            {
                Parallel.ForEach(pending, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxParallelism), CancellationToken = cancellationToken }, s =>
                {
                    var worker = new Worker(this);
                    (long count, long decided) = worker.CountSubCube(s, depth, cancellationToken);
                    lock (gate)
                    {
                        state.Done[s] = [count, decided];
                        if (_options.CheckpointPath is not null && lastSave.Elapsed >= _options.CheckpointInterval)
                        {
                            state.Save(_options.CheckpointPath);
                            lastSave.Restart();
                        }

                        progress?.Report(new CountProgress(state.Done.Count, subCubes, clock.Elapsed, restored));
                    }
                });
            }
            catch (OperationCanceledException)
            {
                lock (gate)
                {
                    if (_options.CheckpointPath is not null)
                    {
                        state.Save(_options.CheckpointPath);
                    }
                }

                throw;
            }

            if (_options.CheckpointPath is not null)
            {
                state.Save(_options.CheckpointPath);
            }

            return (state.Done.Values.Sum(v => v[0]), state.Done.Values.Sum(v => v[1]));
        }

        /// <summary>
        /// The leaf with inputs in lanes, for a preference on layer 1: the last <see cref="Inner"/> inputs of the order
        /// (243 combinations for five) have their first-layer contributions in a table, one row of lanes per hidden
        /// neuron; the other free inputs move by a ternary Gray code in the accumulators. For eight combinations at
        /// once, each hidden neuron is one integer add, an exact conversion and the shared activation over a full
        /// vector, and each target neuron's pre-activation is broadcast-weight multiply-adds into its eight partial
        /// sums, lane by lane in the canonical order, then the fixed tree: the bits of Forward, with no horizontal
        /// reduction. The pre-activation is classified against the exact member ranges of the target activation.
        /// </summary>
        private sealed class InnerTable
        {
            public const int MaxInner = 5;
            public const int MaxHidden = 256;

            private readonly LayeredEnumerator _e;
            private readonly int _lanes;             // 3^Inner rounded up to whole vectors of 8 (to groups of eight vectors from 3^4 on: the first pass's unit)
            private readonly int[] _table;            // hidden neuron k's contributions to combination c at c·hidden + 8k + c % 8 (c − c % 8 = the block of eight)
            private readonly float[][] _weights;     // per target neuron: its layer-1 weights
            private readonly float[] _biases;
            private readonly int[] _members;         // ordered-float ranges of the target pre-activation, low/high pairs
            private readonly Activation _hiddenActivation;
            private readonly bool _bounded;           // the first pass with TanhAddition
            private readonly float[] _tanhTable;      // Tanh of each tabled contribution, laid out as _table
            private readonly float[][] _inverseWeights; // per target neuron: 1/w per hidden neuron (TanhAddition.Inverse), padded with the largest float
            private readonly float[][] _weightScales;   // per target neuron: the factor turning A into A/w (TanhAddition.Scale), padded with 0
            private readonly float[] _leftOut;          // per target neuron: Σ|w| over the weights the first pass leaves out (TanhAddition.SmallestWeight), rounded up
            private readonly float[][] _absoluteWeights; // per target neuron: |w| padded with zeros to a multiple of 8
            private readonly float[] _betaPlusDelta;   // per hidden neuron (padded to 8): β + δ rounded up, β the largest |Tanh| of its tabled contributions
            private readonly float[][] _fractionFrom;  // per target neuron and hidden neuron (padded to 8): the |A| from which the first pass takes the partial-fraction form (∞: never)
            private readonly float[][] _fractionFromLoose; // the same for LooseFractionFactor: after a step that left no vector open
            private readonly float _delta, _conditioned, _flat, _estimateConditioned, _estimateFlat, _reciprocal; // TanhAddition's error constants, read once, rounded up
            private readonly float[] _memberValues;  // the member ranges as float values, low/high pairs
            private readonly float _widestLow, _widestHigh, _hullLow, _hullHigh; // the first pass's classification: inside the widest member range, outside their hull
            private readonly int[] _innerRadius;      // per hidden neuron (padded to 8): Σ |W| over the tabled inputs
            private readonly float[][] _paddedWeights; // per target neuron: its layer-1 weights padded with zeros to 8
            private readonly float[] _magnitudes;     // per target neuron: Σ|w| + |bias|, for the rounding margin
            private readonly float _tolerance;        // how far the hidden activation may fall between increasing inputs

            public InnerTable(LayeredEnumerator e, int inner)
            {
                _e = e;
                Inner = inner;
                Combinations = (int)Pow3(inner);
                // From 81 combinations on the first pass runs eight vectors at a time throughout: a last vector or three on
                // their own would be latency-bound (one running sum), and cost more than the masked lanes of a whole group.
                int unit = Combinations > 32 ? 64 : 8;
                _lanes = (Combinations + unit - 1) / unit * unit;
                _table = new int[e._hidden * _lanes];
                for (int c = 0; c < _lanes; c++)
                {
                    // Lanes past the last combination repeat combination 0; they are masked out of the count.
                    int rest = c < Combinations ? c : 0;
                    Span<int> lane = _table.AsSpan((c - (c % 8)) * e._hidden);
                    for (int d = 0; d < inner; d++, rest /= 3)
                    {
                        int x = (rest % 3) - 1;
                        if (x == 0)
                        {
                            continue;
                        }

                        int[] column = e._columns[e._n - inner + d];
                        for (int k = 0, at = c % 8; k < e._hidden; k++, at += 8)
                        {
                            lane[at] += x * column[k];
                        }
                    }
                }

                LayerShape target = e._shape.Layers[1];
                _hiddenActivation = e._shape.Layers[0].Activation;
                _weights = [.. e._neurons.Select(j => e._parameters.AsSpan(target.WeightIndex(j, 0), target.InputCount).ToArray())];
                _biases = [.. e._neurons.Select(j => e._parameters[target.BiasIndex(j)])];
                // Every target neuron shares the layer's activation and the preference's interval.
                _members = [.. NeuronMembership.FloatMembers(target.Activation, e._preference.Interval)
                    .SelectMany(r => new[] { (int)r.Low, (int)r.High })];
                _memberValues = [.. _members.Select(m => NeuronMembership.FromOrdered(m))];
                // The first pass decides a lane inside when its interval lies in the widest member range, outside when
                // it lies outside their hull; the rest (the activation's last-bit wiggle leaves a few short ranges
                // beside the wide one for some thresholds) goes to the refined and the exact pass. No range: all outside.
                (_widestLow, _widestHigh, _hullLow, _hullHigh) = (float.PositiveInfinity, float.NegativeInfinity, float.PositiveInfinity, float.NegativeInfinity);
                if (_members.Length > 0)
                {
                    int widest = Enumerable.Range(0, _members.Length / 2).MaxBy(r => (long)_members[(2 * r) + 1] - _members[2 * r]);
                    (_widestLow, _widestHigh) = (_memberValues[2 * widest], _memberValues[(2 * widest) + 1]);
                    (_hullLow, _hullHigh) = (_memberValues[0], _memberValues[^1]);
                }
                _bounded = e._options.BoundedFirstPass && _hiddenActivation == Activation.Tanh && TanhAddition.IsSupported;
                _tanhTable = new float[_bounded ? _table.Length : 0];
                for (int i = 0; i < _tanhTable.Length; i += 8)
                {
                    ActivationMath.Tanh(Vector256.ConvertToSingle(Vector256.Create(_table.AsSpan(i, 8))) * Vector256.Create(FixedPointGrid.Step)).CopyTo(_tanhTable.AsSpan(i, 8));
                }

                int paddedWidth = e._paddedHidden;
                _inverseWeights = [.. _weights.Select(w => { float[] v = new float[paddedWidth]; Array.Fill(v, float.MaxValue); for (int k = 0; k < w.Length; k++) { v[k] = TanhAddition.Inverse(w[k]); } return v; })];
                _weightScales = [.. _weights.Select(w => { float[] v = new float[paddedWidth]; for (int k = 0; k < w.Length; k++) { v[k] = TanhAddition.Scale(w[k]); } return v; })];
                _leftOut = [.. _weights.Select(w => Up(w.Where(x => Math.Abs(x) < TanhAddition.SmallestWeight).Sum(x => (double)Math.Abs(x))))];

                int octets = (e._hidden + 7) / 8 * 8;
                _absoluteWeights = [.. _weights.Select(w => { float[] a = new float[octets]; for (int k = 0; k < w.Length; k++) { a[k] = Math.Abs(w[k]); } return a; })];
                double[] betaPlusDelta = new double[octets];
                if (_bounded)
                {
                    (_delta, _conditioned, _flat) = (Up(TanhAddition.ActivationError), Up(TanhAddition.ConditionedError), Up(TanhAddition.FlatError));
                    (_estimateConditioned, _estimateFlat) = (Up(TanhAddition.EstimateConditionedError), Up(TanhAddition.EstimateFlatError));
                    _reciprocal = Up(TanhAddition.ReciprocalError);
                }

                // Block by block (eight combinations), each hidden neuron's eight lanes in turn.
                for (int i = 0; i < _tanhTable.Length; i += 8 * e._hidden)
                {
                    for (int k = 0; k < e._hidden; k++)
                    {
                        for (int l = i + (8 * k); l < i + (8 * k) + 8; l++)
                        {
                            betaPlusDelta[k] = Math.Max(betaPlusDelta[k], Math.Abs(_tanhTable[l]) + (double)_delta);
                        }
                    }
                }

                _betaPlusDelta = [.. betaPlusDelta.Select(Up)];

                // The partial-fraction form's rounding is M/|w| = (1 − A²)√κ/|A| times the quotient form's (κ as above): a neuron
                // takes it from the |A| on which that factor stays at most FractionFactor (a threshold, so that the choice
                // costs one comparison per step; the bound is computed for the form taken).
                // Where the pre-activations lie far from the preference's ends, a looser bound decides as much: after a step that
                // left no vector open, the next takes the form from LooseFractionFactor on.
                _fractionFrom = Thresholds(FractionFactor);
                _fractionFromLoose = Thresholds(LooseFractionFactor);

                int padded = (e._hidden + 7) / 8 * 8;
                _innerRadius = new int[padded];
                for (int k = 0; k < e._hidden; k++)
                {
                    for (int d = 0; d < inner; d++)
                    {
                        _innerRadius[k] += Math.Abs(e._columns[e._n - inner + d][k]);
                    }
                }

                _paddedWeights = [.. _weights.Select(w => { float[] p = new float[padded]; w.CopyTo(p, 0); return p; })];

                // Per target neuron: each hidden neuron's |A| threshold for the partial-fraction form at this factor (∞ for
                // padding, a weight left out, or no bounded pass).
                float[][] Thresholds(double factor) => [.. _absoluteWeights.Select(w => Enumerable.Range(0, octets).Select(k => k < e._hidden && w[k] >= TanhAddition.SmallestWeight && _bounded
                    ? FractionThreshold(betaPlusDelta[k], _delta, factor) : float.PositiveInfinity).ToArray())];
                _magnitudes = [.. _weights.Select((w, t) => w.Sum(Math.Abs) + Math.Abs(_biases[t]))];
                _tolerance = (float)NeuronMembership.Tolerance(_hiddenActivation);
            }

            /// <summary>3^Inner rounded up to whole vectors of eight.</summary>
            public int Lanes => _lanes;

            /// <summary>The inputs whose contributions are tabled (the last of the order).</summary>
            public int Inner { get; }

            /// <summary>3^Inner.</summary>
            public int Combinations { get; }

            /// <summary>Counts the sub-cube whose first <paramref name="fixedInputs"/> inputs (of the order) are in the worker's accumulators.</summary>
            public (long Count, long Decided) Count(Worker worker, int fixedInputs) => _hiddenActivation switch
            {
                Activation.Tanh => Count<TanhLanes>(worker, fixedInputs),
                Activation.HardTanh => Count<HardTanhLanes>(worker, fixedInputs),
                Activation.Sigmoid => Count<SigmoidLanes>(worker, fixedInputs),
                Activation.ReLU => Count<ReLULanes>(worker, fixedInputs),
                Activation.Linear => Count<LinearLanes>(worker, fixedInputs),
                _ => Count<TernaryStepLanes>(worker, fixedInputs),
            };

            private (long Count, long Decided) Count<TActivation>(Worker worker, int fixedInputs)
                where TActivation : struct, ILaneActivation
            {
                int[] acc = worker.Accumulators;
                int outer = _e._n - fixedInputs - Inner;
                int hidden = _e._hidden;
                // Every outer free input starts at -1.
                for (int p = fixedInputs; p < fixedInputs + outer; p++)
                {
                    Worker.Add(acc, _e._columns[p], -1);
                }

                Span<int> digit = stackalloc int[Math.Max(1, outer)];
                Span<int> direction = stackalloc int[Math.Max(1, outer)];
                digit.Clear();
                direction.Fill(1);
                long count = 0, decided = 0;
                long steps = Pow3(outer);
                // The bounds over the tabled inputs are tried at every step while they decide; after a step they leave
                // open the next 1, 2, 4, … 16 steps skip them (where the boundary runs through every step, as in most
                // of a trained network's cube, they cost a tenth of a step and decide nothing).
                int skip = 0, backoff = 1;
                Looseness loose = default;
                for (long s = 0; ; s++)
                {
                    bool allDecided = true;
                    bool tryBounds = _e._options.Prune && skip == 0;
                    skip = Math.Max(0, skip - 1);
                    for (int t = 0; t < _e._neurons.Length; t++)
                    {
                        // All 3^Inner combinations at once first: interval bounds over the tabled inputs often decide them.
                        int decision = tryBounds ? DecideCombinations<TActivation>(acc, t) : 0;
                        if (tryBounds && t == 0)
                        {
                            (skip, backoff) = decision == 0 ? (backoff, Math.Min(2 * backoff, 16)) : (0, 1);
                        }

                        count += decision > 0 ? Combinations : decision < 0 ? 0 : CountCombinations<TActivation>(acc, worker.Outer, t, ref loose);
                        // The cube fraction decided is per input: count it when every target neuron was decided.
                        decided += decision != 0 && t == _e._neurons.Length - 1 && allDecided ? Combinations : 0;
                        allDecided &= decision != 0;
                    }

                    if (s == steps - 1)
                    {
                        break;
                    }

                    int d = GrayCode.Step(digit, direction);
                    Worker.Add(acc, _e._columns[fixedInputs + d], direction[d]);
                }

                // Back to the caller's state: undo each outer input's last value.
                for (int d = 0; d < outer; d++)
                {
                    Worker.Add(acc, _e._columns[fixedInputs + d], -(digit[d] - 1));
                }

                return (count, decided);
            }

            /// <summary>
            /// +1 if every one of the 3^Inner combinations puts target neuron t in its interval, −1 if none does, 0 if
            /// undecided: each hidden neuron's pre-activation lies within ±(Σ|W| over the tabled inputs) of its
            /// accumulator, the activation is non-decreasing there up to its tolerance, so each weighted term lies
            /// between the products at the two ends; the margin covers the rounding of both the bound and the exact sum.
            /// </summary>
            private int DecideCombinations<TActivation>(int[] acc, int t)
                where TActivation : struct, ILaneActivation
            {
                ref int accumulators = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(acc);
                ref int radius = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_innerRadius);
                ref float weights = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_paddedWeights[t]);
                Vector256<float> step = Vector256.Create(FixedPointGrid.Step), tolerance = Vector256.Create(_tolerance);
                Vector256<float> low = Vector256<float>.Zero, high = Vector256<float>.Zero;
                for (int k = 0; k < _innerRadius.Length; k += 8)
                {
                    Vector256<int> a = Vector256.LoadUnsafe(ref accumulators, (nuint)k), r = Vector256.LoadUnsafe(ref radius, (nuint)k);
                    Vector256<float> lowest = TActivation.Apply(Vector256.ConvertToSingle(a - r) * step) - tolerance;
                    Vector256<float> highest = TActivation.Apply(Vector256.ConvertToSingle(a + r) * step) + tolerance;
                    Vector256<float> w = Vector256.LoadUnsafe(ref weights, (nuint)k);
                    low += Vector256.Min(w * lowest, w * highest);
                    high += Vector256.Max(w * lowest, w * highest);
                }

                float margin = (1e-5f * _magnitudes[t]) + 1e-6f;
                float lo = Vector256.Sum(low) + _biases[t] - margin, hi = Vector256.Sum(high) + _biases[t] + margin;
                (uint inside, uint open) = Classify(Vector256.Create(lo), Vector256.Create(hi));
                return (open & 1) != 0 ? 0 : (inside & 1) != 0 ? 1 : -1;
            }

            /// <summary>How many of the 3^Inner combinations put target neuron t in its interval, the accumulators fixed.</summary>
            private long CountCombinations<TActivation>(int[] acc, float[] outer, int t, ref Looseness loose)
                where TActivation : struct, ILaneActivation
            {
                ref int table = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_table);
                ref int accumulators = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(acc);
                ref float weights = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_weights[t]);
                Vector256<float> bias = Vector256.Create(_biases[t]);
                long count = 0;
                if (_bounded)
                {
                    (float estimateBound, float refinedBound, float start, int fractions, int quotients) = PrepareFirstPass(acc, outer, t, loose.Loose);
                    Vector256<float> estimate = Vector256.Create(estimateBound), refined = Vector256.Create(refinedBound);
                    ref float tanh = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_tanhTable);
                    ref float inverse = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_inverseWeights[t]);
                    ref float steps = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(outer);
                    ref float sums = ref System.Runtime.CompilerServices.Unsafe.Add(ref steps, 2 * acc.Length);
                    ref float poles = ref Unsafe.Add(ref sums, _lanes);
                    ref float fractionList = ref Unsafe.Add(ref poles, 2 * acc.Length);
                    // The vectors the estimate decides are counted in one tight loop, which lists the others; only those
                    // go on to the refined and the exact pass.
                    Span<int> undecided = stackalloc int[_lanes / 8];
                    count = ClassifiedFirstPass(ref tanh, _lanes, _e._hidden, ref steps, ref poles, ref inverse, acc.Length,
                        ref fractionList, fractions, ref Unsafe.Add(ref fractionList, Column(acc.Length)), quotients, start, Combinations,
                        Vector256.Create(MathF.BitIncrement(_widestLow + estimateBound)), Vector256.Create(MathF.BitDecrement(_widestHigh - estimateBound)),
                        Vector256.Create(MathF.BitDecrement(_hullLow - estimateBound)), Vector256.Create(MathF.BitIncrement(_hullHigh + estimateBound)),
                        ref System.Runtime.InteropServices.MemoryMarshal.GetReference(undecided), out int open);
                    loose.After(open);
                    foreach (int c in undecided[..open])
                    {
                        uint valid = Valid(c, Combinations);
                        count += System.Numerics.BitOperations.PopCount(Refine<TActivation>(ref tanh, ref inverse, ref steps, ref sums, ref accumulators, ref table, ref weights, c, t, refined, bias, valid) & valid);
                    }

                    return count;
                }

                for (int c = 0; c < _lanes; c += 8)
                {
                    uint valid = Valid(c, Combinations);
                    uint inside = Members(PreActivation<TActivation>(ref accumulators, ref table, ref weights, c, bias));
                    count += System.Numerics.BitOperations.PopCount(inside & valid);
                }

                return count;
            }

            /// <summary>
            /// The lanes of block <paramref name="c"/> in the preference, for a block the estimate left open: the refined
            /// reciprocal's first pass and its (tighter) bound, then, if that leaves a lane open, the exact pre-activation.
            /// </summary>
            private uint Refine<TActivation>(ref float tanh, ref float inverse, ref float steps, ref float sums, ref int accumulators, ref int table, ref float weights,
                int c, int t, Vector256<float> refined, Vector256<float> bias, uint valid)
                where TActivation : struct, ILaneActivation
            {
                RefinedPass(ref tanh, ref inverse, c, _e._hidden, ref steps, _e._paddedHidden, _biases[t]);
                Vector256<float> second = Vector256.LoadUnsafe(ref sums, (nuint)c);
                (uint inside, uint open) = Classify(second - refined, second + refined);
                return (open & valid) != 0 ? Members(PreActivation<TActivation>(ref accumulators, ref table, ref weights, c, bias)) : inside;
            }

            /// <summary>
            /// The estimate tier of the first pass, classified in registers: the pre-activations of four blocks at a time
            /// (from <paramref name="start"/>, the bias plus the partial-fraction constants), each listed hidden neuron's
            /// term in its form of this step — the <paramref name="fractionCount"/> neurons listed in <paramref name="fractions"/>
            /// by <see cref="TanhAddition.AddFraction"/> (pole at k and coefficient at padded + k of <paramref name="poles"/>),
            /// then the <paramref name="quotientCount"/> in <paramref name="quotients"/> by <see cref="TanhAddition.AddTerm{TReciprocal}"/>
            /// (A at k and A/w at padded + k of <paramref name="outer"/>, 1/w in <paramref name="inverse"/>) — and each lane's
            /// interval (sum ± the estimate's bound) inside the widest member range (sum in [<paramref name="insideLow"/>,
            /// <paramref name="insideHigh"/>], the range shrunk by the bound) or outside the members' hull (sum below
            /// <paramref name="outsideLow"/> or above <paramref name="outsideHigh"/>); returns the lanes inside over the blocks
            /// it decides wholly and lists the blocks it leaves open (their first lane) in <paramref name="open"/>.
            /// </summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
            private static long ClassifiedFirstPass(ref float tanh, int lanes, int hidden, ref float outer, ref float poles, ref float inverse, int padded,
                ref float fractions, int fractionCount, ref float quotients, int quotientCount, float start, int combinations,
                Vector256<float> insideLow, Vector256<float> insideHigh, Vector256<float> outsideLow, Vector256<float> outsideHigh, ref int open, out int openCount)
            {
                nuint stride = (nuint)(8 * hidden);
                Vector256<float> first = Vector256.Create(start);
                long count = 0;
                int n = 0, c = 0;

                // Eight blocks at a time: eight running sums, so that the chain of sums (one fused multiply-add per neuron)
                // does not hold back the multiply pipes, which the eight blocks' terms keep busy.
                for (; c + 64 <= lanes; c += 64)
                {
                    ref float block = ref Unsafe.Add(ref tanh, c * hidden);
                    Vector256<float> s0 = first, s1 = first, s2 = first, s3 = first, s4 = first, s5 = first, s6 = first, s7 = first;
                    for (int j = 0; j < fractionCount; j++)
                    {
                        // This neuron's pole and coefficient, broadcast once for the eight blocks.
                        int k = Neuron(ref fractions, j);
                        ref float b = ref Unsafe.Add(ref block, 8 * k);
                        Vector256<float> pole = Vector256.Create(Unsafe.Add(ref poles, k)), coefficient = Vector256.Create(Unsafe.Add(ref poles, padded + k));
                        s0 = TanhAddition.AddFraction(s0, Vector256.LoadUnsafe(ref b), pole, coefficient);
                        s1 = TanhAddition.AddFraction(s1, Vector256.LoadUnsafe(ref b, stride), pole, coefficient);
                        s2 = TanhAddition.AddFraction(s2, Vector256.LoadUnsafe(ref b, 2 * stride), pole, coefficient);
                        s3 = TanhAddition.AddFraction(s3, Vector256.LoadUnsafe(ref b, 3 * stride), pole, coefficient);
                        s4 = TanhAddition.AddFraction(s4, Vector256.LoadUnsafe(ref b, 4 * stride), pole, coefficient);
                        s5 = TanhAddition.AddFraction(s5, Vector256.LoadUnsafe(ref b, 5 * stride), pole, coefficient);
                        s6 = TanhAddition.AddFraction(s6, Vector256.LoadUnsafe(ref b, 6 * stride), pole, coefficient);
                        s7 = TanhAddition.AddFraction(s7, Vector256.LoadUnsafe(ref b, 7 * stride), pole, coefficient);
                    }

                    for (int j = 0; j < quotientCount; j++)
                    {
                        // This neuron's A, A/w and 1/w, broadcast once for the eight blocks.
                        int k = Neuron(ref quotients, j);
                        ref float b = ref Unsafe.Add(ref block, 8 * k);
                        Vector256<float> av = Vector256.Create(Unsafe.Add(ref outer, k)), scaled = Vector256.Create(Unsafe.Add(ref outer, padded + k)), iv = Vector256.Create(Unsafe.Add(ref inverse, k));
                        s0 = TanhAddition.AddTerm<TanhAddition.Estimate>(s0, Vector256.LoadUnsafe(ref b), av, scaled, iv);
                        s1 = TanhAddition.AddTerm<TanhAddition.Estimate>(s1, Vector256.LoadUnsafe(ref b, stride), av, scaled, iv);
                        s2 = TanhAddition.AddTerm<TanhAddition.Estimate>(s2, Vector256.LoadUnsafe(ref b, 2 * stride), av, scaled, iv);
                        s3 = TanhAddition.AddTerm<TanhAddition.Estimate>(s3, Vector256.LoadUnsafe(ref b, 3 * stride), av, scaled, iv);
                        s4 = TanhAddition.AddTerm<TanhAddition.Estimate>(s4, Vector256.LoadUnsafe(ref b, 4 * stride), av, scaled, iv);
                        s5 = TanhAddition.AddTerm<TanhAddition.Estimate>(s5, Vector256.LoadUnsafe(ref b, 5 * stride), av, scaled, iv);
                        s6 = TanhAddition.AddTerm<TanhAddition.Estimate>(s6, Vector256.LoadUnsafe(ref b, 6 * stride), av, scaled, iv);
                        s7 = TanhAddition.AddTerm<TanhAddition.Estimate>(s7, Vector256.LoadUnsafe(ref b, 7 * stride), av, scaled, iv);
                    }

                    (ulong inside, ulong undecided) = Lanes(s0, insideLow, insideHigh, outsideLow, outsideHigh);
                    Add(ref inside, ref undecided, Lanes(s1, insideLow, insideHigh, outsideLow, outsideHigh), 8);
                    Add(ref inside, ref undecided, Lanes(s2, insideLow, insideHigh, outsideLow, outsideHigh), 16);
                    Add(ref inside, ref undecided, Lanes(s3, insideLow, insideHigh, outsideLow, outsideHigh), 24);
                    Add(ref inside, ref undecided, Lanes(s4, insideLow, insideHigh, outsideLow, outsideHigh), 32);
                    Add(ref inside, ref undecided, Lanes(s5, insideLow, insideHigh, outsideLow, outsideHigh), 40);
                    Add(ref inside, ref undecided, Lanes(s6, insideLow, insideHigh, outsideLow, outsideHigh), 48);
                    Add(ref inside, ref undecided, Lanes(s7, insideLow, insideHigh, outsideLow, outsideHigh), 56);
                    count += Tally(inside, undecided, c, combinations, ref open, ref n);
                }

                for (; c < lanes; c += 8)
                {
                    ref float block = ref System.Runtime.CompilerServices.Unsafe.Add(ref tanh, c * hidden);
                    Vector256<float> s0 = first;
                    for (int j = 0; j < fractionCount; j++)
                    {
                        int k = Neuron(ref fractions, j);
                        s0 = TanhAddition.AddFraction(s0, Vector256.LoadUnsafe(ref block, (nuint)(8 * k)), Vector256.Create(Unsafe.Add(ref poles, k)), Vector256.Create(Unsafe.Add(ref poles, padded + k)));
                    }

                    for (int j = 0; j < quotientCount; j++)
                    {
                        int k = Neuron(ref quotients, j);
                        s0 = TanhAddition.AddTerm<TanhAddition.Estimate>(s0, Vector256.LoadUnsafe(ref block, (nuint)(8 * k)), Vector256.Create(Unsafe.Add(ref outer, k)),
                            Vector256.Create(Unsafe.Add(ref outer, padded + k)), Vector256.Create(Unsafe.Add(ref inverse, k)));
                    }

                    (ulong inside, ulong undecided) = Lanes(s0, insideLow, insideHigh, outsideLow, outsideHigh);
                    count += Tally(inside, undecided, c, combinations, ref open, ref n);
                }

                openCount = n;
                return count;

                // The j-th neuron of a list (kept as the bits of a float).
                static int Neuron(ref float list, int j) => Unsafe.As<float, int>(ref Unsafe.Add(ref list, j));

                // A block's lanes inside (sum ± bound within the widest member range: the thresholds are that range shrunk by the
                // bound, rounded inwards) and undecided (neither inside nor outside the members' hull widened by the bound).
                static (ulong Inside, ulong Undecided) Lanes(Vector256<float> sum, Vector256<float> insideLow, Vector256<float> insideHigh, Vector256<float> outsideLow, Vector256<float> outsideHigh)
                {
                    Vector256<float> inside = Vector256.GreaterThanOrEqual(sum, insideLow) & Vector256.LessThanOrEqual(sum, insideHigh);
                    Vector256<float> outside = Vector256.LessThan(sum, outsideLow) | Vector256.GreaterThan(sum, outsideHigh);
                    return (inside.ExtractMostSignificantBits(), (inside | outside).ExtractMostSignificantBits() ^ 0xFFu);
                }

                static void Add(ref ulong inside, ref ulong undecided, (ulong Inside, ulong Undecided) block, int shift)
                {
                    inside |= block.Inside << shift;
                    undecided |= block.Undecided << shift;
                }

                // The lanes of up to eight blocks from combination c, a byte each: those of wholly decided blocks are counted,
                // blocks with an undecided (valid) lane are listed for the refined pass. Mostly branch-free.
                static long Tally(ulong inside, ulong undecided, int c, int combinations, ref int open, ref int n)
                {
                    int valid = combinations - c;
                    ulong mask = valid >= 64 ? ulong.MaxValue : valid <= 0 ? 0 : (1UL << valid) - 1;
                    ulong blocks = undecided & mask;
                    blocks |= blocks >> 4;
                    blocks |= blocks >> 2;
                    blocks |= blocks >> 1;
                    blocks &= 0x0101010101010101UL; // bit 8i: block i has an undecided lane
                    long count = System.Numerics.BitOperations.PopCount(inside & mask & ~(blocks * 0xFF));
                    for (; blocks != 0; blocks &= blocks - 1)
                    {
                        Unsafe.Add(ref open, n++) = c + System.Numerics.BitOperations.TrailingZeroCount(blocks);
                    }

                    return count;
                }
            }

            /// <summary>
            /// The target pre-activation of eight combinations: each hidden neuron (accumulator plus tabled
            /// contributions, activated) times its broadcast weight into eight
            /// partial sums, lane by lane in the canonical order, then the fixed tree and the bias.
            /// </summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            private Vector256<float> PreActivation<TActivation>(ref int accumulators, ref int table, ref float weights, int c, Vector256<float> bias)
                where TActivation : struct, ILaneActivation
            {
                int hidden = _e._hidden;
                Vector256<float> p0 = Vector256<float>.Zero, p1 = p0, p2 = p0, p3 = p0, p4 = p0, p5 = p0, p6 = p0, p7 = p0;
                int k = 0;
                for (; k + 8 <= hidden; k += 8)
                {
                    p0 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k)), p0);
                    p1 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 1, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 1)), p1);
                    p2 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 2, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 2)), p2);
                    p3 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 3, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 3)), p3);
                    p4 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 4, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 4)), p4);
                    p5 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 5, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 5)), p5);
                    p6 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 6, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 6)), p6);
                    p7 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 7, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 7)), p7);
                }

                // The last hidden neurons (fewer than eight) feed partial sums 0, 1, … in order.
                for (int l = 0; k < hidden; k++, l++)
                {
                    Vector256<float> term = Hidden<TActivation>(ref accumulators, ref table, k, c);
                    Vector256<float> w = Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k));
                    switch (l)
                    {
                        case 0: p0 = Vector256.FusedMultiplyAdd(term, w, p0); break;
                        case 1: p1 = Vector256.FusedMultiplyAdd(term, w, p1); break;
                        case 2: p2 = Vector256.FusedMultiplyAdd(term, w, p2); break;
                        case 3: p3 = Vector256.FusedMultiplyAdd(term, w, p3); break;
                        case 4: p4 = Vector256.FusedMultiplyAdd(term, w, p4); break;
                        case 5: p5 = Vector256.FusedMultiplyAdd(term, w, p5); break;
                        default: p6 = Vector256.FusedMultiplyAdd(term, w, p6); break;
                    }
                }

                return CanonicalSum.Tree(p0, p1, p2, p3, p4, p5, p6, p7) + bias;
            }

            /// <summary>For each mask of four lanes, the permutation that moves the lanes set to the front (a left-pack).</summary>
            private static readonly int[] LeftPack = [.. Enumerable.Range(0, 16).SelectMany(m => Enumerable.Range(0, 4).Where(j => ((m >> j) & 1) != 0).Concat(Enumerable.Repeat(0, 4)).Take(4))];

            /// <summary>
            /// How much worse than the quotient form's a neuron's partial-fraction bound may be for the first pass to take it:
            /// the form saves a third of the multiply-pipe work, and a looser estimate sends a few more vectors to the refined pass.
            /// </summary>
            private const double FractionFactor = 4;

            /// <summary>The factor after a step whose estimate left no vector open (far from the preference's ends a looser bound costs nothing).</summary>
            private const double LooseFractionFactor = 64;

            /// <summary>
            /// Whether the next step takes the loose thresholds: after a step that left no vector open, unless a loose step
            /// lately did (then the tight ones for the next 1, 2, 4, … 64 steps), so that near the preference's ends the
            /// looser bound does not send more vectors to the refined pass than the cheaper terms save.
            /// </summary>
            private struct Looseness
            {
                private int _wait, _backoff;

                public bool Loose { get; private set; }

                public void After(int open)
                {
                    if (Loose && open > 0)
                    {
                        (Loose, _wait, _backoff) = (false, Math.Max(1, _backoff), Math.Min(2 * Math.Max(1, _backoff), 64));
                        return;
                    }

                    if (Loose)
                    {
                        _backoff = 1;
                        return;
                    }

                    _wait = Math.Max(0, _wait - 1);
                    Loose = open == 0 && _wait == 0;
                }
            }

            /// <summary>The smallest |A| from which (1 − A²)/(|A|(1 − (|A| + δ)(β + δ))) stays at most <paramref name="factor"/> (on a grid of 2^-10; ∞ if it never does).</summary>
            private static float FractionThreshold(double betaPlusDelta, double delta, double factor)
            {
                float from = float.PositiveInfinity;
                for (int i = 1023; i >= 1; i--)
                {
                    double a = i / 1024.0, gap = 1 - ((a + delta) * betaPlusDelta);
                    if (gap <= 0 || (1 - (a * a)) / (a * gap) > factor)
                    {
                        break;
                    }

                    from = (float)a;
                }

                return from;
            }

            /// <summary>The smallest float at least <paramref name="x"/>.</summary>
            private static float Up(double x)
            {
                float rounded = (float)x;
                return rounded >= x ? rounded : MathF.BitIncrement(rounded);
            }

            /// <summary>The floats of one column of the first pass's lists (four more than the neurons: the lists are written four lanes at a time).</summary>
            internal static int Column(int padded) => padded + 4;

            /// <summary>
            /// Before a Gray-code step's first pass: each hidden neuron's outer tanh A = Tanh(accumulator) (eight at a
            /// time, the exact activation) and A/w for target neuron <paramref name="t"/> into <paramref name="outer"/>
            /// (A at k, A/w at padded + k); each neuron's form for the estimate tier (the partial-fraction form where its
            /// bound is at most <see cref="FractionFactor"/> times the quotient form's, the quotient form otherwise, neither
            /// for a weight left out) listed after the refined sums, in columns of <see cref="Column"/> floats: poles,
            /// coefficients and table offsets of the partial-fraction form, then A, A/w, 1/w and table offsets of the
            /// quotient form (offsets as the bits of 8k); returns how far each tier's pre-activation
            /// can be from the exact one (the terms, the sums' rounding and the interval ends'), the estimate's start (bias plus the partial-fraction
            /// constants w/A, rounded once) and the two lists' lengths.
            /// </summary>
            private (float Estimate, float Refined, float Start, int Fractions, int Quotients) PrepareFirstPass(int[] acc, float[] outer, int t, bool loose)
            {
                const float Unit = 1f / (1 << 24), Slack = 1 + (1f / (1 << 12));
                int hidden = _e._hidden, padded = acc.Length, column = Column(padded);
                float[] scales = _weightScales[t], absolute = _absoluteWeights[t], signed = _paddedWeights[t];
                ref float values = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(outer);
                ref float poles = ref Unsafe.Add(ref values, (2 * padded) + _lanes);
                ref float fractionList = ref Unsafe.Add(ref poles, 2 * padded), quotientList = ref Unsafe.Add(ref fractionList, column);
                ref int leftPack = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(LeftPack);
                Vector256<float> one = Vector256<float>.One, delta = Vector256.Create(_delta);
                Vector256<float> estimated = Vector256<float>.Zero, refined = Vector256<float>.Zero, size = Vector256<float>.Zero;
                Vector256<float> constant = Vector256<float>.Zero, constantSize = Vector256<float>.Zero, illConditioned = Vector256<float>.Zero;
                int fractions = 0, quotients = 0;
                float[] fractionFrom = loose ? _fractionFromLoose[t] : _fractionFrom[t];
                for (int k = 0; k < hidden; k += 8)
                {
                    Vector256<float> a = ActivationMath.Tanh(Vector256.ConvertToSingle(Vector256.Create(acc.AsSpan(k, 8))) * Vector256.Create(FixedPointGrid.Step));
                    a.StoreUnsafe(ref values, (nuint)k);
                    Vector256<float> scaled = a * Vector256.Create(scales.AsSpan(k, 8));
                    scaled.StoreUnsafe(ref values, (nuint)(padded + k));
                    Vector256<float> w = Vector256.Create(absolute.AsSpan(k, 8)), signedWeight = Vector256.Create(signed.AsSpan(k, 8));

                    // The form (one comparison: the pass waits for the lists, not for the bound) and both lists, four
                    // neurons at a time: each form's lanes packed to the front and stored at its list's end.
                    Vector256<float> listed = Vector256.GreaterThanOrEqual(w, Vector256.Create(TanhAddition.SmallestWeight));
                    Vector256<float> take = Vector256.GreaterThanOrEqual(Vector256.Abs(a), Vector256.Create(fractionFrom.AsSpan(k, 8)));
                    Vector256<float> inverse = one / a, square = Vector256.FusedMultiplyAdd(-a, a, one);
                    Vector256<float> coefficient = signedWeight * square * inverse * inverse;
                    inverse.StoreUnsafe(ref poles, (nuint)k);
                    coefficient.StoreUnsafe(ref poles, (nuint)(padded + k));
                    uint fractionMask = take.ExtractMostSignificantBits(), quotientMask = Vector256.AndNot(listed, take).ExtractMostSignificantBits();
                    for (int half = 0; half < 8; half += 4, fractionMask >>= 4, quotientMask >>= 4)
                    {
                        Vector128<float> neurons = Vector128.Create(k + half, k + half + 1, k + half + 2, k + half + 3).AsSingle();
                        System.Runtime.Intrinsics.X86.Avx.PermuteVar(neurons, Vector128.LoadUnsafe(ref leftPack, 4 * (fractionMask & 15))).StoreUnsafe(ref fractionList, (nuint)fractions);
                        System.Runtime.Intrinsics.X86.Avx.PermuteVar(neurons, Vector128.LoadUnsafe(ref leftPack, 4 * (quotientMask & 15))).StoreUnsafe(ref quotientList, (nuint)quotients);
                        fractions += System.Numerics.BitOperations.PopCount(fractionMask & 15);
                        quotients += System.Numerics.BitOperations.PopCount(quotientMask & 15);
                    }

                    Vector256<float> term = signedWeight * inverse;
                    constant += Vector256.ConditionalSelect(take, term, Vector256<float>.Zero);
                    constantSize += Vector256.ConditionalSelect(take, Vector256.Abs(term), Vector256<float>.Zero);

                    // The bound. κ = 1/(1 − (|A| + δ)(β + δ))² in floats: the gap computed is within 5·2^-24 of the real one,
                    // so the gap less 2^-21 is below it and √κ from it above the real one; a gap under 2^-20 (√κ over
                    // TanhAddition.MaxFractionRoot) is ill-conditioned.
                    Vector256<float> gap = one - ((Vector256.Abs(a) + delta) * Vector256.Create(_betaPlusDelta.AsSpan(k, 8))) - Vector256.Create(1f / (1 << 21));
                    illConditioned |= Vector256.LessThan(gap, Vector256.Create((float)(1 / TanhAddition.MaxFractionRoot)));
                    Vector256<float> root = one / gap, kappa = root * root;

                    // The quotient form's term error |w|·(c·κ + f) for the estimate and the refined reciprocal; the partial-
                    // fraction form's |w|(2δκ + δ) + M·(e₀ + 2^-23(7 + √κ))(1 + 2^-10), M = |w|(1 − A²)√κ/|A|.
                    Vector256<float> quotient = w * ((Vector256.Create(_estimateConditioned) * kappa) + Vector256.Create(_estimateFlat));
                    refined += w * ((Vector256.Create(_conditioned) * kappa) + Vector256.Create(_flat));
                    Vector256<float> magnitude = w * square * Vector256.Abs(inverse) * root;
                    Vector256<float> fraction = (w * ((delta * (kappa + kappa)) + delta))
                        + (magnitude * (Vector256.Create(_reciprocal) + (Vector256.Create(1f / (1 << 23)) * (Vector256.Create(7f) + root))) * Vector256.Create(1 + (1f / (1 << 10))));
                    estimated += Vector256.ConditionalSelect(take, fraction, quotient);
                    size += Vector256.ConditionalSelect(take, magnitude + fraction, w + quotient);
                }

                if (illConditioned.ExtractMostSignificantBits() != 0)
                {
                    return (float.PositiveInfinity, float.PositiveInfinity, _biases[t], 0, 0);
                }

                // The start: bias plus the constants w/A, each within 2·2^-24 of the real one, the sum within γ·Σ|w/A|.
                float start = _biases[t] + Vector256.Sum(constant);
                float gamma = (hidden + 2) * Unit * 1.01f, exact = _magnitudes[t], leftOut = _leftOut[t];
                float startError = (gamma + (4 * Unit)) * (Math.Abs(_biases[t]) + Vector256.Sum(constantSize));

                // Each tier's error: its terms' (a weight left out contributes 0 for a term within |w| of the true one), the
                // rounding of its sum (γ·Σ|its terms and start|), of the exact sum (γ·(Σ|w| + |bias|)) and of the interval's
                // ends. Everything above is sums and products of non-negative floats, each within a relative 64·2^-24 of
                // its real value and the sums (at most 256 terms) within 2^-16: the factor 1 + 2^-12 covers all of it.
                float estimateError = Vector256.Sum(estimated) + leftOut + startError, refinedError = Vector256.Sum(refined) + leftOut;
                float sum = Math.Abs(start) + Vector256.Sum(size) + estimateError;
                float estimateBound = (estimateError + (gamma * (sum + exact + estimateError)) + (4 * Unit * (Math.Max(sum, exact) + estimateError + 1))) * Slack;
                float refinedBound = (refinedError + (gamma * (2 * (exact + refinedError))) + (4 * Unit * (exact + refinedError + 1))) * Slack;
                return (estimateBound, refinedBound, start, fractions, quotients);
            }

            /// <summary>
            /// The refined tier of the first pass for block <paramref name="c"/> (eight combinations): as
            /// <see cref="ClassifiedFirstPass"/>, with the reciprocal refined by a Newton step and four running sums for the
            /// latency, the pre-activations written after <paramref name="outer"/>'s per-step values.
            /// </summary>
            private static void RefinedPass(ref float tanh, ref float inverse, int c, int hidden, ref float outer, int padded, float bias)
            {
                ref float b = ref System.Runtime.CompilerServices.Unsafe.Add(ref tanh, c * hidden);
                Vector256<float> p0 = Vector256.Create(bias), p1 = Vector256<float>.Zero, p2 = p1, p3 = p1;
                int k = 0;
                for (; k + 4 <= hidden; k += 4)
                {
                    p0 = Term(p0, ref b, ref outer, ref inverse, padded, k);
                    p1 = Term(p1, ref b, ref outer, ref inverse, padded, k + 1);
                    p2 = Term(p2, ref b, ref outer, ref inverse, padded, k + 2);
                    p3 = Term(p3, ref b, ref outer, ref inverse, padded, k + 3);
                }

                for (; k < hidden; k++)
                {
                    p0 = Term(p0, ref b, ref outer, ref inverse, padded, k);
                }

                ((p0 + p1) + (p2 + p3)).StoreUnsafe(ref System.Runtime.CompilerServices.Unsafe.Add(ref outer, 2 * padded), (nuint)c);

                static Vector256<float> Term(Vector256<float> sum, ref float b, ref float a, ref float inverse, int padded, int k) =>
                    TanhAddition.AddTerm<TanhAddition.Refined>(sum, Vector256.LoadUnsafe(ref b, (nuint)(8 * k)), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref a, k)),
                        Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref a, padded + k)), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref inverse, k)));
            }

            /// <summary>The lanes of the vector starting at combination <paramref name="c"/> that are combinations (the rest pad the table).</summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            private static uint Valid(int c, int combinations) => c + 8 <= combinations ? 0xFFu : c >= combinations ? 0u : (1u << (combinations - c)) - 1;

            /// <summary>The lanes whose exact pre-activation lies in one of the member ranges.</summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            private uint Members(Vector256<float> z)
            {
                int[] members = _members;
                // Ordered integers (negative floats with every bit but the sign flipped), then the member ranges.
                Vector256<int> bits = z.AsInt32();
                Vector256<int> ordered = bits ^ (Vector256.ShiftRightArithmetic(bits, 31) & Vector256.Create(0x7FFFFFFF));
                Vector256<int> inside = Vector256<int>.Zero;
                for (int r = 0; r < members.Length; r += 2)
                {
                    // low <= z <= high, as one unsigned comparison of z - low against high - low.
                    Vector256<uint> offset = (ordered - Vector256.Create(members[r])).AsUInt32();
                    inside |= Vector256.LessThanOrEqual(offset, Vector256.Create((uint)(members[r + 1] - members[r]))).AsInt32();
                }

                return inside.ExtractMostSignificantBits();
            }

            /// <summary>The lanes whose interval [low, high] lies inside a member range, and those it leaves open (neither inside one nor outside all).</summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            private (uint Inside, uint Open) Classify(Vector256<float> low, Vector256<float> high)
            {
                float[] values = _memberValues;
                Vector256<float> inside = Vector256<float>.Zero, outside = Vector256<float>.AllBitsSet;
                for (int r = 0; r < values.Length; r += 2)
                {
                    Vector256<float> lo = Vector256.Create(values[r]), hi = Vector256.Create(values[r + 1]);
                    inside |= Vector256.GreaterThanOrEqual(low, lo) & Vector256.LessThanOrEqual(high, hi);
                    outside &= Vector256.LessThan(high, lo) | Vector256.GreaterThan(low, hi);
                }

                return (inside.ExtractMostSignificantBits(), ~(inside | outside).ExtractMostSignificantBits() & 0xFFu);
            }

            /// <summary>Hidden neuron k of eight combinations: accumulator plus tabled contributions, exactly as a float, activated.</summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            private Vector256<float> Hidden<TActivation>(ref int accumulators, ref int table, int k, int c)
                where TActivation : struct, ILaneActivation
            {
                Vector256<int> sums = Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref accumulators, k))
                    + Vector256.LoadUnsafe(ref table, (nuint)((c * _e._hidden) + (8 * k)));
                return TActivation.Apply(Vector256.ConvertToSingle(sums) * Vector256.Create(FixedPointGrid.Step));
            }
        }

        /// <summary>One thread's buffers and the recursive count.</summary>
        private sealed class Worker
        {
            private readonly LayeredEnumerator _e;
            private readonly int[] _acc;

            /// <summary>The first-layer accumulators of the current sub-cube (bias plus fixed inputs, in units of 2^-16).</summary>
            public int[] Accumulators => _acc;

            /// <summary>The first pass's per-step values: each hidden neuron's outer tanh, the same divided by its weight, the refined pre-activations of the tabled combinations, then the estimate's two record lists.</summary>
            public float[] Outer { get; }
            private readonly long[] _radius;
            private readonly float[] _activations;   // per layer, padded to 16 (layer l at l * _stride)
            private readonly int _stride;
            private readonly double[] _low;
            private readonly double[] _high;
            private readonly double[] _nextLow;
            private readonly double[] _nextHigh;
            private readonly double[] _gradient;     // per input position: the linear bound's coefficient

            public Worker(LayeredEnumerator e)
            {
                _e = e;
                _acc = new int[e._paddedHidden];
                Outer = new float[(2 * e._paddedHidden) + (e._innerTable is { } table ? table.Lanes + (2 * e._paddedHidden) + (2 * InnerTable.Column(e._paddedHidden)) : 0)];
                _radius = new long[e._hidden];
                _stride = e._shape.Layers.Max(l => ShapeRules.PaddedWidth(l.Width)) + 16;
                _activations = new float[e._shape.Layers.Length * _stride];
                int widest = e._shape.Layers.Max(l => l.Width);
                _low = new double[widest];
                _high = new double[widest];
                _nextLow = new double[widest];
                _nextHigh = new double[widest];
                _gradient = new double[e._n];
            }

            public (long Count, long Decided) CountSubCube(long index, int depth, CancellationToken cancellationToken)
            {
                Array.Copy(_e._bias, _acc, _acc.Length);
                long rest = index;
                for (int p = 0; p < depth; p++)
                {
                    int x = (int)(rest % 3) - 1;
                    rest /= 3;
                    Add(_acc, _e._columns[p], x);
                }

                return Descend(depth, cancellationToken);
            }

            private (long Count, long Decided) Descend(int fixedInputs, CancellationToken cancellationToken)
            {
                int free = _e._n - fixedInputs;
                long size = Pow3(free);
                if (_e._options.Prune && free > 0)
                {
                    int decision = Decide(fixedInputs);
                    if (decision != 0)
                    {
                        return (decision > 0 ? size * _e._neurons.Length : 0, size);
                    }
                }

                if (free <= _e._options.LeafFreeInputs)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    return Leaf(fixedInputs);
                }

                long count = 0, decided = 0;
                int[] column = _e._columns[fixedInputs];
                for (int x = -1; x <= 1; x++)
                {
                    Add(_acc, column, x);
                    (long c, long d) = Descend(fixedInputs + 1, cancellationToken);
                    count += c;
                    decided += d;
                    Add(_acc, column, -x);
                }

                return (count, decided);
            }

            /// <summary>+1 if every input of the sub-cube meets the interval for every neuron, −1 if none does, 0 if undecided.</summary>
            private int Decide(int fixedInputs)
            {
                LayerShape first = _e._shape.Layers[0];
                Array.Clear(_radius);
                for (int p = fixedInputs; p < _e._n; p++)
                {
                    for (int k = 0; k < _e._hidden; k++)
                    {
                        _radius[k] += _e._columnAbs[(p * _e._hidden) + k];
                    }
                }

                double tolerance = NeuronMembership.Tolerance(first.Activation);
                for (int k = 0; k < _e._hidden; k++)
                {
                    _low[k] = NeuronMembership.Activate(first.Activation, _acc[k] - _radius[k]) - tolerance;
                    _high[k] = NeuronMembership.Activate(first.Activation, _acc[k] + _radius[k]) + tolerance;
                }

                for (int l = 1; l <= _e._targetLayer; l++)
                {
                    LayerShape layer = _e._shape.Layers[l];
                    double layerTolerance = NeuronMembership.Tolerance(layer.Activation);
                    for (int k = 0; k < layer.Width; k++)
                    {
                        double bias = _e._parameters[layer.BiasIndex(k)];
                        double lo = bias, hi = bias, magnitude = Math.Abs(bias);
                        for (int j = 0; j < layer.InputCount; j++)
                        {
                            double w = _e._parameters[layer.WeightIndex(k, j)];
                            double a = w * _low[j], b = w * _high[j];
                            lo += Math.Min(a, b);
                            hi += Math.Max(a, b);
                            magnitude += Math.Max(Math.Abs(a), Math.Abs(b));
                        }

                        if (l == 1 && _e._options.LinearBounds)
                        {
                            // The linear bound is often much tighter: keep the better of the two on each side.
                            (double linearLow, double linearHigh, double linearMagnitude) = LinearBound(k, fixedInputs);
                            lo = Math.Max(lo, linearLow);
                            hi = Math.Min(hi, linearHigh);
                            magnitude = Math.Max(magnitude, linearMagnitude);
                        }

                        // Float rounding of the canonical sum is far below this margin.
                        double margin = (1e-5 * magnitude) + 1e-6;
                        _nextLow[k] = ActivationMath.Apply(layer.Activation, (float)(lo - margin)) - layerTolerance;
                        _nextHigh[k] = ActivationMath.Apply(layer.Activation, (float)(hi + margin)) + layerTolerance;
                    }

                    Array.Copy(_nextLow, _low, layer.Width);
                    Array.Copy(_nextHigh, _high, layer.Width);
                }

                ActivationInterval interval = _e._preference.Interval;
                bool allIn = true, allOut = true;
                foreach (int k in _e._neurons)
                {
                    bool inside = (interval.LowerInclusive ? _low[k] >= interval.Lower : _low[k] > interval.Lower) &&
                                  (interval.UpperInclusive ? _high[k] <= interval.Upper : _high[k] < interval.Upper);
                    bool outside = (interval.LowerInclusive ? _high[k] < interval.Lower : _high[k] <= interval.Lower) ||
                                   (interval.UpperInclusive ? _low[k] > interval.Upper : _low[k] >= interval.Upper);
                    allIn &= inside;
                    allOut &= outside;
                }

                return allIn ? 1 : allOut ? -1 : 0;
            }

            /// <summary>
            /// Bounds on layer-1 neuron <paramref name="j"/>'s pre-activation over the sub-cube, from a linear relaxation
            /// of the first layer's activation (in the spirit of CROWN/DeepPoly, exact over the ternary box): on
            /// [lo_k, hi_k], a_k(z) − s_k·z is non-decreasing for s_k the smallest slope of the activation there, so
            /// a_k lies between s_k·z_k + L_k and s_k·z_k + U_k. Substituting z_k = c_k + Σ W_ki·x_i leaves one linear
            /// function of the free inputs, whose extremes over {−1, 0, 1} are ±Σ|G_i|. Interval bounds treat the hidden
            /// neurons as independent; this keeps their shared inputs, so cancellations between them tighten the bound.
            /// </summary>
            private (double Low, double High, double Magnitude) LinearBound(int j, int fixedInputs)
            {
                LayerShape first = _e._shape.Layers[0], second = _e._shape.Layers[1];
                Activation activation = first.Activation;
                // The float activation is within this of the exact function (documented bounds, with margin).
                double error = activation is Activation.Tanh or Activation.Sigmoid ? 1e-6 : 1e-9;
                double step = FixedPointGrid.Step;
                double constant = _e._parameters[second.BiasIndex(j)], spread = 0, magnitude = Math.Abs(constant);
                Array.Clear(_gradient);
                for (int k = 0; k < _e._hidden; k++)
                {
                    double v = _e._parameters[second.WeightIndex(j, k)];
                    if (v == 0)
                    {
                        continue;
                    }

                    double c = _acc[k] * step, lo = (_acc[k] - _radius[k]) * step, hi = (_acc[k] + _radius[k]) * step;
                    double exactLow = Exact(activation, lo), exactHigh = Exact(activation, hi); // each once: Math.Tanh is most of this
                    double slope = MinimumSlope(activation, lo, hi, exactLow, exactHigh);
                    double lower = exactLow - (slope * lo) - error;
                    double upper = exactHigh - (slope * hi) + error;
                    constant += v * ((slope * c) + (v >= 0 ? lower : upper));
                    spread += Math.Abs(v) * (upper - lower);
                    magnitude += Math.Abs(v) * Math.Max(Math.Abs(exactLow), Math.Abs(exactHigh));
                    double vs = v * slope * step;
                    if (vs != 0)
                    {
                        for (int p = fixedInputs; p < _e._n; p++)
                        {
                            _gradient[p] += vs * _e._columns[p][k];
                        }
                    }
                }

                double reach = 0;
                for (int p = fixedInputs; p < _e._n; p++)
                {
                    reach += Math.Abs(_gradient[p]);
                }

                return (constant - reach, constant + spread + reach, magnitude);
            }

            /// <summary>The exact (double) activation the float one approximates.</summary>
            private static double Exact(Activation activation, double z) => activation switch
            {
                Activation.Tanh => Math.Tanh(z),
                Activation.Sigmoid => 0.5 + (0.5 * Math.Tanh(z / 2)),
                Activation.HardTanh => Math.Clamp(z, -1, 1),
                Activation.ReLU => Math.Max(z, 0),
                Activation.Linear => z,
                _ => z > ActivationMath.TernaryStepDeadZone ? 1 : z < -ActivationMath.TernaryStepDeadZone ? -1 : 0,
            };

            /// <summary>
            /// The smallest slope of the exact activation on [lo, hi] (0 where it has a flat part or a step), given its
            /// exact values <paramref name="exactLow"/> and <paramref name="exactHigh"/> at the ends.
            /// </summary>
            private static double MinimumSlope(Activation activation, double lo, double hi, double exactLow, double exactHigh)
            {
                switch (activation)
                {
                    case Activation.Tanh:
                    {
                        // 1 − tanh² falls away from 0 on both sides: its minimum is at an end.
                        double a = exactLow, b = exactHigh;
                        return Math.Max(0, Math.Min(1 - (a * a), 1 - (b * b)) - 1e-12);
                    }

                    case Activation.Sigmoid:
                    {
                        double a = exactLow, b = exactHigh;
                        return Math.Max(0, Math.Min(a * (1 - a), b * (1 - b)) - 1e-12);
                    }

                    case Activation.HardTanh:
                        return lo >= -1 && hi <= 1 ? 1 : 0;
                    case Activation.ReLU:
                        return lo >= 0 ? 1 : 0;
                    case Activation.Linear:
                        return 1;
                    default:
                        return 0;
                }
            }

            /// <summary>Enumerates the free inputs with a reflected ternary Gray code: one input moves by ±1 per step.</summary>
            private (long Count, long Decided) Leaf(int fixedInputs)
            {
                if (_e._innerTable is { } inner && _e._n - fixedInputs >= inner.Inner)
                {
                    return inner.Count(this, fixedInputs);
                }

                int free = _e._n - fixedInputs;
                // Start from every free input at -1.
                for (int p = fixedInputs; p < _e._n; p++)
                {
                    Add(_acc, _e._columns[p], -1);
                }

                Span<int> digit = stackalloc int[Math.Max(1, free)];
                Span<int> direction = stackalloc int[Math.Max(1, free)];
                digit.Clear();
                direction.Fill(1);
                long count = Evaluate();
                long steps = Pow3(free) - 1;
                for (long s = 0; s < steps; s++)
                {
                    int d = GrayCode.Step(digit, direction);
                    Add(_acc, _e._columns[fixedInputs + d], direction[d]);
                    count += Evaluate();
                }

                // Back to the state the caller had (each free input at its last value, undone).
                for (int d = 0; d < free; d++)
                {
                    Add(_acc, _e._columns[fixedInputs + d], -(digit[d] - 1));
                }

                return (count, 0);
            }

            /// <summary>The network from the first-layer accumulators: how many of the preference's neurons meet the interval.</summary>
            private int Evaluate()
            {
                LayerShape first = _e._shape.Layers[0];
                Span<float> a0 = _activations.AsSpan(0, _stride);
                // Layer 0: exact integer sums → floats (exact) → the shared activation, 16 or 8 lanes at a time.
                int k = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; k < _e._paddedHidden; k += 16)
                    {
                        Vector512<float> z = Vector512.ConvertToSingle(Vector512.Create<int>(_acc.AsSpan(k, 16))) * FixedPointGrid.Step;
                        ActivationMath.Apply(first.Activation, z).CopyTo(a0.Slice(k, 16));
                    }
                }
                else if (Vector256.IsHardwareAccelerated)
                {
                    for (; k < _e._paddedHidden; k += 8)
                    {
                        Vector256<float> z = Vector256.ConvertToSingle(Vector256.Create<int>(_acc.AsSpan(k, 8))) * FixedPointGrid.Step;
                        ActivationMath.Apply(first.Activation, z).CopyTo(a0.Slice(k, 8));
                    }
                }
                else
                {
                    for (; k < _e._paddedHidden; k++)
                    {
                        a0[k] = NeuronMembership.Activate(first.Activation, _acc[k]);
                    }
                }

                for (int l = 1; l <= _e._targetLayer; l++)
                {
                    Layer(l, _activations.AsSpan((l - 1) * _stride, _stride), _activations.AsSpan(l * _stride, _stride));
                }

                Span<float> target = _activations.AsSpan(_e._targetLayer * _stride, _stride);
                int hits = 0;
                foreach (int neuron in _e._neurons)
                {
                    hits += _e._preference.Interval.Contains(target[neuron]) ? 1 : 0;
                }

                return hits;
            }

            /// <summary>One later layer in the canonical order (bit-identical to generated code and the reference).</summary>
            private void Layer(int l, ReadOnlySpan<float> input, Span<float> output)
            {
                LayerShape layer = _e._shape.Layers[l];
                ReadOnlySpan<float> packed = _e._packed.AsSpan(_e._packedOffsets[l]);
                if (!ShapeRules.VectoriseOverOutputs(layer.Width) && Vector256.IsHardwareAccelerated)
                {
                    // Rows padded to whole 8-float chunks; the inputs' padding holds finite values and meets zero weights.
                    int stride = ShapeRules.DotStride(layer.InputCount);
                    for (int k = 0; k < layer.Width; k++)
                    {
                        Vector256<float> p = Vector256<float>.Zero;
                        for (int j = 0; j < stride; j += 8)
                        {
                            p = Vector256.FusedMultiplyAdd(Vector256.Create(input.Slice(j, 8)), Vector256.Create(packed.Slice((k * stride) + j, 8)), p);
                        }

                        float z = CanonicalSum.Tree(p) + packed[(layer.Width * stride) + k];
                        output[k] = ActivationMath.Apply(layer.Activation, z);
                    }

                    return;
                }

                for (int k = 0; k < layer.Width; k++)
                {
                    float z = CanonicalSum.PreActivation(input.Slice(0, layer.InputCount),
                        _e._parameters.AsSpan(layer.WeightIndex(k, 0), layer.InputCount), _e._parameters[layer.BiasIndex(k)]);
                    output[k] = ActivationMath.Apply(layer.Activation, z);
                }

                // Padding lanes must stay finite for a narrow layer that reads whole vectors next.
                output.Slice(layer.Width, ShapeRules.PaddedWidth(layer.Width) - layer.Width).Clear();
            }

            internal static void Add(int[] acc, int[] column, int times)
            {
                if (times == 0)
                {
                    return;
                }

                // Whole vectors (a vector load of values just written one by one would wait for the stores to retire).
                int i = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    Vector512<int> t = Vector512.Create(times);
                    for (; i <= acc.Length - 16; i += 16)
                    {
                        (Vector512.Create<int>(acc.AsSpan(i, 16)) + (Vector512.Create<int>(column.AsSpan(i, 16)) * t)).CopyTo(acc.AsSpan(i, 16));
                    }
                }
                else if (Vector256.IsHardwareAccelerated)
                {
                    Vector256<int> t = Vector256.Create(times);
                    for (; i <= acc.Length - 8; i += 8)
                    {
                        (Vector256.Create<int>(acc.AsSpan(i, 8)) + (Vector256.Create<int>(column.AsSpan(i, 8)) * t)).CopyTo(acc.AsSpan(i, 8));
                    }
                }

                for (; i < acc.Length; i++)
                {
                    acc[i] += column[i] * times;
                }
            }
        }
    }
}

/// <summary>
/// An exact count by enumeration split into its independent sub-cubes (the first <see cref="CountOptions.SplitDepth"/>
/// inputs of the counter's order fixed): the unit of work that threads, processes or a cluster can share. Counting
/// every sub-cube once and adding the results gives the count of <see cref="CoverageCounter.Count"/> (the same
/// options) exactly, whatever the order and wherever each one was counted.
/// </summary>
public sealed class CountPlan
{

    private readonly CoverageCounter.LayeredEnumerator _enumerator;

    private CountPlan(CoverageCounter.LayeredEnumerator enumerator, long subCubes, long cube, int neurons, string signature)
    {
        _enumerator = enumerator;
        SubCubes = subCubes;
        Cube = cube;
        Total = checked(cube * neurons);
        Signature = signature;
    }

    /// <summary>The number of sub-cubes (3^SplitDepth).</summary>
    public long SubCubes { get; }

    /// <summary>The inputs counted: 3^(inputs not fixed by the plan).</summary>
    public long Cube { get; }

    /// <summary>All (input, neuron) pairs: <see cref="Cube"/> times the preference's neurons.</summary>
    public long Total { get; }

    /// <summary>
    /// Names this exact piece of work: the shape, the preference, a hash of the parameter bits (with any fixed inputs
    /// folded in), the split and the input order. Two plans with the same signature count the same numbers.
    /// </summary>
    public string Signature { get; }

    /// <summary>
    /// The plan of an exact count of <paramref name="preference"/> over the inputs whose first
    /// <paramref name="fixedInputs"/>.Length inputs have the given values (none: the whole cube).
    /// </summary>
    /// <exception cref="ArgumentException">The preference is not over the uniform cube, too many inputs remain, a fixed value is not ternary, or every input is fixed.</exception>
    /// <exception cref="InvalidOperationException">The first layer is not on the grid.</exception>
    public static CountPlan Create(ITernaryNetwork network, Preference preference, CountOptions? options = null, ReadOnlySpan<sbyte> fixedInputs = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new CountOptions();
        NetworkShape shape = network.Shape;
        int k = fixedInputs.Length;
        if (k >= shape.InputCount)
        {
            throw new ArgumentException($"{k} fixed inputs leave none of the {shape.InputCount} to count.", nameof(fixedInputs));
        }

        for (int i = 0; i < k; i++)
        {
            if (fixedInputs[i] is < -1 or > 1)
            {
                throw new ArgumentException($"fixedInputs[{i}] is {fixedInputs[i]}; inputs are -1, 0 or +1.", nameof(fixedInputs));
            }
        }

        float[] parameters = CoverageCounter.Countable(network, preference, shape.InputCount - k);
        // The fixed inputs folded into the first layer's biases: on the grid every sum is exact, so the reduced network
        // gives the bits of the full one on every input that agrees with the prefix.
        NetworkShape reduced = NetworkShape.Create(shape.InputCount - k, [.. shape.Layers.Select(l => (l.Width, l.Activation))]);
        float[] reducedParameters = new float[reduced.ParameterCount];
        LayerShape first = shape.Layers[0], firstReduced = reduced.Layers[0];
        for (int j = 0; j < first.Width; j++)
        {
            float bias = parameters[first.BiasIndex(j)];
            for (int i = 0; i < k; i++)
            {
                bias += fixedInputs[i] * parameters[first.WeightIndex(j, i)];
            }

            reducedParameters[firstReduced.BiasIndex(j)] = bias;
            for (int i = k; i < shape.InputCount; i++)
            {
                reducedParameters[firstReduced.WeightIndex(j, i - k)] = parameters[first.WeightIndex(j, i)];
            }
        }

        for (int l = 1; l < shape.Layers.Length; l++)
        {
            LayerShape layer = shape.Layers[l];
            Array.Copy(parameters, layer.WeightOffset, reducedParameters, reduced.Layers[l].WeightOffset, (layer.InputCount + 1) * layer.Width);
        }

        LayerShape target = shape.Layers[preference.ResolveLayer(shape)];
        int[] neurons = preference.Neuron is int single ? [single] : [.. Enumerable.Range(0, target.Width)];
        var enumerator = new CoverageCounter.LayeredEnumerator(reduced, reducedParameters, preference, neurons, options);
        return new CountPlan(enumerator, CoverageCounter.Pow3(enumerator.SplitDepth), CoverageCounter.Pow3(reduced.InputCount), neurons.Length,
            enumerator.Signature);
    }

    /// <summary>Counts sub-cube <paramref name="index"/> (0 ≤ index &lt; <see cref="SubCubes"/>) on this thread.</summary>
    /// <returns>The pairs meeting the preference, and the inputs decided by bounds without enumeration.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the plan.</exception>
    public (long Count, long Decided) CountSubCube(long index, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SubCubes);
        return _enumerator.CountSubCube(index, cancellationToken);
    }
}

/// <summary>An activation over eight lanes, as a type, so that the counting leaf is compiled once per activation.</summary>
internal interface ILaneActivation
{
    static abstract Vector256<float> Apply(Vector256<float> x);
}

internal readonly struct TanhLanes : ILaneActivation
{
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.Tanh, x);
}

internal readonly struct HardTanhLanes : ILaneActivation
{
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.HardTanh, x);
}

internal readonly struct SigmoidLanes : ILaneActivation
{
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.Sigmoid, x);
}

internal readonly struct ReLULanes : ILaneActivation
{
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.ReLU, x);
}

internal readonly struct LinearLanes : ILaneActivation
{
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.Linear, x);
}

internal readonly struct TernaryStepLanes : ILaneActivation
{
    public static Vector256<float> Apply(Vector256<float> x) => ActivationMath.Apply(Activation.TernaryStep, x);
}

/// <summary>The reflected ternary Gray code: from one combination to the next, exactly one digit moves by ±1.</summary>
internal static class GrayCode
{
    /// <summary>Moves to the next combination; returns the digit that moved (by <c>direction[d]</c>, already applied).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int Step(Span<int> digit, Span<int> direction)
    {
        int d = 0;
        while (digit[d] + direction[d] is < 0 or > 2)
        {
            direction[d] = -direction[d];
            d++;
        }

        digit[d] += direction[d];
        return d;
    }
}

