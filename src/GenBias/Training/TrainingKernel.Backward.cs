using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// The backward pass in two parts: every row's deltas (rows independent), then a shard's gradient sums over its rows
/// (in units, each summing the shard's rows in row order into the shard's own accumulators).
/// </summary>
internal sealed partial class TrainingKernel
{
    /// <summary>What a unit of the gradient sums covers.</summary>
    private enum UnitKind : byte
    {
        /// <summary>Eight biases of a later layer.</summary>
        Bias,

        /// <summary>The weights of one neuron of a later layer.</summary>
        Weights,

        /// <summary>One chunk's histogram rows for eight first-layer neurons.</summary>
        Histogram,

        /// <summary>One chunk's histogram rows for sixteen first-layer neurons (one Vector512: the same additions, lane by lane).</summary>
        Histogram16,
    }

    /// <param name="Kind">What the unit sums.</param>
    /// <param name="Layer">The layer.</param>
    /// <param name="Index">The first lane (bias, histogram), or the neuron (weights).</param>
    /// <param name="Chunk">The chunk (histogram).</param>
    private readonly record struct Unit(UnitKind Kind, int Layer, int Index, int Chunk);

    /// <summary>Lanes of the first layer's histogram and columns per unit from lane <paramref name="k"/>: sixteen where Vector512 runs them, else eight.</summary>
    private int FirstLayerLanes(int k) => Vector512.IsHardwareAccelerated && k + 16 <= _stride[0] ? 16 : 8;

    /// <summary>
    /// Every unit of the gradient sums: disjoint accumulators, together all of them: the later layers', then the first
    /// layer's (a chunk's two tables in one loop: two chains of additions through memory, which the processor overlaps).
    /// </summary>
    private Unit[] Units()
    {
        var units = new List<Unit>();
        for (int l = 1; l < _stride.Length; l++)
        {
            for (int k = 0; k < _stride[l]; k += 8)
            {
                units.Add(new Unit(UnitKind.Bias, l, k, 0));
            }

            for (int k = 0; k < _shape.Layers[l].Width; k++)
            {
                units.Add(new Unit(UnitKind.Weights, l, k, 0));
            }
        }

        for (int c = 0; c < _chunks; c++)
        {
            for (int k = 0; k < _stride[0]; k += FirstLayerLanes(k))
            {
                units.Add(new Unit(FirstLayerLanes(k) == 16 ? UnitKind.Histogram16 : UnitKind.Histogram, 0, k, c));
            }
        }

        return [.. units];
    }

    /// <summary>Clears <see cref="Gradients"/> for <paramref name="rows"/> rows.</summary>
    public void ClearGradients(int rows)
    {
        Reserve(rows);
        _g.AsSpan(_gAt, rows * RowStride).Clear();
    }

    /// <summary>
    /// Back-propagates <see cref="Gradients"/> of the rows of the last <see cref="Forward"/> (same codes) and adds their
    /// parameter gradients to the shards' sums (<see cref="CollectGradient"/> reads them). The gradients of the
    /// rows are replaced by their deltas (dLoss/d(pre-activation)).
    /// </summary>
    public void Backward(byte[] codes, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(codes.Length, rows * _chunks, nameof(codes));
        Layout(rows, null, 1);
        Set(ref _gatherCodes, null);
        Set(ref _last, false);
        Set(ref _clearSums, false);
        RunShards(Job.Backward, codes, rows);
        TrainingProfile.Lap(TrainingProfile.Phase.Deltas);
    }

    /// <summary>
    /// <see cref="Forward"/>, then <paramref name="gradients"/>(from, to, at) writing the <see cref="Gradients"/> of
    /// rows from … to − 1 (cleared before; it may read their <see cref="Activations"/>), found in the scratch from row
    /// <c>at</c> on (at = from for a pass of one segment), then <see cref="Backward"/>: the same bits, with each shard
    /// forward and back on one thread. <paramref name="gradients"/> must only read and write the rows it is given.
    /// The pass's rows are <paramref name="segments"/> segments ending at <paramref name="ends"/>[k] (one segment of
    /// every row where it is null), each cut into the shards alike. In the step's <paramref name="last"/> pass, each
    /// shard also finds its first-layer columns, and where the pass updates the parameters (<see cref="PrepareStep"/>),
    /// the step is committed: every replica applies it before it next runs. Where <paramref name="gather"/> is given,
    /// the first segment's row r is row <c>Rows[Start + r]</c> of <c>Codes</c> (each shard copies its own rows' codes)
    /// and <paramref name="codes"/> holds the other segments' rows only.
    /// </summary>
    public void Pass(byte[] codes, int rows, Action<int, int, int> gradients, bool last = false, int[]? ends = null, int segments = 1,
        (byte[] Codes, int[] Rows, int Start)? gather = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(codes.Length, rows * _chunks, nameof(codes));
        Reserve(rows);
        Layout(rows, ends, segments);
        if (gather is { } g)
        {
            Set(ref _gatherCodes, g.Codes);
            Set(ref _gatherRows, g.Rows);
            Set(ref _gatherStart, g.Start);
        }
        else
        {
            Set(ref _gatherCodes, null);
        }

        Set(ref _passGradients, gradients);
        // A step the kernel updates is one pass: its shards' sums start from zero.
        Set(ref _last, last);
        Set(ref _clearSums, last && _updateInPass);
        RunShards(Job.Pass, codes, rows);

        _columnsReady = last;
        if (last && _updateInPass)
        {
            _updateInPass = false;
            _columnsReady = false;
            CommitStep();
        }
    }

    /// <summary>
    /// A shard's gradient sums over its rows <paramref name="start"/> … <paramref name="end"/> − 1 of the scratch, unit
    /// by unit in row order; in a step's <paramref name="last"/> pass, its first-layer columns too.
    /// </summary>
    private void SumShard(Sums sums, int start, int end, bool last)
    {
        for (int u = 0; u < _units.Length; u++)
        {
            SumUnit(_units[u], sums, start, end);
        }

        if (last)
        {
            ShardColumns(sums);
        }
    }

    /// <summary>A shard's first-layer columns from its histogram (which is cleared).</summary>
    private void ShardColumns(Sums sums)
    {
        for (int u = _firstHistogramUnit; u < _units.Length; u++)
        {
            ColumnUnit(_units[u], sums);
        }
    }

    /// <summary>The deltas of rows <paramref name="start"/> … <paramref name="end"/> − 1, last layer first, in place of their gradients.</summary>
    private void DeltaRows(int start, int end)
    {
        for (int l = _stride.Length - 1; l >= 0; l--)
        {
            var deltas = new DeltaWork(this, l, start, end);
            ActivationOperators.Dispatch(_activation[l], ref deltas);
            if (l > 0)
            {
                PropagateRows(l, start, end);
            }
        }
    }

    private readonly struct DeltaWork(TrainingKernel kernel, int layer, int start, int end) : IActivationWork
    {
        public void Run<TActivation>()
            where TActivation : struct, IActivationOperator => kernel.LayerDeltas<TActivation>(layer, start, end);
    }

    /// <summary>A layer's deltas: its gradients times the activation's derivative, lane by lane.</summary>
    private void LayerDeltas<TActivation>(int l, int start, int end)
        where TActivation : struct, IActivationOperator
    {
        int stride = _stride[l], rowStride = RowStride, offset = _offset[l];
        ref float z = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_z), _zAt);
        ref float a = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_a), _aAt);
        ref float g = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_g), _gAt);
        for (int r = start; r < end; r++)
        {
            for (int k = 0; k < stride; k += 8)
            {
                nuint at = (nuint)((r * rowStride) + offset + k);
                Vector256<float> delta = Vector256.LoadUnsafe(ref g, at) * TActivation.Derivative(Vector256.LoadUnsafe(ref z, at), Vector256.LoadUnsafe(ref a, at));
                delta.StoreUnsafe(ref g, at);
            }
        }
    }

    /// <summary>The previous layer's gradients: each row's deltas times the neurons' weights, neuron by neuron.</summary>
    private void PropagateRows(int l, int start, int end)
    {
        int width = _shape.Layers[l].Width, inStride = _stride[l - 1];
        int rowStride = RowStride, offset = _offset[l], inOffset = _offset[l - 1];
        ref float g = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_g), _gAt);
        ref float weights = ref MemoryMarshal.GetArrayDataReference(_rows[l]);
        for (int r = start; r < end; r++)
        {
            ref float previous = ref Unsafe.Add(ref g, (r * rowStride) + inOffset);
            for (int k = 0; k < width; k++)
            {
                Vector256<float> delta = Vector256.Create(Unsafe.Add(ref g, (r * rowStride) + offset + k));
                ref float row = ref Unsafe.Add(ref weights, k * inStride);
                for (int i = 0; i < inStride; i += 8)
                {
                    Vector256.FusedMultiplyAdd(delta, Vector256.LoadUnsafe(ref row, (nuint)i), Vector256.LoadUnsafe(ref previous, (nuint)i)).StoreUnsafe(ref previous, (nuint)i);
                }
            }
        }
    }

    /// <summary>One unit of a shard's gradient sums over its rows <paramref name="start"/> … <paramref name="end"/> − 1, in row order.</summary>
    private void SumUnit(Unit unit, Sums sums, int start, int end)
    {
        int rowStride = RowStride, l = unit.Layer, k = unit.Index;
        ref float g = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_g), _gAt);
        ref float a = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_a), _aAt);
        switch (unit.Kind)
        {
            case UnitKind.Bias:
            {
                ref float biasGradient = ref MemoryMarshal.GetArrayDataReference(sums.Biases[l]);
                Vector256<float> sum = Vector256.LoadUnsafe(ref biasGradient, (nuint)k);
                int at = _offset[l] + k;
                for (int r = start; r < end; r++)
                {
                    sum += Vector256.LoadUnsafe(ref g, (nuint)((r * rowStride) + at));
                }

                sum.StoreUnsafe(ref biasGradient, (nuint)k);
                break;
            }

            case UnitKind.Weights:
            {
                // The neuron's weights: delta · previous activations summed over the rows in a register.
                int inStride = _stride[l - 1], inOffset = _offset[l - 1], offset = _offset[l];
                ref float weightGradient = ref MemoryMarshal.GetArrayDataReference(sums.Weights[l]);
                for (int i = 0; i < inStride; i += 8)
                {
                    nuint w = (nuint)((k * inStride) + i);
                    Vector256<float> sum = Vector256.LoadUnsafe(ref weightGradient, w);
                    for (int r = start; r < end; r++)
                    {
                        Vector256<float> delta = Vector256.Create(Unsafe.Add(ref g, (r * rowStride) + offset + k));
                        sum = Vector256.FusedMultiplyAdd(delta, Vector256.LoadUnsafe(ref a, (nuint)((r * rowStride) + inOffset + i)), sum);
                    }

                    sum.StoreUnsafe(ref weightGradient, w);
                }

                break;
            }

            case UnitKind.Histogram16:
            {
                // First layer: each row's delta added to the histogram row its chunk code selects in each table.
                ref byte code = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_passCodes), unit.Chunk);
                ref float table = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(sums.Histogram), sums.HistogramAt + (unit.Chunk * ChunkRows * _stride[0]) + k);
                ref int rowA = ref MemoryMarshal.GetArrayDataReference(_rowA);
                ref int rowB = ref MemoryMarshal.GetArrayDataReference(_rowB);
                for (int r = start; r < end; r++)
                {
                    Vector512<float> delta = Vector512.LoadUnsafe(ref g, (nuint)((r * rowStride) + k));
                    int v = Unsafe.Add(ref code, r * _chunks);
                    ref float ha = ref Unsafe.Add(ref table, Unsafe.Add(ref rowA, v));
                    ref float hb = ref Unsafe.Add(ref table, Unsafe.Add(ref rowB, v));
                    (Vector512.LoadUnsafe(ref ha) + delta).StoreUnsafe(ref ha);
                    (Vector512.LoadUnsafe(ref hb) + delta).StoreUnsafe(ref hb);
                }

                break;
            }

            default:
            {
                // First layer, eight lanes: the same additions.
                ref byte code = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_passCodes), unit.Chunk);
                ref float table = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(sums.Histogram), sums.HistogramAt + (unit.Chunk * ChunkRows * _stride[0]) + k);
                ref int rowA = ref MemoryMarshal.GetArrayDataReference(_rowA);
                ref int rowB = ref MemoryMarshal.GetArrayDataReference(_rowB);
                for (int r = start; r < end; r++)
                {
                    Vector256<float> delta = Vector256.LoadUnsafe(ref g, (nuint)((r * rowStride) + k));
                    int v = Unsafe.Add(ref code, r * _chunks);
                    ref float ha = ref Unsafe.Add(ref table, Unsafe.Add(ref rowA, v));
                    ref float hb = ref Unsafe.Add(ref table, Unsafe.Add(ref rowB, v));
                    (Vector256.LoadUnsafe(ref ha) + delta).StoreUnsafe(ref ha);
                    (Vector256.LoadUnsafe(ref hb) + delta).StoreUnsafe(ref hb);
                }

                break;
            }
        }
    }

    /// <summary>
    /// Writes the gradient accumulated since the last call into <paramref name="gradient"/> (canonical layout, replacing
    /// its contents) and clears the accumulators.
    /// </summary>
    public void CollectGradient(Span<float> gradient)
    {
        LayerShape first = _shape.Layers[0];
        int stride = _stride[0];
        // Found already where the step's last pass was marked so; else each shard's columns from its histogram.
        Sums[] shards = _shardSums[_parity];
        if (!_columnsReady)
        {
            for (int s = 0; s < Shards; s++)
            {
                ShardColumns(shards[s]);
            }
        }

        _columnsReady = false;
        Total(shards);
        for (int s = 0; s < Shards; s++)
        {
            ClearSums(shards[s]);
        }

        TrainingProfile.Lap(TrainingProfile.Phase.Columns);
        ref float columns = ref MemoryMarshal.GetArrayDataReference(_firstGradient);
        ref float biasGradient = ref Unsafe.Add(ref columns, _firstColumns.Length);
        for (int k = 0; k < first.Width; k++)
        {
            gradient[first.BiasIndex(k)] = Unsafe.Add(ref biasGradient, k);
            ref float weights = ref MemoryMarshal.GetReference(gradient.Slice(first.WeightIndex(k, 0), first.InputCount));
            ref float column = ref Unsafe.Add(ref columns, k);
            for (int i = 0; i < first.InputCount; i++)
            {
                Unsafe.Add(ref weights, i) = Unsafe.Add(ref column, i * stride);
            }
        }

        for (int l = 1; l < _shape.Layers.Length; l++)
        {
            LayerShape layer = _shape.Layers[l];
            int inputs = _stride[l - 1];
            for (int k = 0; k < layer.Width; k++)
            {
                gradient[layer.BiasIndex(k)] = _biasGradient[l][k];
                _weightGradient[l].AsSpan(k * inputs, layer.InputCount).CopyTo(gradient.Slice(layer.WeightIndex(k, 0), layer.InputCount));
            }

        }

        TrainingProfile.Lap(TrainingProfile.Phase.Gather);
    }

    /// <summary>
    /// One chunk's five columns of the first layer's gradient for a histogram unit's neurons, and its histogram cleared:
    /// input j's column is the histogram rows whose digit j is 1 (+1) minus those whose digit j is 2 (−1) — the chunk's
    /// first three inputs from its first table, the last two from its second. Every row lands once in chunk 0's first table,
    /// so its rows sum to the bias gradient.
    /// </summary>
    private void ColumnUnit(Unit unit, Sums sums)
    {
        int stride = _stride[0], c = unit.Chunk, k = unit.Index;
        ref float a = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(sums.Histogram), sums.HistogramAt + (c * ChunkRows * stride) + k);
        ref float column = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(sums.Columns), (c * ChunkSize * stride) + k);
        ref float bias = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(sums.Columns), _firstColumns.Length + k);
        ref float b = ref Unsafe.Add(ref a, RowsA * stride);
        if (unit.Kind == UnitKind.Histogram16)
        {
            ColumnsA16(ref a, ref column, ref bias, stride, c == 0);
            ColumnsB16(ref b, ref Unsafe.Add(ref column, 3 * stride), stride);
        }
        else
        {
            ColumnsA8(ref a, ref column, ref bias, stride, c == 0);
            ColumnsB8(ref b, ref Unsafe.Add(ref column, 3 * stride), stride);
        }
    }

    /// <summary>A chunk's first table: its first three columns (and the bias) for eight neurons.</summary>
    private static void ColumnsA8(ref float a, ref float column, ref float biasColumn, int stride, bool withBias)
    {
        Vector256<float> g0 = Vector256<float>.Zero, g1 = g0, g2 = g0, bias = g0;
        ref float sign = ref MemoryMarshal.GetArrayDataReference(Signs);
        for (int r = 0; r < RowsA; r++)
        {
            nuint at = (nuint)(r * stride);
            Vector256<float> row = Vector256.LoadUnsafe(ref a, at);
            Vector256<float>.Zero.StoreUnsafe(ref a, at);
            bias += row;
            g0 = Vector256.FusedMultiplyAdd(row, Vector256.Create(Unsafe.Add(ref sign, 3 * r)), g0);
            g1 = Vector256.FusedMultiplyAdd(row, Vector256.Create(Unsafe.Add(ref sign, (3 * r) + 1)), g1);
            g2 = Vector256.FusedMultiplyAdd(row, Vector256.Create(Unsafe.Add(ref sign, (3 * r) + 2)), g2);
        }

        g0.StoreUnsafe(ref column);
        g1.StoreUnsafe(ref column, (nuint)stride);
        g2.StoreUnsafe(ref column, (nuint)(2 * stride));
        if (withBias)
        {
            bias.StoreUnsafe(ref biasColumn);
        }
    }

    /// <summary>A chunk's second table (<paramref name="b"/>): its last two columns for eight neurons.</summary>
    private static void ColumnsB8(ref float b, ref float column, int stride)
    {
        Vector256<float> g3 = Vector256<float>.Zero, g4 = g3;
        ref float sign = ref MemoryMarshal.GetArrayDataReference(Signs);
        for (int r = 0; r < 9; r++)
        {
            nuint at = (nuint)(r * stride);
            Vector256<float> row = Vector256.LoadUnsafe(ref b, at);
            Vector256<float>.Zero.StoreUnsafe(ref b, at);
            g3 = Vector256.FusedMultiplyAdd(row, Vector256.Create(Unsafe.Add(ref sign, 3 * r)), g3);
            g4 = Vector256.FusedMultiplyAdd(row, Vector256.Create(Unsafe.Add(ref sign, (3 * r) + 1)), g4);
        }

        g3.StoreUnsafe(ref column);
        g4.StoreUnsafe(ref column, (nuint)stride);
    }

    /// <summary><see cref="ColumnsA8"/> for sixteen neurons: the same operations lane by lane in one Vector512.</summary>
    private static void ColumnsA16(ref float a, ref float column, ref float biasColumn, int stride, bool withBias)
    {
        Vector512<float> g0 = Vector512<float>.Zero, g1 = g0, g2 = g0, bias = g0;
        ref float sign = ref MemoryMarshal.GetArrayDataReference(Signs);
        for (int r = 0; r < RowsA; r++)
        {
            nuint at = (nuint)(r * stride);
            Vector512<float> row = Vector512.LoadUnsafe(ref a, at);
            Vector512<float>.Zero.StoreUnsafe(ref a, at);
            bias += row;
            g0 = Vector512.FusedMultiplyAdd(row, Vector512.Create(Unsafe.Add(ref sign, 3 * r)), g0);
            g1 = Vector512.FusedMultiplyAdd(row, Vector512.Create(Unsafe.Add(ref sign, (3 * r) + 1)), g1);
            g2 = Vector512.FusedMultiplyAdd(row, Vector512.Create(Unsafe.Add(ref sign, (3 * r) + 2)), g2);
        }

        g0.StoreUnsafe(ref column);
        g1.StoreUnsafe(ref column, (nuint)stride);
        g2.StoreUnsafe(ref column, (nuint)(2 * stride));
        if (withBias)
        {
            bias.StoreUnsafe(ref biasColumn);
        }
    }

    /// <summary><see cref="ColumnsB8"/> for sixteen neurons: the same operations lane by lane in one Vector512.</summary>
    private static void ColumnsB16(ref float b, ref float column, int stride)
    {
        Vector512<float> g3 = Vector512<float>.Zero, g4 = g3;
        ref float sign = ref MemoryMarshal.GetArrayDataReference(Signs);
        for (int r = 0; r < 9; r++)
        {
            nuint at = (nuint)(r * stride);
            Vector512<float> row = Vector512.LoadUnsafe(ref b, at);
            Vector512<float>.Zero.StoreUnsafe(ref b, at);
            g3 = Vector512.FusedMultiplyAdd(row, Vector512.Create(Unsafe.Add(ref sign, 3 * r)), g3);
            g4 = Vector512.FusedMultiplyAdd(row, Vector512.Create(Unsafe.Add(ref sign, (3 * r) + 1)), g4);
        }

        g3.StoreUnsafe(ref column);
        g4.StoreUnsafe(ref column, (nuint)stride);
    }
}
