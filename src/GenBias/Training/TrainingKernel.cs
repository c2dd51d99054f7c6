using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// The trainer's fused, batched forward and backward pass over a whole minibatch, for any dense shape: activations of
/// every layer kept from the forward pass, so the backward pass never runs it again; gradients accumulated over the
/// batch and collected once per step.
/// </summary>
/// <remarks>
/// <para>
/// Inputs are <em>chunk codes</em>: every five inputs one byte <c>v = Σ d_j·3^j</c>, digit <c>d</c> 0 for an input of
/// 0, 1 for +1 and 2 for −1 (the digits of <see cref="FirstLayerTables"/>). The first layer is two small tables per
/// chunk — 27 rows for its first three inputs, 9 for its last two — rebuilt from the weights by additions only at every
/// step (51 rows a chunk), so a first-layer pre-activation is the bias plus two row loads per chunk: no multiplies, no
/// conversion of inputs. Its gradient is dZᵀX with X ternary: each row's delta is added to one row of a histogram shaped
/// like the tables (two additions a chunk), and once per step every input's column is the histogram's rows summed with
/// the sign of that input's digit.
/// </para>
/// <para>
/// Wider layers run with neurons in lanes (the previous activation broadcast against a column of weights); narrower
/// ones as dot products. The activation is <see cref="ActivationMath"/>'s exact one. On the exact grid (which the trainer
/// keeps) every first-layer partial sum is exact, so the first layer has the bits of <c>Forward</c>; later layers sum in
/// this kernel's order, which agrees with <c>Forward</c> to rounding. Everything is element-wise or in a fixed order,
/// so the results do not depend on the hardware: the same seed gives the same model on every machine.
/// </para>
/// <para>
/// A pass is data-parallel: its rows fall into <see cref="Shards"/> fixed shards (each segment of the pass — the batch,
/// each distribution's samples — cut into as many equal parts, shard s taking part s of every segment), whatever the
/// number of threads. Each shard runs forward, its deltas and its own gradient sums (a histogram, columns, later layers'
/// sums) on one thread, against that thread's own copy of the parameters and tables (a <em>replica</em>); a step's
/// gradient is the shards' sums added in shard order, and every replica applies the same update to its own copy at the
/// start of the next job, so that only the shards' gradients cross between threads. A row's arithmetic and a shard's
/// order of sums never depend on the thread, so the parameters have the same bits for any number of threads, one
/// included.
/// </para>
/// </remarks>
internal sealed partial class TrainingKernel
{
    private readonly NetworkShape _shape;
    private readonly int _chunks;
    private readonly int[] _stride;      // padded width of each layer (a multiple of 8)
    private readonly int[] _offset;      // where each layer starts in a row of activations
    private readonly Activation[] _activation;
    private readonly float[] _tables;    // chunk c's two tables at _tablesAt + c · 36 · stride0 (on a 64-byte boundary)
    private readonly int _tablesAt;
    private readonly float[] _bias0;
    private readonly float[] _firstColumns; // the first layer's weights [input][stride0], inputs padded to whole chunks
    private readonly float[] _firstGradient; // the step's gradient, laid out alike, then the bias gradient
    private readonly float[][] _rows;    // layers ≥ 1: weights [width][inputStride], zero padded
    private readonly float[][] _columns; // layers ≥ 1: weights [input][stride], zero padded
    private readonly float[][] _biases;
    private readonly float[][] _weightGradient;
    private readonly float[][] _biasGradient;
    private readonly Unit[] _units;     // the gradient sums of a shard, in a fixed order
    private readonly int _firstHistogramUnit; // the first layer's units (the histogram's, then the columns') from here to the end
    private bool _columnsReady; // the step's last pass found the shards' first-layer columns
    private Action<int, int, int>? _passGradients; // the gradients of a piece of a pass, in a Pass; what reads a piece's activations, in a Forward
    private byte[] _passCodes = [];     // the codes of the pass in progress, in the order of its rows in the scratch
    private float[] _z = [], _a = [], _g = [];   // the pass's rows (pre-activations, activations, gradients) from _zAt, _aAt, _gAt on
    private int _zAt, _aAt, _gAt, _scratchRows;
    private readonly int[] _rowA = new int[243], _rowB = new int[243]; // RowA, RowB in floats (times the stride)

    /// <summary>A kernel for <paramref name="shape"/> (parameters zero until <see cref="SetParameters"/>).</summary>
    public TrainingKernel(NetworkShape shape)
        : this(shape, null)
    {
    }

    /// <summary>A kernel for <paramref name="shape"/>: a master (with the shards' sums), or a replica of <paramref name="master"/>.</summary>
    private TrainingKernel(NetworkShape shape, TrainingKernel? master)
    {
        ArgumentNullException.ThrowIfNull(shape);
        _shape = shape;
        int layers = shape.Layers.Length;
        _chunks = Chunks(shape.InputCount);
        _stride = new int[layers];
        _offset = new int[layers];
        _activation = new Activation[layers];
        int at = 0;
        for (int l = 0; l < layers; l++)
        {
            _stride[l] = ShapeRules.PaddedToOctets(shape.Layers[l].Width);
            _offset[l] = at;
            at += _stride[l];
            _activation[l] = shape.Layers[l].Activation;
        }

        RowStride = at;
        _master = master ?? this;
        (_tables, _tablesAt) = Aligned(_chunks * ChunkRows * _stride[0]);
        _bias0 = new float[_stride[0]];
        _firstColumns = new float[_chunks * ChunkSize * _stride[0]];
        _firstGradient = new float[_firstColumns.Length + _stride[0]];
        for (int v = 0; v < 243; v++)
        {
            _rowA[v] = RowA[v] * _stride[0];
            _rowB[v] = RowB[v] * _stride[0];
        }

        _rows = new float[layers][];
        _columns = new float[layers][];
        _biases = new float[layers][];
        _weightGradient = new float[layers][];
        _biasGradient = new float[layers][];
        for (int l = 1; l < layers; l++)
        {
            int inputs = _stride[l - 1];
            _rows[l] = new float[shape.Layers[l].Width * inputs];
            _columns[l] = new float[shape.Layers[l].InputCount * _stride[l]];
            _biases[l] = new float[_stride[l]];
            _weightGradient[l] = new float[_rows[l].Length];
            _biasGradient[l] = new float[_stride[l]];
        }

        _units = Units();
        _firstHistogramUnit = Array.FindIndex(_units, u => u.Kind is UnitKind.Histogram or UnitKind.Histogram16);
        _shardJob = ShardJob;
        _prepareReplicas = PrepareReplicas;
        if (master is null)
        {
            Sums[] sums = NewSums();
            _shardSums = [sums, NewSums(sums)];
        }
        else
        {
            _shardSums = [];
        }
    }

    /// <summary>The threads passes run on; null runs them on the calling thread alone (the same bits either way).</summary>
    public TrainingWorkers? Workers { get; set; }

    /// <summary>Chunk codes per input row.</summary>
    public int ChunkCount => _chunks;

    /// <summary>Floats per row of <see cref="Activations"/> and <see cref="Gradients"/>.</summary>
    public int RowStride { get; }

    /// <summary>The activations of the last <see cref="Forward"/>, row by row (layer l at <see cref="Offset"/>(l)).</summary>
    public Span<float> Activations => _a.AsSpan(_aAt, _scratchRows * RowStride);

    /// <summary>dLoss/d(activation) for the rows of the next <see cref="Backward"/>, laid out like <see cref="Activations"/>.</summary>
    public Span<float> Gradients => _g.AsSpan(_gAt, _scratchRows * RowStride);

    /// <summary>Where layer <paramref name="layer"/>'s activations start within a row.</summary>
    public int Offset(int layer) => _offset[layer];

    /// <summary>Takes the network's canonical parameters: rebuilds the first layer's tables and the padded weights.</summary>
    public void SetParameters(ReadOnlySpan<float> parameters)
    {
        // A step not yet applied here moves the optimiser's moments: applied first, then the parameters replaced.
        Sync();
        LayerShape first = _shape.Layers[0];
        int stride = _stride[0], inputs = first.InputCount;
        // Input-major columns of the first layer, zero beyond the inputs and the width.
        ref float columns = ref MemoryMarshal.GetArrayDataReference(_firstColumns);
        for (int k = 0; k < first.Width; k++)
        {
            _bias0[k] = parameters[first.BiasIndex(k)];
            ref float weights = ref MemoryMarshal.GetReference(parameters.Slice(first.WeightIndex(k, 0), inputs));
            ref float column = ref Unsafe.Add(ref columns, k);
            for (int i = 0; i < inputs; i++)
            {
                Unsafe.Add(ref column, i * stride) = Unsafe.Add(ref weights, i);
            }
        }

        for (int c = 0; c < _chunks; c++)
        {
            BuildTables(c, 0, stride);
        }

        for (int l = 1; l < _shape.Layers.Length; l++)
        {
            LayerShape layer = _shape.Layers[l];
            int inStride = _stride[l - 1];
            for (int k = 0; k < layer.Width; k++)
            {
                _biases[l][k] = parameters[layer.BiasIndex(k)];
                ReadOnlySpan<float> weights = parameters.Slice(layer.WeightIndex(k, 0), layer.InputCount);
                weights.CopyTo(_rows[l].AsSpan(k * inStride));
                ref float column = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_columns[l]), k);
                for (int i = 0; i < weights.Length; i++)
                {
                    Unsafe.Add(ref column, i * _stride[l]) = weights[i];
                }
            }
        }

        CommitSet();
    }

    /// <summary>
    /// A table of 3^count rows from <paramref name="count"/> consecutive columns (their first <paramref name="lanes"/>
    /// lanes): row 0 zero, and digit j worth 3^j, so row r + 3^j is row r with input j at +1 and row r + 2·3^j the same
    /// at −1 (additions only).
    /// </summary>
    private static void Build(ref float table, ref float column, int count, int stride, int lanes)
    {
        for (int k = 0; k < lanes; k += 8)
        {
            Vector256<float>.Zero.StoreUnsafe(ref table, (nuint)k);
        }

        int rows = 1;
        for (int j = 0; j < count; j++)
        {
            ref float w = ref Unsafe.Add(ref column, j * stride);
            for (int r = 0; r < rows; r++)
            {
                int k = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    // Sixteen lanes at a time: the same additions lane by lane.
                    for (; k <= lanes - 16; k += 16)
                    {
                        Vector512<float> prefix = Vector512.LoadUnsafe(ref table, (nuint)((r * stride) + k)), weight = Vector512.LoadUnsafe(ref w, (nuint)k);
                        (prefix + weight).StoreUnsafe(ref table, (nuint)(((r + rows) * stride) + k));
                        (prefix - weight).StoreUnsafe(ref table, (nuint)(((r + (2 * rows)) * stride) + k));
                    }
                }

                for (; k < lanes; k += 8)
                {
                    Vector256<float> prefix = Vector256.LoadUnsafe(ref table, (nuint)((r * stride) + k)), weight = Vector256.LoadUnsafe(ref w, (nuint)k);
                    (prefix + weight).StoreUnsafe(ref table, (nuint)(((r + rows) * stride) + k));
                    (prefix - weight).StoreUnsafe(ref table, (nuint)(((r + (2 * rows)) * stride) + k));
                }
            }

            rows *= 3;
        }
    }

    /// <summary>
    /// <paramref name="length"/> floats from <c>At</c> on in a pinned array, the first on a 64-byte boundary: a row of
    /// sixteen floats (a table's or a histogram's) is then one cache line, which a Vector512 reads or writes whole.
    /// </summary>
    private static (float[] Array, int At) Aligned(int length)
    {
        float[] array = GC.AllocateArray<float>(length + 16, pinned: true);
        long address = (long)System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
        return (array, (int)((64 - (address & 63)) & 63) / sizeof(float));
    }

    /// <summary>Makes room for <paramref name="rows"/> rows.</summary>
    public void Reserve(int rows)
    {
        if (_scratchRows < rows)
        {
            // On 64-byte boundaries: with rows of a multiple of sixteen floats (or an even shard's worth of rows), the
            // shards' rows share no cache line.
            _scratchRows = rows;
            (_z, _zAt) = Aligned(rows * RowStride);
            (_a, _aAt) = Aligned(rows * RowStride);
            (_g, _gAt) = Aligned(rows * RowStride);
        }
    }

    /// <summary>The lanes' sum in a fixed order (lane i + lane i+4, then pairs), the same on every machine.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(Vector256<float> v)
    {
        Vector128<float> h = v.GetLower() + v.GetUpper();
        return (h.GetElement(0) + h.GetElement(2)) + (h.GetElement(1) + h.GetElement(3));
    }
}
