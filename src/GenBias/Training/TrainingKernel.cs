using System;
using System.Linq;
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
/// </remarks>
internal sealed class TrainingKernel
{
    /// <summary>Inputs per chunk code.</summary>
    public const int ChunkSize = 5;

    private const int RowsA = 27, ChunkRows = 36;

    /// <summary>Row of the 27-row table (times 1) and of the 9-row table (offset 27) for each chunk code.</summary>
    private static readonly int[] RowA = new int[243], RowB = new int[243];

    /// <summary>The input each digit of rows 0–26 stands for (0, +1, −1), three per row: g += row · sign is exact.</summary>
    private static readonly float[] Signs = new float[RowsA * 3];

    /// <summary>The five inputs (−1, 0, +1) of each chunk code.</summary>
    private static readonly sbyte[] Values = new sbyte[243 * ChunkSize];

    /// <summary>For a chunk of k inputs, byte b's code b mod 3^k.</summary>
    private static readonly byte[][] Remainders = [.. Enumerable.Range(0, ChunkSize + 1).Select(k => Enumerable.Range(0, 256).Select(b => (byte)(b % (int)Math.Pow(3, k))).ToArray())];

    private readonly NetworkShape _shape;
    private readonly int _chunks;
    private readonly int[] _stride;      // padded width of each layer (a multiple of 8)
    private readonly int[] _offset;      // where each layer starts in a row of activations
    private readonly Activation[] _activation;
    private readonly float[] _tables;    // chunk c's two tables at c · 36 · stride0
    private readonly float[] _histogram; // the first layer's gradient, shaped like the tables
    private readonly float[] _bias0;
    private readonly float[] _firstColumns; // the first layer's weights [input][stride0], inputs padded to whole chunks
    private readonly float[] _firstGradient; // their gradient, laid out alike, then the bias gradient
    private readonly float[][] _rows;    // layers ≥ 1: weights [width][inputStride], zero padded
    private readonly float[][] _columns; // layers ≥ 1: weights [input][stride], zero padded
    private readonly float[][] _biases;
    private readonly float[][] _weightGradient;
    private readonly float[][] _biasGradient;
    private float[] _z = [], _a = [], _g = [];
    private int[] _rowOffsets = [];
    private readonly int[] _rowA = new int[243], _rowB = new int[243]; // RowA, RowB in floats (times the stride)

    /// <summary>A kernel for <paramref name="shape"/> (parameters zero until <see cref="SetParameters"/>).</summary>
    public TrainingKernel(NetworkShape shape)
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
        _tables = new float[_chunks * ChunkRows * _stride[0]];
        _histogram = new float[_tables.Length];
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
    }

    /// <summary>Chunk codes per input row.</summary>
    public int ChunkCount => _chunks;

    /// <summary>Floats per row of <see cref="Activations"/> and <see cref="Gradients"/>.</summary>
    public int RowStride { get; }

    /// <summary>The activations of the last <see cref="Forward"/>, row by row (layer l at <see cref="Offset"/>(l)).</summary>
    public Span<float> Activations => _a;

    /// <summary>dLoss/d(activation) for the rows of the next <see cref="Backward"/>, laid out like <see cref="Activations"/>.</summary>
    public Span<float> Gradients => _g;

    /// <summary>Where layer <paramref name="layer"/>'s activations start within a row.</summary>
    public int Offset(int layer) => _offset[layer];

    /// <summary>Chunk codes for <paramref name="inputs"/>.</summary>
    public static int Chunks(int inputs) => (inputs + ChunkSize - 1) / ChunkSize;

    /// <summary>Writes the chunk codes of one ternary row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Encode(ReadOnlySpan<sbyte> input, Span<byte> codes)
    {
        for (int c = 0; c < codes.Length; c++)
        {
            int v = 0, scale = 1;
            for (int j = c * ChunkSize; j < Math.Min(input.Length, (c + 1) * ChunkSize); j++)
            {
                // 1 → 1, 0 → 0, −1 → 2 without branches: x & 3 is 1, 0 or 3.
                int bits = input[j] & 3;
                v += (bits - (bits >> 1)) * scale;
                scale *= 3;
            }

            codes[c] = (byte)v;
        }
    }

    /// <summary>The chunk codes of every row of <paramref name="inputs"/> (rows of <paramref name="width"/> values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static byte[] EncodeRows(ReadOnlySpan<sbyte> inputs, int width)
    {
        int rows = width == 0 ? 0 : inputs.Length / width, chunks = Chunks(width);
        byte[] codes = new byte[rows * chunks];
        for (int r = 0; r < rows; r++)
        {
            Encode(inputs.Slice(r * width, width), codes.AsSpan(r * chunks, chunks));
        }

        return codes;
    }

    /// <summary>Writes the ternary row of chunk codes (the inverse of <see cref="Encode"/>).</summary>
    public static void Decode(ReadOnlySpan<byte> codes, Span<sbyte> input)
    {
        ReadOnlySpan<sbyte> values = Values;
        for (int c = 0, i = 0; i < input.Length; c++, i += ChunkSize)
        {
            int count = Math.Min(ChunkSize, input.Length - i);
            values.Slice(codes[c] * ChunkSize, count).CopyTo(input.Slice(i, count));
        }
    }

    /// <summary>
    /// Fills <paramref name="codes"/> with inputs uniform over the cube {−1, 0, 1}^n, as chunk codes: each chunk is uniform over
    /// its 3^k combinations, from one random byte (bytes at or above the largest multiple of 3^k below 256 are rejected,
    /// so the draw is exactly uniform).
    /// </summary>
    public static void DrawUniform(DeterministicRandom random, int inputs, Span<byte> codes)
    {
        int chunks = Chunks(inputs), lastCount = inputs - ((chunks - 1) * ChunkSize);
        int lastRange = lastCount == 5 ? 243 : lastCount == 4 ? 81 : lastCount == 3 ? 27 : lastCount == 2 ? 9 : 3;
        int lastLimit = 256 - (256 % lastRange);
        ReadOnlySpan<byte> lastCode = Remainders[lastCount];

        ulong bits = 0;
        int left = 0, chunk = 0, at = 0;
        if (lastCount == ChunkSize)
        {
            // Every chunk full: the accepted bytes in order are the codes. Eight bytes a draw, each written and kept
            // if below 243 (no branch); the tail below takes the same bytes the same way.
            ref byte code = ref MemoryMarshal.GetReference(codes);
            while (at <= codes.Length - 8)
            {
                bits = random.NextUInt64();
                for (int j = 0; j < 8; j++)
                {
                    byte b = (byte)(bits >> (8 * j));
                    Unsafe.Add(ref code, at) = b;
                    at += b < 243 ? 1 : 0;
                }
            }

            bits = 0;
        }

        for (; at < codes.Length; at++)
        {
            bool last = chunk == chunks - 1;
            int limit = last ? lastLimit : 243;
            while (true)
            {
                if (left == 0)
                {
                    bits = random.NextUInt64();
                    left = 8;
                }

                int b = (int)(bits & 0xFF);
                bits >>= 8;
                left--;
                if (b < limit)
                {
                    codes[at] = last ? lastCode[b] : (byte)b;
                    break;
                }
            }

            chunk = last ? 0 : chunk + 1;
        }
    }

    /// <summary>Takes the network's canonical parameters: rebuilds the first layer's tables and the padded weights.</summary>
    public void SetParameters(ReadOnlySpan<float> parameters)
    {
        LayerShape first = _shape.Layers[0];
        int stride = _stride[0], inputs = first.InputCount;
        // Input-major columns of the first layer, zero beyond the inputs and the width.
        ref float columns = ref MemoryMarshal.GetArrayDataReference(_firstColumns);
        for (int k = 0; k < first.Width; k++)
        {
            _bias0[k] = parameters[first.BiasIndex(k)];
            ReadOnlySpan<float> weights = parameters.Slice(first.WeightIndex(k, 0), inputs);
            for (int i = 0; i < weights.Length; i++)
            {
                Unsafe.Add(ref columns, (i * stride) + k) = weights[i];
            }
        }

        ref float tables = ref MemoryMarshal.GetArrayDataReference(_tables);
        for (int c = 0; c < _chunks; c++)
        {
            ref float a = ref Unsafe.Add(ref tables, c * ChunkRows * stride);
            ref float b = ref Unsafe.Add(ref a, RowsA * stride);
            Build(ref a, ref Unsafe.Add(ref columns, c * ChunkSize * stride), 3, stride);
            Build(ref b, ref Unsafe.Add(ref columns, ((c * ChunkSize) + 3) * stride), 2, stride);
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
                for (int i = 0; i < weights.Length; i++)
                {
                    _columns[l][(i * _stride[l]) + k] = weights[i];
                }
            }
        }
    }

    /// <summary>
    /// A table of 3^count rows from <paramref name="count"/> consecutive columns: row 0 zero, and digit j worth 3^j, so
    /// row r + 3^j is row r with input j at +1 and row r + 2·3^j the same at −1 (additions only).
    /// </summary>
    private static void Build(ref float table, ref float column, int count, int stride)
    {
        for (int k = 0; k < stride; k += 8)
        {
            Vector256<float>.Zero.StoreUnsafe(ref table, (nuint)k);
        }

        int rows = 1;
        for (int j = 0; j < count; j++)
        {
            ref float w = ref Unsafe.Add(ref column, j * stride);
            for (int r = 0; r < rows; r++)
            {
                for (int k = 0; k < stride; k += 8)
                {
                    Vector256<float> prefix = Vector256.LoadUnsafe(ref table, (nuint)((r * stride) + k)), weight = Vector256.LoadUnsafe(ref w, (nuint)k);
                    (prefix + weight).StoreUnsafe(ref table, (nuint)(((r + rows) * stride) + k));
                    (prefix - weight).StoreUnsafe(ref table, (nuint)(((r + (2 * rows)) * stride) + k));
                }
            }

            rows *= 3;
        }
    }

    /// <summary>Makes room for <paramref name="rows"/> rows.</summary>
    public void Reserve(int rows)
    {
        if (_z.Length < rows * RowStride)
        {
            _z = new float[rows * RowStride];
            _a = new float[rows * RowStride];
            _g = new float[rows * RowStride];
            _rowOffsets = new int[2 * _chunks];
        }
    }

    /// <summary>Runs <paramref name="rows"/> inputs (chunk codes, <see cref="ChunkCount"/> per row) through every layer.</summary>
    /// <remarks>Layer by layer over all rows: the rows are independent, so the processor overlaps their latency chains.</remarks>
    public void Forward(ReadOnlySpan<byte> codes, int rows)
    {
        Reserve(rows);
        int stride0 = _stride[0], chunks = _chunks, rowStride = RowStride;
        ref float tables = ref MemoryMarshal.GetArrayDataReference(_tables);
        ref float bias0 = ref MemoryMarshal.GetArrayDataReference(_bias0);
        ref byte code = ref MemoryMarshal.GetReference(codes);
        ref float z = ref MemoryMarshal.GetArrayDataReference(_z);
        ref float a = ref MemoryMarshal.GetArrayDataReference(_a);
        ref int offsets = ref MemoryMarshal.GetArrayDataReference(_rowOffsets);
        ref int rowA = ref MemoryMarshal.GetArrayDataReference(_rowA);
        ref int rowB = ref MemoryMarshal.GetArrayDataReference(_rowB);
        Activation first = _activation[0];
        int chunkFloats = ChunkRows * stride0;
        for (int r = 0; r < rows; r++)
        {
            ref byte rowCode = ref Unsafe.Add(ref code, r * chunks);
            ref float zr = ref Unsafe.Add(ref z, r * rowStride);
            ref float ar = ref Unsafe.Add(ref a, r * rowStride);
            // First layer: the bias plus one row of each of a chunk's two tables (their offsets found once per row),
            // sixteen neurons at a time where there are, each eight in two chains.
            for (int c = 0; c < chunks; c++)
            {
                int v = Unsafe.Add(ref rowCode, c);
                Unsafe.Add(ref offsets, 2 * c) = (c * chunkFloats) + Unsafe.Add(ref rowA, v);
                Unsafe.Add(ref offsets, (2 * c) + 1) = (c * chunkFloats) + Unsafe.Add(ref rowB, v);
            }

            int k = 0;
            for (; k <= stride0 - 16; k += 16)
            {
                Vector256<float> low = Vector256.LoadUnsafe(ref bias0, (nuint)k), high = Vector256.LoadUnsafe(ref bias0, (nuint)(k + 8));
                Vector256<float> low2 = Vector256<float>.Zero, high2 = Vector256<float>.Zero;
                ref float table = ref Unsafe.Add(ref tables, k);
                for (int c = 0; c < 2 * chunks; c += 2)
                {
                    ref float ta = ref Unsafe.Add(ref table, Unsafe.Add(ref offsets, c));
                    ref float tb = ref Unsafe.Add(ref table, Unsafe.Add(ref offsets, c + 1));
                    low += Vector256.LoadUnsafe(ref ta);
                    high += Vector256.LoadUnsafe(ref ta, 8);
                    low2 += Vector256.LoadUnsafe(ref tb);
                    high2 += Vector256.LoadUnsafe(ref tb, 8);
                }

                low += low2;
                high += high2;
                low.StoreUnsafe(ref zr, (nuint)k);
                high.StoreUnsafe(ref zr, (nuint)(k + 8));
                ActivationMath.Apply(first, low).StoreUnsafe(ref ar, (nuint)k);
                ActivationMath.Apply(first, high).StoreUnsafe(ref ar, (nuint)(k + 8));
            }

            if (k < stride0)
            {
                Vector256<float> even = Vector256.LoadUnsafe(ref bias0, (nuint)k), odd = Vector256<float>.Zero;
                ref float table = ref Unsafe.Add(ref tables, k);
                for (int c = 0; c < 2 * chunks; c += 2)
                {
                    even += Vector256.LoadUnsafe(ref table, (nuint)Unsafe.Add(ref offsets, c));
                    odd += Vector256.LoadUnsafe(ref table, (nuint)Unsafe.Add(ref offsets, c + 1));
                }

                Vector256<float> sum = even + odd;
                sum.StoreUnsafe(ref zr, (nuint)k);
                ActivationMath.Apply(first, sum).StoreUnsafe(ref ar, (nuint)k);
            }
        }

        for (int l = 1; l < _stride.Length; l++)
        {
            ForwardLayer(l, rows);
        }
    }

    private void ForwardLayer(int l, int rows)
    {
        int inputs = _shape.Layers[l].InputCount, width = _shape.Layers[l].Width, stride = _stride[l], inStride = _stride[l - 1];
        int rowStride = RowStride, inOffset = _offset[l - 1], offset = _offset[l];
        ref float z = ref MemoryMarshal.GetArrayDataReference(_z);
        ref float a = ref MemoryMarshal.GetArrayDataReference(_a);
        ref float bias = ref MemoryMarshal.GetArrayDataReference(_biases[l]);
        Activation activation = _activation[l];
        if (width >= 8)
        {
            // Neurons in lanes: each previous activation broadcast against its column of weights, in two chains.
            ref float columns = ref MemoryMarshal.GetArrayDataReference(_columns[l]);
            for (int r = 0; r < rows; r++)
            {
                ref float previous = ref Unsafe.Add(ref a, (r * rowStride) + inOffset);
                ref float zl = ref Unsafe.Add(ref z, (r * rowStride) + offset);
                ref float al = ref Unsafe.Add(ref a, (r * rowStride) + offset);
                for (int k = 0; k < stride; k += 8)
                {
                    Vector256<float> even = Vector256.LoadUnsafe(ref bias, (nuint)k), odd = Vector256<float>.Zero;
                    int i = 0;
                    for (; i < inputs - 1; i += 2)
                    {
                        even = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref previous, i)), Vector256.LoadUnsafe(ref columns, (nuint)((i * stride) + k)), even);
                        odd = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref previous, i + 1)), Vector256.LoadUnsafe(ref columns, (nuint)(((i + 1) * stride) + k)), odd);
                    }

                    if (i < inputs)
                    {
                        even = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref previous, i)), Vector256.LoadUnsafe(ref columns, (nuint)((i * stride) + k)), even);
                    }

                    Vector256<float> sum = even + odd;
                    sum.StoreUnsafe(ref zl, (nuint)k);
                    ActivationMath.Apply(activation, sum).StoreUnsafe(ref al, (nuint)k);
                }
            }

            return;
        }

        // A narrow layer: one dot product per row and neuron over the previous layer (its padding has zero weights),
        // then the activation of eight rows at once.
        ref float weights = ref MemoryMarshal.GetArrayDataReference(_rows[l]);
        for (int r = 0; r < rows; r++)
        {
            ref float previous = ref Unsafe.Add(ref a, (r * rowStride) + inOffset);
            ref float zl = ref Unsafe.Add(ref z, (r * rowStride) + offset);
            for (int k = 0; k < width; k++)
            {
                ref float row = ref Unsafe.Add(ref weights, k * inStride);
                Vector256<float> sum = Vector256<float>.Zero;
                for (int i = 0; i < inStride; i += 8)
                {
                    sum = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)i), Vector256.LoadUnsafe(ref previous, (nuint)i), sum);
                }

                Unsafe.Add(ref zl, k) = Sum(sum) + Unsafe.Add(ref bias, k);
            }
        }

        Span<float> lanes = stackalloc float[8];
        Span<int> places = stackalloc int[8];
        int filled = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int k = 0; k < width; k++)
            {
                int at = (r * rowStride) + offset + k;
                places[filled] = at;
                lanes[filled++] = Unsafe.Add(ref z, at);
                if (filled == 8 || (r == rows - 1 && k == width - 1))
                {
                    ActivationMath.Apply(activation, Vector256.Create<float>(lanes)).CopyTo(lanes);
                    for (int j = 0; j < filled; j++)
                    {
                        Unsafe.Add(ref a, places[j]) = lanes[j];
                    }

                    filled = 0;
                }
            }
        }
    }

    /// <summary>Clears <see cref="Gradients"/> for <paramref name="rows"/> rows.</summary>
    public void ClearGradients(int rows)
    {
        Reserve(rows);
        _g.AsSpan(0, rows * RowStride).Clear();
    }

    /// <summary>
    /// Back-propagates <see cref="Gradients"/> of the rows of the last <see cref="Forward"/> (same codes) and adds their
    /// parameter gradients to the kernel's accumulators (<see cref="CollectGradient"/> reads them).
    /// </summary>
    public void Backward(ReadOnlySpan<byte> codes, int rows)
    {
        for (int l = _stride.Length - 1; l >= 1; l--)
        {
            BackwardLayer(l, rows);
        }

        // First layer: each row's delta added to the histogram row each chunk's code selects.
        int stride0 = _stride[0], chunks = _chunks, rowStride = RowStride, chunkFloats = ChunkRows * stride0;
        ref float histogram = ref MemoryMarshal.GetArrayDataReference(_histogram);
        ref int rowA = ref MemoryMarshal.GetArrayDataReference(_rowA);
        ref int rowB = ref MemoryMarshal.GetArrayDataReference(_rowB);
        ref byte code = ref MemoryMarshal.GetReference(codes);
        ref float z = ref MemoryMarshal.GetArrayDataReference(_z);
        ref float a = ref MemoryMarshal.GetArrayDataReference(_a);
        ref float g = ref MemoryMarshal.GetArrayDataReference(_g);
        Activation first = _activation[0];
        for (int r = 0; r < rows; r++)
        {
            ref byte rowCode = ref Unsafe.Add(ref code, r * chunks);
            nuint at = (nuint)(r * rowStride);
            for (int k = 0; k < stride0; k += 8)
            {
                Vector256<float> delta = Vector256.LoadUnsafe(ref g, at + (nuint)k) *
                    ActivationMath.Derivative(first, Vector256.LoadUnsafe(ref z, at + (nuint)k), Vector256.LoadUnsafe(ref a, at + (nuint)k));
                ref float table = ref Unsafe.Add(ref histogram, k);
                for (int c = 0; c < chunks; c++)
                {
                    int v = Unsafe.Add(ref rowCode, c);
                    ref float ha = ref Unsafe.Add(ref table, Unsafe.Add(ref rowA, v));
                    ref float hb = ref Unsafe.Add(ref table, Unsafe.Add(ref rowB, v));
                    (Vector256.LoadUnsafe(ref ha) + delta).StoreUnsafe(ref ha);
                    (Vector256.LoadUnsafe(ref hb) + delta).StoreUnsafe(ref hb);
                    table = ref Unsafe.Add(ref table, chunkFloats);
                }
            }
        }
    }

    private void BackwardLayer(int l, int rows)
    {
        int width = _shape.Layers[l].Width, stride = _stride[l], inStride = _stride[l - 1];
        int rowStride = RowStride, offset = _offset[l], inOffset = _offset[l - 1];
        ref float z = ref MemoryMarshal.GetArrayDataReference(_z);
        ref float a = ref MemoryMarshal.GetArrayDataReference(_a);
        ref float g = ref MemoryMarshal.GetArrayDataReference(_g);
        ref float weights = ref MemoryMarshal.GetArrayDataReference(_rows[l]);
        ref float weightGradient = ref MemoryMarshal.GetArrayDataReference(_weightGradient[l]);
        ref float biasGradient = ref MemoryMarshal.GetArrayDataReference(_biasGradient[l]);
        Activation activation = _activation[l];
        for (int k = 0; k < stride; k += 8)
        {
            // Deltas in place of the gradients; the bias gradient summed over the rows in a register, in row order.
            Vector256<float> biasSum = Vector256.LoadUnsafe(ref biasGradient, (nuint)k);
            for (int r = 0; r < rows; r++)
            {
                nuint at = (nuint)((r * rowStride) + offset + k);
                Vector256<float> delta = Vector256.LoadUnsafe(ref g, at) *
                    ActivationMath.Derivative(activation, Vector256.LoadUnsafe(ref z, at), Vector256.LoadUnsafe(ref a, at));
                delta.StoreUnsafe(ref g, at);
                biasSum += delta;
            }

            biasSum.StoreUnsafe(ref biasGradient, (nuint)k);
        }

        // Each neuron's weights: delta · previous activations summed over the rows in a register (row order); the
        // previous layer's gradient: delta · the neuron's weights, row by row.
        for (int k = 0; k < width; k++)
        {
            for (int i = 0; i < inStride; i += 8)
            {
                nuint w = (nuint)((k * inStride) + i);
                Vector256<float> row = Vector256.LoadUnsafe(ref weights, w), sum = Vector256.LoadUnsafe(ref weightGradient, w);
                for (int r = 0; r < rows; r++)
                {
                    Vector256<float> delta = Vector256.Create(Unsafe.Add(ref g, (r * rowStride) + offset + k));
                    nuint at = (nuint)((r * rowStride) + inOffset + i);
                    sum = Vector256.FusedMultiplyAdd(delta, Vector256.LoadUnsafe(ref a, at), sum);
                    Vector256.FusedMultiplyAdd(delta, row, Vector256.LoadUnsafe(ref g, at)).StoreUnsafe(ref g, at);
                }

                sum.StoreUnsafe(ref weightGradient, w);
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
        // Input j's column: the histogram rows whose digit j is 1 (+1) minus those whose digit j is 2 (−1). Every row
        // lands once in chunk 0's first table, so its rows sum to the bias gradient.
        ref float histogram = ref MemoryMarshal.GetArrayDataReference(_histogram);
        ref float columns = ref MemoryMarshal.GetArrayDataReference(_firstGradient);
        ref float biasGradient = ref Unsafe.Add(ref columns, _firstColumns.Length);
        for (int c = 0; c < _chunks; c++)
        {
            ref float a = ref Unsafe.Add(ref histogram, c * ChunkRows * stride);
            for (int k = 0; k < stride; k += 8)
            {
                Vector256<float> g0 = Vector256<float>.Zero, g1 = g0, g2 = g0, g3 = g0, g4 = g0, bias = g0;
                ref float sign = ref MemoryMarshal.GetArrayDataReference(Signs);
                for (int r = 0; r < RowsA; r++)
                {
                    Vector256<float> row = Vector256.LoadUnsafe(ref a, (nuint)((r * stride) + k));
                    bias += row;
                    g0 = Vector256.FusedMultiplyAdd(row, Vector256.Create(Unsafe.Add(ref sign, 3 * r)), g0);
                    g1 = Vector256.FusedMultiplyAdd(row, Vector256.Create(Unsafe.Add(ref sign, (3 * r) + 1)), g1);
                    g2 = Vector256.FusedMultiplyAdd(row, Vector256.Create(Unsafe.Add(ref sign, (3 * r) + 2)), g2);
                }

                for (int r = 0; r < 9; r++)
                {
                    Vector256<float> row = Vector256.LoadUnsafe(ref a, (nuint)(((RowsA + r) * stride) + k));
                    g3 = Vector256.FusedMultiplyAdd(row, Vector256.Create(Unsafe.Add(ref sign, 3 * r)), g3);
                    g4 = Vector256.FusedMultiplyAdd(row, Vector256.Create(Unsafe.Add(ref sign, (3 * r) + 1)), g4);
                }

                ref float column = ref Unsafe.Add(ref columns, (c * ChunkSize * stride) + k);
                g0.StoreUnsafe(ref column);
                g1.StoreUnsafe(ref column, (nuint)stride);
                g2.StoreUnsafe(ref column, (nuint)(2 * stride));
                g3.StoreUnsafe(ref column, (nuint)(3 * stride));
                g4.StoreUnsafe(ref column, (nuint)(4 * stride));
                if (c == 0)
                {
                    bias.StoreUnsafe(ref biasGradient, (nuint)k);
                }
            }
        }

        _histogram.AsSpan().Clear();
        for (int k = 0; k < first.Width; k++)
        {
            gradient[first.BiasIndex(k)] = Unsafe.Add(ref biasGradient, k);
            Span<float> weights = gradient.Slice(first.WeightIndex(k, 0), first.InputCount);
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = Unsafe.Add(ref columns, (i * stride) + k);
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

            Array.Clear(_weightGradient[l]);
            Array.Clear(_biasGradient[l]);
        }
    }

    /// <summary>The lanes' sum in a fixed order (lane i + lane i+4, then pairs), the same on every machine.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(Vector256<float> v)
    {
        Vector128<float> h = v.GetLower() + v.GetUpper();
        return (h.GetElement(0) + h.GetElement(2)) + (h.GetElement(1) + h.GetElement(3));
    }

    static TrainingKernel()
    {
        for (int v = 0; v < 243; v++)
        {
            RowA[v] = v % RowsA;
            RowB[v] = RowsA + (v / RowsA);
            for (int j = 0, digits = v; j < ChunkSize; j++, digits /= 3)
            {
                Values[(v * ChunkSize) + j] = digits % 3 == 1 ? (sbyte)1 : digits % 3 == 2 ? (sbyte)-1 : (sbyte)0;
            }

            if (v < RowsA)
            {
                for (int j = 0, digits = v; j < 3; j++, digits /= 3)
                {
                    Signs[(3 * v) + j] = digits % 3 == 1 ? 1f : digits % 3 == 2 ? -1f : 0f;
                }
            }
        }
    }
}
