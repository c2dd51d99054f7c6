using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace GenBias;

public static partial class CoverageCounter
{
    /// <summary>Enumeration for networks whose preference lies beyond the first layer.</summary>
    internal sealed partial class LayeredEnumerator
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
            options.Validate();
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
                _bias[k] = FixedPointGrid.ToUnits(parameters[first.BiasIndex(k)]);
            }

            int[][] byInput = new int[_n][];
            for (int i = 0; i < _n; i++)
            {
                byInput[i] = new int[_paddedHidden];
                for (int k = 0; k < _hidden; k++)
                {
                    byInput[i][k] = FixedPointGrid.ToUnits(parameters[first.WeightIndex(k, i)]);
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

            _signature = $"activation math {ActivationMath.Version}|{shape}|{preference}|{Convert.ToHexString(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(parameters.AsSpan())))}|{SplitDepth}|{string.Join(",", _order)}";
        }

        /// <summary>The largest float at most <paramref name="x"/> (−∞ below the floats; NaN stays NaN and decides nothing).</summary>
        private static float Down(double x)
        {
            float rounded = (float)x;
            return rounded <= x ? rounded : MathF.BitDecrement(rounded);
        }

        /// <summary>The smallest float at least <paramref name="x"/>.</summary>
        private static float Up(double x)
        {
            float rounded = (float)x;
            return rounded >= x ? rounded : MathF.BitIncrement(rounded);
        }

        internal int SplitDepth => Math.Clamp(_options.SplitDepth, 0, Math.Max(0, _n - 1));

        internal string Signature => _signature;

        internal int InputCount => _n;

        internal (long Count, long Decided) CountSubCube(long index, CancellationToken cancellationToken) =>
            new Worker(this).CountSubCube(index, SplitDepth, cancellationToken);

        public long CountOneSubCube(long index) => new Worker(this).CountSubCube(index, SplitDepth, CancellationToken.None).Count;

        public (long Count, long Decided, long Restored) Run(IProgress<CountProgress>? progress, Stopwatch clock, CancellationToken cancellationToken)
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

            return (state.Done.Values.Sum(v => v[0]), state.Done.Values.Sum(v => v[1]), restored);
        }
    }
}
