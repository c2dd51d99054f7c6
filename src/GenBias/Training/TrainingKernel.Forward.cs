using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>The forward pass: rows independent, each layer's activations kept for the backward pass.</summary>
internal sealed partial class TrainingKernel
{
    /// <summary>Runs <paramref name="rows"/> inputs (chunk codes, <see cref="ChunkCount"/> per row) through every layer.</summary>
    /// <remarks>
    /// Layer by layer over a shard's rows: the rows are independent, so the processor overlaps their latency chains,
    /// and shards run on <see cref="Workers"/>' threads with the bits of one thread. Then <paramref name="after"/>(from, to, at), where given, on the thread that ran rows from … to − 1 (found in the
    /// scratch from row at on): it may read their <see cref="Activations"/> there, while they are in that thread's cache.
    /// </remarks>
    public void Forward(byte[] codes, int rows, Action<int, int, int>? after = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(codes.Length, rows * _chunks, nameof(codes));
        Reserve(rows);
        Layout(rows, null, 1);
        Set(ref _gatherCodes, null);
        Set(ref _passGradients, after);
        RunShards(Job.Forward, codes, rows);
        TrainingProfile.Lap(TrainingProfile.Phase.Forward);
    }

    private void ForwardRows(int start, int end)
    {
        var first = new FirstLayerWork(this, start, end);
        ActivationOperators.Dispatch(_activation[0], ref first);
        for (int l = 1; l < _stride.Length; l++)
        {
            var layer = new LayerWork(this, l, start, end);
            ActivationOperators.Dispatch(_activation[l], ref layer);
        }
    }

    private readonly struct FirstLayerWork(TrainingKernel kernel, int start, int end) : IActivationWork
    {
        public void Run<TActivation>()
            where TActivation : struct, IActivationOperator => kernel.FirstLayerRows<TActivation>(start, end);
    }

    private readonly struct LayerWork(TrainingKernel kernel, int layer, int start, int end) : IActivationWork
    {
        public void Run<TActivation>()
            where TActivation : struct, IActivationOperator
        {
            if (kernel._shape.Layers[layer].Width >= 8)
            {
                kernel.WideLayerRows<TActivation>(layer, start, end);
            }
            else
            {
                kernel.NarrowLayerRows<TActivation>(layer, start, end);
            }
        }
    }

    /// <summary>
    /// The first layer: the bias plus one row of each of a chunk's two tables (their offsets found once per row),
    /// sixteen neurons at a time where there are (one Vector512, or two Vector256 each in two chains), then eight.
    /// Every lane sums the same values in the same order on each path.
    /// </summary>
    private void FirstLayerRows<TActivation>(int start, int end)
        where TActivation : struct, IActivationOperator
    {
        int stride0 = _stride[0], chunks = _chunks, rowStride = RowStride, chunkFloats = ChunkRows * stride0;
        ref float tables = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tables), _tablesAt);
        ref float bias0 = ref MemoryMarshal.GetArrayDataReference(_bias0);
        ref byte code = ref MemoryMarshal.GetArrayDataReference(_passCodes);
        ref float z = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_z), _zAt);
        ref float a = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_a), _aAt);
        ref int rowA = ref MemoryMarshal.GetArrayDataReference(_rowA);
        ref int rowB = ref MemoryMarshal.GetArrayDataReference(_rowB);
        Span<int> offsetSpan = chunks <= 512 ? stackalloc int[2 * chunks] : new int[2 * chunks];
        ref int offsets = ref MemoryMarshal.GetReference(offsetSpan);
        for (int r = start; r < end; r++)
        {
            ref byte rowCode = ref Unsafe.Add(ref code, r * chunks);
            ref float zr = ref Unsafe.Add(ref z, r * rowStride);
            ref float ar = ref Unsafe.Add(ref a, r * rowStride);
            for (int c = 0; c < chunks; c++)
            {
                int v = Unsafe.Add(ref rowCode, c);
                Unsafe.Add(ref offsets, 2 * c) = (c * chunkFloats) + Unsafe.Add(ref rowA, v);
                Unsafe.Add(ref offsets, (2 * c) + 1) = (c * chunkFloats) + Unsafe.Add(ref rowB, v);
            }

            int k = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; k <= stride0 - 16; k += 16)
                {
                    Vector512<float> even = Vector512.LoadUnsafe(ref bias0, (nuint)k), odd = Vector512<float>.Zero;
                    ref float table = ref Unsafe.Add(ref tables, k);
                    for (int c = 0; c < 2 * chunks; c += 2)
                    {
                        even += Vector512.LoadUnsafe(ref Unsafe.Add(ref table, Unsafe.Add(ref offsets, c)));
                        odd += Vector512.LoadUnsafe(ref Unsafe.Add(ref table, Unsafe.Add(ref offsets, c + 1)));
                    }

                    Vector512<float> sum = even + odd;
                    sum.StoreUnsafe(ref zr, (nuint)k);
                    TActivation.Apply(sum).StoreUnsafe(ref ar, (nuint)k);
                }
            }

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
                TActivation.Apply(low).StoreUnsafe(ref ar, (nuint)k);
                TActivation.Apply(high).StoreUnsafe(ref ar, (nuint)(k + 8));
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
                TActivation.Apply(sum).StoreUnsafe(ref ar, (nuint)k);
            }
        }
    }

    /// <summary>A layer of eight neurons or more: neurons in lanes, each previous activation broadcast against its column of weights, in two chains.</summary>
    private void WideLayerRows<TActivation>(int l, int start, int end)
        where TActivation : struct, IActivationOperator
    {
        int inputs = _shape.Layers[l].InputCount, stride = _stride[l];
        int rowStride = RowStride, inOffset = _offset[l - 1], offset = _offset[l];
        ref float z = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_z), _zAt);
        ref float a = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_a), _aAt);
        ref float bias = ref MemoryMarshal.GetArrayDataReference(_biases[l]);
        ref float columns = ref MemoryMarshal.GetArrayDataReference(_columns[l]);
        for (int r = start; r < end; r++)
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
                TActivation.Apply(sum).StoreUnsafe(ref al, (nuint)k);
            }
        }
    }

    /// <summary>
    /// A narrow layer: one dot product per row and neuron over the previous layer (its padding has zero weights), then
    /// the activation of eight values at once.
    /// </summary>
    private void NarrowLayerRows<TActivation>(int l, int start, int end)
        where TActivation : struct, IActivationOperator
    {
        int width = _shape.Layers[l].Width, inStride = _stride[l - 1];
        int rowStride = RowStride, inOffset = _offset[l - 1], offset = _offset[l];
        ref float z = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_z), _zAt);
        ref float a = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_a), _aAt);
        ref float bias = ref MemoryMarshal.GetArrayDataReference(_biases[l]);
        ref float weights = ref MemoryMarshal.GetArrayDataReference(_rows[l]);
        for (int r = start; r < end; r++)
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
        for (int r = start; r < end; r++)
        {
            for (int k = 0; k < width; k++)
            {
                int at = (r * rowStride) + offset + k;
                places[filled] = at;
                lanes[filled++] = Unsafe.Add(ref z, at);
                if (filled == 8 || (r == end - 1 && k == width - 1))
                {
                    TActivation.Apply(Vector256.Create<float>(lanes)).CopyTo(lanes);
                    for (int j = 0; j < filled; j++)
                    {
                        Unsafe.Add(ref a, places[j]) = lanes[j];
                    }

                    filled = 0;
                }
            }
        }
    }
}
