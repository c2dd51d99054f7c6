using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// The optimiser's step in the kernel's own layout, applied by every replica to its own copy of the parameters at the
/// start of its next job (<see cref="ApplyStep"/>): the shards' gradients added in shard order, then per unit a chunk's
/// first-layer weights (and, for chunk 0, the biases) with the grid's rounding and the chunk's tables rebuilt, a later
/// layer's biases or one neuron's weights; then any first-layer neuron whose Σ|w| + |b| may reach the grid's bound is
/// scaled down as <see cref="FixedPointGrid.SnapFirstLayer"/> does. No gathering, no transposition, and only the
/// shards' gradients cross between threads.
/// </summary>
internal sealed partial class TrainingKernel
{
    private float[] _firstMoment1 = [], _firstMoment2 = [], _firstUnsnapped = [], _absolute = [];
    private float[][] _rowMoment1 = [], _rowMoment2 = [], _biasMoment1 = [], _biasMoment2 = [];
    private OptimizerStep _optimizer, _nextOptimizer;
    private float _weightDecay;
    private bool _updateInPass;

    /// <summary>
    /// Keeps the optimiser's moments in the kernel from now on (zero), with <paramref name="weightDecay"/> on weights
    /// (never on biases): a step's last pass marked for it (<see cref="PrepareStep"/>) also updates the parameters.
    /// </summary>
    public void KeepMoments(float weightDecay)
    {
        _weightDecay = weightDecay;
        int layers = _stride.Length;
        _firstMoment1 = new float[_firstGradient.Length];
        _firstMoment2 = new float[_firstGradient.Length];
        _firstUnsnapped = new float[_firstGradient.Length];
        _absolute = new float[_chunks * _stride[0]];
        _rowMoment1 = new float[layers][];
        _rowMoment2 = new float[layers][];
        _biasMoment1 = new float[layers][];
        _biasMoment2 = new float[layers][];
        for (int l = 1; l < layers; l++)
        {
            _rowMoment1[l] = new float[_rows[l].Length];
            _rowMoment2[l] = new float[_rows[l].Length];
            _biasMoment1[l] = new float[_stride[l]];
            _biasMoment2[l] = new float[_stride[l]];
        }
    }

    /// <summary>Clears the kept moments (a restart of the optimiser).</summary>
    public void ClearMoments()
    {
        Sync();
        Array.Clear(_firstMoment1);
        Array.Clear(_firstMoment2);
        for (int l = 1; l < _stride.Length; l++)
        {
            Array.Clear(_rowMoment1[l]);
            Array.Clear(_rowMoment2[l]);
            Array.Clear(_biasMoment1[l]);
            Array.Clear(_biasMoment2[l]);
        }

        CommitSet();
    }

    /// <summary>The next pass marked last commits <paramref name="step"/> of the parameters (after <see cref="KeepMoments"/>).</summary>
    public void PrepareStep(in OptimizerStep step)
    {
        _nextOptimizer = step;
        _updateInPass = true;
    }

    /// <summary>
    /// Applies a committed step to this replica's parameters: the gradient from the shards' sums in shard order, the
    /// optimiser unit by unit (a chunk's columns and tables, a later layer's biases or neuron), then the grid's bound:
    /// a first-layer neuron whose float Σ|w| + |b| is not surely below it goes through
    /// <see cref="FixedPointGrid.SnapNeuron"/> from its values before rounding (which scales it down if it must), and
    /// every table is rebuilt then. Every replica applies the same arithmetic, so their copies keep the same bits.
    /// </summary>
    private void ApplyStep(Sums[] shards, in OptimizerStep step)
    {
        _optimizer = step;
        Total(shards);
        UpdateFirstLayer();
        for (int l = 1; l < _stride.Length; l++)
        {
            UpdateLayer(l);
        }

        LayerShape first = _shape.Layers[0];
        int stride = _stride[0], inputs = first.InputCount;
        if (FixedPointGrid.SurelyInside(LargestEstimate(), inputs))
        {
            // No neuron's estimate can reach the bound (the check grows with the estimate): none is scaled.
            for (int c = 0; c < _chunks; c++)
            {
                BuildTables(c, 0, stride);
            }

            return;
        }

        Span<float> weights = inputs <= 1024 ? stackalloc float[inputs] : new float[inputs];
        for (int k = 0; k < first.Width; k++)
        {
            float bias = _firstUnsnapped[_firstColumns.Length + k], estimate = MathF.Abs(bias);
            for (int c = 0; c < _chunks; c++)
            {
                estimate += _absolute[(c * stride) + k];
            }

            if (FixedPointGrid.SurelyInside(estimate, inputs))
            {
                continue;
            }

            for (int i = 0; i < inputs; i++)
            {
                weights[i] = _firstUnsnapped[(i * stride) + k];
            }

            FixedPointGrid.SnapNeuron(weights, ref bias);
            for (int i = 0; i < inputs; i++)
            {
                _firstColumns[(i * stride) + k] = weights[i];
            }

            _bias0[k] = bias;
        }

        // Every chunk's tables from its columns (after any neuron was scaled down).
        for (int c = 0; c < _chunks; c++)
        {
            BuildTables(c, 0, stride);
        }
    }

    /// <summary>The parameters in the canonical layout (the kernel's, after steps it updated).</summary>
    public void GetParameters(Span<float> parameters)
    {
        Sync();
        LayerShape first = _shape.Layers[0];
        for (int k = 0; k < first.Width; k++)
        {
            parameters[first.BiasIndex(k)] = _bias0[k];
            for (int i = 0; i < first.InputCount; i++)
            {
                parameters[first.WeightIndex(k, i)] = _firstColumns[(i * _stride[0]) + k];
            }
        }

        for (int l = 1; l < _shape.Layers.Length; l++)
        {
            LayerShape layer = _shape.Layers[l];
            for (int k = 0; k < layer.Width; k++)
            {
                parameters[layer.BiasIndex(k)] = _biases[l][k];
                _rows[l].AsSpan(k * _stride[l - 1], layer.InputCount).CopyTo(parameters.Slice(layer.WeightIndex(k, 0), layer.InputCount));
            }
        }
    }

    /// <summary>A chunk's two tables for lanes <paramref name="k"/> … <paramref name="k"/> + <paramref name="lanes"/> − 1 from its columns.</summary>
    private void BuildTables(int c, int k, int lanes)
    {
        int stride = _stride[0];
        ref float a = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tables), _tablesAt + (c * ChunkRows * stride) + k);
        ref float column = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_firstColumns), (c * ChunkSize * stride) + k);
        ref float b = ref Unsafe.Add(ref a, RowsA * stride);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= lanes - 16; j += 16)
            {
                BuildInRegisters(ref Unsafe.Add(ref a, j), ref Unsafe.Add(ref b, j), ref Unsafe.Add(ref column, j), stride);
            }
        }

        if (j < lanes)
        {
            Build(ref Unsafe.Add(ref a, j), ref Unsafe.Add(ref column, j), 3, stride, lanes - j);
            Build(ref Unsafe.Add(ref b, j), ref Unsafe.Add(ref column, (3 * stride) + j), 2, stride, lanes - j);
        }
    }

    /// <summary>
    /// <see cref="Build"/>'s two tables of a chunk for sixteen lanes, every row kept in a register until the rows built
    /// from it are: the same additions in the same order (row r + 3^j is row r plus input j's weight, row r + 2·3^j
    /// row r minus it), with no row read back from memory.
    /// </summary>
    private static void BuildInRegisters(ref float a, ref float b, ref float column, int stride)
    {
        Vector512<float> w0 = Vector512.LoadUnsafe(ref column), w1 = Vector512.LoadUnsafe(ref column, (nuint)stride);
        Vector512<float> w2 = Vector512.LoadUnsafe(ref column, (nuint)(2 * stride));
        Vector512<float> w3 = Vector512.LoadUnsafe(ref column, (nuint)(3 * stride)), w4 = Vector512.LoadUnsafe(ref column, (nuint)(4 * stride));
        Vector512<float> r0 = Vector512<float>.Zero, r1 = r0 + w0, r2 = r0 - w0;
        Span<Vector512<float>> rows = [r0, r1, r2, r0 + w1, r1 + w1, r2 + w1, r0 - w1, r1 - w1, r2 - w1];
        for (int r = 0; r < 9; r++)
        {
            Vector512<float> row = rows[r];
            row.StoreUnsafe(ref a, (nuint)(r * stride));
            (row + w2).StoreUnsafe(ref a, (nuint)((r + 9) * stride));
            (row - w2).StoreUnsafe(ref a, (nuint)((r + 18) * stride));
        }

        Vector512<float> s1 = r0 + w3, s2 = r0 - w3;
        r0.StoreUnsafe(ref b);
        s1.StoreUnsafe(ref b, (nuint)stride);
        s2.StoreUnsafe(ref b, (nuint)(2 * stride));
        (r0 + w4).StoreUnsafe(ref b, (nuint)(3 * stride));
        (s1 + w4).StoreUnsafe(ref b, (nuint)(4 * stride));
        (s2 + w4).StoreUnsafe(ref b, (nuint)(5 * stride));
        (r0 - w4).StoreUnsafe(ref b, (nuint)(6 * stride));
        (s1 - w4).StoreUnsafe(ref b, (nuint)(7 * stride));
        (s2 - w4).StoreUnsafe(ref b, (nuint)(8 * stride));
    }

    /// <summary>
    /// The largest first-layer neuron's float Σ|w| + |b| before rounding, each neuron's summed as <see cref="ApplyStep"/>
    /// does (|b|, then each chunk's Σ|w| in order), eight neurons at a time; NaN if any is.
    /// </summary>
    private float LargestEstimate()
    {
        int stride = _stride[0];
        ref float absolute = ref MemoryMarshal.GetArrayDataReference(_absolute);
        ref float bias = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_firstUnsnapped), _firstColumns.Length);
        float largest = 0;
        for (int k = 0; k < stride; k += 8)
        {
            Vector256<float> estimate = Vector256.Abs(Vector256.LoadUnsafe(ref bias, (nuint)k));
            for (int c = 0; c < _chunks; c++)
            {
                estimate += Vector256.LoadUnsafe(ref absolute, (nuint)((c * stride) + k));
            }

            for (int j = 0; j < 8; j++)
            {
                float e = estimate.GetElement(j);
                largest = float.IsNaN(largest) || e <= largest ? largest : e;
            }
        }

        return largest;
    }

    /// <summary>
    /// The optimiser on the first layer's columns and biases (element by element: the same bits in any grouping), their
    /// values before rounding kept for <see cref="ApplyStep"/>'s bound with their Σ|w| per chunk and neuron, then
    /// rounded to the grid.
    /// </summary>
    private void UpdateFirstLayer()
    {
        int stride = _stride[0], count = _firstColumns.Length;
        ref float columns = ref MemoryMarshal.GetArrayDataReference(_firstColumns);
        ref float gradient = ref MemoryMarshal.GetArrayDataReference(_firstGradient);
        ref float m1 = ref MemoryMarshal.GetArrayDataReference(_firstMoment1);
        ref float m2 = ref MemoryMarshal.GetArrayDataReference(_firstMoment2);
        float decay = _weightDecay, none = 0;
        _optimizer.Apply(ref columns, ref gradient, ref m1, ref m2, ref decay, true, count);
        _optimizer.Apply(ref MemoryMarshal.GetArrayDataReference(_bias0), ref Unsafe.Add(ref gradient, count), ref Unsafe.Add(ref m1, count), ref Unsafe.Add(ref m2, count), ref none, true, stride);
        _firstColumns.AsSpan().CopyTo(_firstUnsnapped);
        _bias0.AsSpan().CopyTo(_firstUnsnapped.AsSpan(count));
        ref float absolute = ref MemoryMarshal.GetArrayDataReference(_absolute);
        for (int c = 0; c < _chunks; c++)
        {
            for (int k = 0; k < stride; k += 8)
            {
                // A chunk's Σ|w| per neuron, its inputs in order.
                Vector256<float> sum = Vector256<float>.Zero;
                for (int i = c * ChunkSize; i < (c + 1) * ChunkSize; i++)
                {
                    sum += Vector256.Abs(Vector256.LoadUnsafe(ref columns, (nuint)((i * stride) + k)));
                }

                sum.StoreUnsafe(ref absolute, (nuint)((c * stride) + k));
            }
        }

        FixedPointGrid.SnapAll(_firstColumns);
        FixedPointGrid.SnapAll(_bias0);
    }

    /// <summary>The optimiser on layer <paramref name="l"/>'s biases and weights (rows, then the columns from them).</summary>
    private void UpdateLayer(int l)
    {
        float none = 0, decay = _weightDecay;
        _optimizer.Apply(ref _biases[l][0], ref _biasGradient[l][0], ref _biasMoment1[l][0], ref _biasMoment2[l][0], ref none, true, _stride[l]);
        _optimizer.Apply(ref _rows[l][0], ref _weightGradient[l][0], ref _rowMoment1[l][0], ref _rowMoment2[l][0], ref decay, true, _rows[l].Length);
        int inStride = _stride[l - 1], stride = _stride[l], inputs = _shape.Layers[l].InputCount;
        float[] rows = _rows[l], columns = _columns[l];
        for (int k = 0; k < _shape.Layers[l].Width; k++)
        {
            for (int i = 0; i < inputs; i++)
            {
                columns[(i * stride) + k] = rows[(k * inStride) + i];
            }
        }
    }
}
