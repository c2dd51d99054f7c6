using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// Incremental evaluation for programs whose input changes one value at a time (board and game evaluators, sensor
/// streams; Stockfish's NNUE accumulator is the model): holds the first-layer pre-activations of a current input, and
/// <see cref="Set"/> updates them by one weight column instead of summing every input again.
/// </summary>
/// <remarks>
/// <para>
/// The network's first layer must be on the exact grid (<see cref="FixedPointGrid"/>, as the trainer leaves it): then
/// every partial sum of the first layer is exact, so the updated pre-activations equal those of a full pass and
/// <see cref="Evaluate(Span{float})"/> returns the bits of the network's <c>Forward</c> for <see cref="Input"/> — after
/// any number of changes. Later layers are summed in the canonical order (<see cref="CanonicalSum"/>).
/// </para>
/// <para>
/// For one neuron, or one hidden layer of at most 16 neurons and one output, <c>Evaluate</c> runs the later layers in
/// registers; for every shape it computes again only when the input has changed since the last evaluation (a
/// <see cref="Set"/> to the value an input already holds changes nothing).
/// </para>
/// <para>
/// The accumulator copies the network's parameters when it is created; a later <c>SetParameters</c> on the network
/// does not reach it (create a new one). It allocates nothing after creation and is not thread-safe: one per thread
/// or per game.
/// </para>
/// </remarks>
public sealed class TernaryAccumulator
{
    private readonly NetworkShape _shape;
    private readonly sbyte[] _input;
    // Pinned, from the 64-byte aligned _origin: the current first-layer pre-activations z (stride0 floats, padded with
    // zeros), then the first layer's columns input-major (input i's weights at (1 + i) · stride0), then, for one output
    // over one hidden layer, the output neuron's weights (padded to stride0): one array, one origin, few loads.
    private readonly float[] _state;
    private readonly int _origin;
    private readonly int _stride0;
    private readonly int _outputRow;         // the output neuron's weights from _origin
    private readonly float[] _bias0;
    private readonly float[][] _weights;     // layers ≥ 1: row-major, each row padded to a multiple of 8 with zeros
    private readonly float[]?[] _columns;    // layers ≥ 1 of 8 or more neurons: input i's weights to every neuron at i · stride
    private readonly float[][] _biases;
    private readonly float[][] _activations;
    private readonly int[] _stride;
    private readonly Path _path;
    private readonly Activation _firstActivation, _lastActivation;
    private readonly float _outputBias;
    private int _changed = 1;                // nonzero: the input changed since the outputs were last computed
    private float _output;                   // the one output as last computed (paths other than Path.Layers)
    private readonly int _outputCount;

    /// <summary>
    /// How <see cref="Evaluate()"/> runs: one output from registers for the common small shapes (no stores, so that
    /// calls overlap), or layer by layer through the activation buffers.
    /// </summary>
    private enum Path
    {
        /// <summary>Layer by layer, any shape.</summary>
        Layers,

        /// <summary>One layer of one neuron: the activation of its pre-activation.</summary>
        OneNeuron,

        /// <summary>A first layer of at most 8 neurons (one Vector256), then one output neuron.</summary>
        Hidden8,

        /// <summary>A first layer of 9 to 16 neurons (one Vector512, or two Vector256), then one output neuron.</summary>
        Hidden16,
    }

    /// <summary>An accumulator for <paramref name="network"/>'s current parameters, its input all zero.</summary>
    /// <exception cref="ArgumentException">The network's first layer is not on the exact grid.</exception>
    public TernaryAccumulator(ITernaryNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        _shape = network.Shape;
        ReadOnlySpan<float> parameters = network.Parameters;
        if (!FixedPointGrid.IsFirstLayerOnGrid(_shape, parameters))
        {
            throw new ArgumentException(
                $"The first layer of {_shape} is not on the exact grid, so updates would not give the bits of a full pass; " +
                "snap it first (FixedPointGrid.SnapFirstLayer, which the trainer applies).", nameof(network));
        }

        int layers = _shape.Layers.Length;
        _stride = new int[layers];
        for (int l = 0; l < layers; l++)
        {
            _stride[l] = ShapeRules.PaddedToOctets(_shape.Layers[l].Width);
        }

        LayerShape first = _shape.Layers[0];
        int stride0 = _stride[0];
        _input = new sbyte[_shape.InputCount];
        _stride0 = stride0;
        _outputRow = (_shape.InputCount + 1) * stride0;
        _state = AlignedStorage((_shape.InputCount + 2) * stride0, out _origin);
        _bias0 = new float[stride0];
        Span<float> columns = _state.AsSpan(_origin + stride0, _shape.InputCount * stride0);
        for (int k = 0; k < first.Width; k++)
        {
            _bias0[k] = parameters[first.BiasIndex(k)];
            for (int i = 0; i < first.InputCount; i++)
            {
                columns[(i * stride0) + k] = parameters[first.WeightIndex(k, i)];
            }
        }

        _weights = new float[layers][];
        _columns = new float[layers][];
        _biases = new float[layers][];
        _activations = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            _activations[l] = new float[_stride[l]];
            if (l == 0)
            {
                continue;
            }

            LayerShape layer = _shape.Layers[l];
            int inputs = _stride[l - 1];
            _weights[l] = new float[layer.Width * inputs];
            _biases[l] = new float[layer.Width];
            for (int k = 0; k < layer.Width; k++)
            {
                _biases[l][k] = parameters[layer.BiasIndex(k)];
                parameters.Slice(layer.WeightIndex(k, 0), layer.InputCount).CopyTo(_weights[l].AsSpan(k * inputs));
            }

            if (layer.Width >= 8)
            {
                // Neurons in lanes: input i's weights to neurons k at i · stride + k, zero for the padding inputs and neurons.
                float[] byInput = _columns[l] = new float[inputs * _stride[l]];
                for (int k = 0; k < layer.Width; k++)
                {
                    for (int i = 0; i < layer.InputCount; i++)
                    {
                        byInput[(i * _stride[l]) + k] = _weights[l][(k * inputs) + i];
                    }
                }
            }
        }

        _bias0.CopyTo(Z);
        _firstActivation = first.Activation;
        _lastActivation = _shape.Layers[^1].Activation;
        _path = !Vector256.IsHardwareAccelerated ? Path.Layers
            : layers == 1 ? (first.Width == 1 ? Path.OneNeuron : Path.Layers)
            : layers == 2 && _shape.OutputCount == 1 ? (stride0 == 8 ? Path.Hidden8 : stride0 == 16 ? Path.Hidden16 : Path.Layers)
            : Path.Layers;
        _outputBias = layers == 2 ? _biases[1][0] : 0f;
        if (layers == 2)
        {
            _weights[1].AsSpan(0, stride0).CopyTo(_state.AsSpan(_origin + _outputRow));
        }

        _outputCount = _shape.OutputCount;
    }

    /// <summary>A pinned array of at least <paramref name="length"/> floats and the index of its first 64-byte aligned one.</summary>
    private static float[] AlignedStorage(int length, out int origin)
    {
        float[] storage = GC.AllocateArray<float>(length + 16, pinned: true);
        unsafe
        {
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(storage));
            origin = (int)(((64 - (address & 63)) & 63) / sizeof(float));
        }

        return storage;
    }

    /// <summary>The current first-layer pre-activations (stride0 floats).</summary>
    private Span<float> Z => _state.AsSpan(_origin, _stride0);

    /// <summary>The shape of the network the accumulator evaluates.</summary>
    public NetworkShape Shape => _shape;

    /// <summary>The current input.</summary>
    public ReadOnlySpan<sbyte> Input => _input;

    /// <summary>Replaces the whole input (a full first-layer pass).</summary>
    /// <exception cref="ArgumentException">Wrong length, or a value other than -1, 0 or +1 (with its index).</exception>
    public void Reset(ReadOnlySpan<sbyte> input)
    {
        TernaryInput.Validate(input, _shape.InputCount);
        _changed = 1;
        _bias0.CopyTo(Z);
        input.CopyTo(_input);
        for (int i = 0; i < input.Length; i++)
        {
            if (input[i] != 0)
            {
                AddColumn(i, input[i]);
            }
        }
    }

    /// <summary>Sets input <paramref name="index"/> to <paramref name="value"/>: the pre-activations move by one weight column.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index outside the input, or a value other than -1, 0 or +1.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int index, sbyte value)
    {
        if ((uint)index >= (uint)_input.Length)
        {
            ThrowIndex(index);
        }

        if (value is < -1 or > 1)
        {
            ThrowValue(index, value);
        }

        ref sbyte slot = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_input), index);
        int delta = value - slot;
        slot = value;
        _changed |= delta;
        AddColumn(index, delta);
    }

    // The throws of Set, kept out of it: their string building would otherwise give Set a frame to clear on every call.
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowIndex(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"The network {_shape} has inputs 0 to {_input.Length - 1}.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowValue(int index, sbyte value) =>
        throw new ArgumentOutOfRangeException(nameof(value), value, $"Input {index} must be -1, 0 or +1.");

    /// <summary>The network's outputs for <see cref="Input"/>: the bits of its <c>Forward</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="output"/> is not <see cref="NetworkShape.OutputCount"/> long.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Evaluate(Span<float> output)
    {
        TernaryInput.CheckLength(output.Length, _outputCount, nameof(output));
        if (_path != Path.Layers)
        {
            MemoryMarshal.GetReference(output) = Current();
            return;
        }

        if (_changed != 0)
        {
            Propagate();
            _changed = 0;
        }

        _activations[^1].AsSpan(0, _shape.OutputCount).CopyTo(output);
    }

    /// <summary>The single output of a one-output network for <see cref="Input"/>.</summary>
    /// <exception cref="InvalidOperationException">The network has more than one output.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Evaluate()
    {
        if (_outputCount != 1)
        {
            throw new InvalidOperationException($"The network {_shape} has {_shape.OutputCount} outputs; pass a span for them.");
        }

        if (_path != Path.Layers)
        {
            return Current();
        }

        if (_changed != 0)
        {
            Propagate();
            _changed = 0;
        }

        return _activations[^1][0];
    }

    /// <summary>The one output (paths other than <see cref="Path.Layers"/>), computed again only if the input changed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Current()
    {
        if (_changed != 0)
        {
            _output = Output();
            _changed = 0;
        }

        return _output;
    }

    /// <summary>
    /// The one output from the first-layer pre-activations in registers (the paths other than <see cref="Path.Layers"/>):
    /// the operations of <see cref="Propagate"/> in the same order, so the same bits, without its stores and loads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Output()
    {
        ref float z = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_state), _origin);
        if (_path == Path.OneNeuron)
        {
            return Vector128.ToScalar(ActivationMath.Apply(_firstActivation, Vector128.CreateScalar(z)));
        }

        // The output neuron: lane j of the partial sums chains inputs j and j + 8 (the canonical order), then the tree.
        ref float row = ref Unsafe.Add(ref z, _outputRow);
        Vector256<float> p;
        if (_path == Path.Hidden8)
        {
            p = Vector256.FusedMultiplyAdd(ActivationMath.Apply(_firstActivation, Vector256.LoadUnsafe(ref z)), Vector256.LoadUnsafe(ref row), Vector256<float>.Zero);
        }
        else
        {
            Vector256<float> lower, upper;
            if (Vector512.IsHardwareAccelerated)
            {
                // z is loaded as it is stored, by Vector256 (a store forwards to a load of its own width).
                Vector512<float> a = ActivationMath.Apply(_firstActivation, Vector512.Create(Vector256.LoadUnsafe(ref z), Vector256.LoadUnsafe(ref z, 8)));
                (lower, upper) = (a.GetLower(), a.GetUpper());
            }
            else
            {
                lower = ActivationMath.Apply(_firstActivation, Vector256.LoadUnsafe(ref z));
                upper = ActivationMath.Apply(_firstActivation, Vector256.LoadUnsafe(ref z, 8));
            }

            p = Vector256.FusedMultiplyAdd(lower, Vector256.LoadUnsafe(ref row), Vector256<float>.Zero);
            p = Vector256.FusedMultiplyAdd(upper, Vector256.LoadUnsafe(ref row, 8), p);
        }

        // The activation on lane 0 of a Vector128 (the bits of the float form), so the value stays in vector registers.
        return Vector128.ToScalar(ActivationMath.Apply(_lastActivation, Vector128.CreateScalar(CanonicalSum.Tree(p) + _outputBias)));
    }

    /// <summary>
    /// z += delta · column i, lane by lane (exact on the grid); a delta of 0 leaves z as it is (its zeros keep their
    /// sign), chosen by a mask rather than a branch, which a random walk would mispredict.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddColumn(int index, int delta)
    {
        int stride = _stride0;
        ref float z = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_state), _origin);
        ref float column = ref Unsafe.Add(ref z, (index + 1) * stride);
        float d = delta;
        int k = 0;
        if (stride == 16 && Vector256.IsHardwareAccelerated)
        {
            // The common hidden layer of 9 to 16 neurons, unrolled; z is stored and loaded by Vector256 (a store forwards
            // to a load of its own width).
            Vector256<float> vd = Vector256.Create(d), unchanged = Vector256.Equals(vd, Vector256<float>.Zero);
            Vector256<float> z0 = Vector256.LoadUnsafe(ref z), z1 = Vector256.LoadUnsafe(ref z, 8);
            Vector256.ConditionalSelect(unchanged, z0, Vector256.FusedMultiplyAdd(vd, Vector256.LoadUnsafe(ref column), z0)).StoreUnsafe(ref z);
            Vector256.ConditionalSelect(unchanged, z1, Vector256.FusedMultiplyAdd(vd, Vector256.LoadUnsafe(ref column, 8), z1)).StoreUnsafe(ref z, 8);
            return;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vd = Vector256.Create(d), unchanged = Vector256.Equals(vd, Vector256<float>.Zero);
            for (; k < stride; k += 8)
            {
                Vector256<float> zv = Vector256.LoadUnsafe(ref z, (nuint)k);
                Vector256.ConditionalSelect(unchanged, zv, Vector256.FusedMultiplyAdd(vd, Vector256.LoadUnsafe(ref column, (nuint)k), zv)).StoreUnsafe(ref z, (nuint)k);
            }

            return;
        }

        if (delta == 0)
        {
            return;
        }

        for (; k < stride; k++)
        {
            Unsafe.Add(ref z, k) = MathF.FusedMultiplyAdd(d, Unsafe.Add(ref column, k), Unsafe.Add(ref z, k));
        }
    }

    /// <summary>The activations of every layer from the current first-layer pre-activations.</summary>
    private void Propagate()
    {
        Activation first = _shape.Layers[0].Activation;
        int stride0 = _stride[0];
        ref float z0 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_state), _origin);
        ref float a = ref MemoryMarshal.GetArrayDataReference(_activations[0]);
        if (Vector256.IsHardwareAccelerated)
        {
            for (int k = 0; k < stride0; k += 8)
            {
                ActivationMath.Apply(first, Vector256.LoadUnsafe(ref z0, (nuint)k)).StoreUnsafe(ref a, (nuint)k);
            }
        }
        else
        {
            for (int k = 0; k < stride0; k++)
            {
                Unsafe.Add(ref a, k) = ActivationMath.Apply(first, Unsafe.Add(ref z0, k));
            }
        }

        for (int l = 1; l < _stride.Length; l++)
        {
            LayerShape layer = _shape.Layers[l];
            int inputs = _stride[l - 1];
            ref float previous = ref MemoryMarshal.GetArrayDataReference(_activations[l - 1]);
            ref float weights = ref MemoryMarshal.GetArrayDataReference(_weights[l]);
            Span<float> activations = _activations[l];
            int k = 0;
            if (_columns[l] is float[] byInput && Vector256.IsHardwareAccelerated)
            {
                // Eight neurons per vector: partial sum j of every lane chains the inputs j, j + 8, … (input i's
                // activation broadcast, its weights to the eight neurons), then the fixed tree lane by lane — each lane
                // the same operations as the neuron's own chains below, so the same bits. Only the layer's neurons are
                // stored: the padding stays zero.
                ref float column = ref MemoryMarshal.GetArrayDataReference(byInput);
                int stride = _stride[l];
                for (; k < layer.Width; k += 8)
                {
                    Vector256<float> p0 = Vector256<float>.Zero, p1 = p0, p2 = p0, p3 = p0, p4 = p0, p5 = p0, p6 = p0, p7 = p0;
                    for (int i = 0; i < inputs; i += 8)
                    {
                        ref float w = ref Unsafe.Add(ref column, (i * stride) + k);
                        ref float x = ref Unsafe.Add(ref previous, i);
                        p0 = Vector256.FusedMultiplyAdd(Vector256.Create(x), Vector256.LoadUnsafe(ref w), p0);
                        p1 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 1)), Vector256.LoadUnsafe(ref w, (nuint)stride), p1);
                        p2 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 2)), Vector256.LoadUnsafe(ref w, (nuint)(2 * stride)), p2);
                        p3 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 3)), Vector256.LoadUnsafe(ref w, (nuint)(3 * stride)), p3);
                        p4 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 4)), Vector256.LoadUnsafe(ref w, (nuint)(4 * stride)), p4);
                        p5 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 5)), Vector256.LoadUnsafe(ref w, (nuint)(5 * stride)), p5);
                        p6 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 6)), Vector256.LoadUnsafe(ref w, (nuint)(6 * stride)), p6);
                        p7 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref x, 7)), Vector256.LoadUnsafe(ref w, (nuint)(7 * stride)), p7);
                    }

                    Vector256<float> sums = CanonicalSum.Tree(p0, p1, p2, p3, p4, p5, p6, p7);
                    if (k + 8 <= layer.Width)
                    {
                        (sums + Vector256.Create(_biases[l].AsSpan(k, 8))).CopyTo(activations[k..]);
                        continue;
                    }

                    for (int lane = 0; k + lane < layer.Width; lane++)
                    {
                        activations[k + lane] = sums.GetElement(lane) + _biases[l][k + lane];
                    }
                }
            }

            for (; k < layer.Width; k++)
            {
                // The canonical order: lane j of the partial sums chains the inputs j, j + 8, …; then the fixed tree,
                // then the bias. The padding (zero weights, finite activations) adds +0 to a chain that is never −0.
                ref float row = ref Unsafe.Add(ref weights, k * inputs);
                float sum;
                if (Vector256.IsHardwareAccelerated)
                {
                    Vector256<float> p = Vector256<float>.Zero;
                    for (int i = 0; i < inputs; i += 8)
                    {
                        p = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref previous, (nuint)i), Vector256.LoadUnsafe(ref row, (nuint)i), p);
                    }

                    sum = CanonicalSum.Tree(p);
                }
                else
                {
                    sum = CanonicalSum.PreActivation(
                        MemoryMarshal.CreateReadOnlySpan(ref previous, layer.InputCount), MemoryMarshal.CreateReadOnlySpan(ref row, layer.InputCount), 0f);
                }

                activations[k] = sum + _biases[l][k];
            }

            // The layer's activations eight at a time (the same bits as one by one; padding stays zero).
            int k8 = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                ref float z = ref MemoryMarshal.GetArrayDataReference(_activations[l]);
                for (; k8 <= layer.Width - 8; k8 += 8)
                {
                    ActivationMath.Apply(layer.Activation, Vector256.LoadUnsafe(ref z, (nuint)k8)).StoreUnsafe(ref z, (nuint)k8);
                }
            }

            for (; k8 < layer.Width; k8++)
            {
                activations[k8] = ActivationMath.Apply(layer.Activation, activations[k8]);
            }
        }
    }
}
