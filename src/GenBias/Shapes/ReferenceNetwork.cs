using System;

namespace GenBias;

/// <summary>
/// The plain, obviously correct implementation of any <see cref="NetworkShape"/>: scalar loops over the canonical
/// parameter layout. It is the oracle the generated code is tested against and the fallback where a network
/// cannot be specialised at compile time. Its forward pass uses the canonical summation orders
/// (<see cref="CanonicalSum"/>) and the shared activation math, so it returns the same bits as generated code.
/// </summary>
public sealed class ReferenceNetwork : ITernaryNetwork
{
    private readonly float[] _parameters;
    private int _version; // ParameterVersion: a computation that overlaps SetParameters throws

    /// <summary>A network of the given shape with every parameter zero.</summary>
    public ReferenceNetwork(NetworkShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Shape = shape;
        _parameters = new float[shape.ParameterCount];
    }

    /// <summary>A network of the given shape with the given parameters (canonical layout).</summary>
    public ReferenceNetwork(NetworkShape shape, ReadOnlySpan<float> parameters)
        : this(shape) => SetParameters(parameters);

    /// <inheritdoc/>
    public NetworkShape Shape { get; }

    /// <inheritdoc/>
    public ReadOnlySpan<float> Parameters => _parameters;

    /// <summary>Always <see cref="ComputePath.Scalar"/>; setting it has no effect.</summary>
    public ComputePath ComputePath { get => ComputePath.Scalar; set { } }

    /// <inheritdoc/>
    public void SetParameters(ReadOnlySpan<float> parameters)
    {
        ParameterPacking.CheckComputable(Shape, parameters, nameof(parameters));
        ParameterVersion.BeginWrite(ref _version);
        try
        {
            parameters.CopyTo(_parameters);
        }
        finally
        {
            ParameterVersion.EndWrite(ref _version);
        }
    }

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<sbyte> input, Span<float> output)
    {
        TernaryInput.Validate(input, Shape.InputCount);
        CheckOutput(output.Length, Shape.OutputCount, nameof(output));
        Span<float> x = stackalloc float[Shape.InputCount];
        TernaryInput.ToFloats(input, x);
        int version = ParameterVersion.Read(ref _version);
        ForwardFloats(x, output);
        ParameterVersion.Check(version, ref _version);
    }

    /// <inheritdoc/>
    public void Forward(ulong positive, ulong negative, Span<float> output)
    {
        CheckPackedAvailable(Shape);
        TernaryInput.ValidatePacked(positive, negative, Shape.InputCount);
        CheckOutput(output.Length, Shape.OutputCount, nameof(output));
        Span<float> x = stackalloc float[Shape.InputCount];
        TernaryInput.PackedToFloats(positive, negative, Shape.InputCount, x);
        int version = ParameterVersion.Read(ref _version);
        ForwardFloats(x, output);
        ParameterVersion.Check(version, ref _version);
    }

    /// <inheritdoc/>
    public void ForwardBatch(ReadOnlySpan<sbyte> inputs, Span<float> outputs)
    {
        int rows = TernaryInput.ValidateBatch(inputs, Shape.InputCount, Shape.OutputCount, outputs.Length);
        Span<float> x = stackalloc float[Shape.InputCount];
        int version = ParameterVersion.Read(ref _version);
        for (int r = 0; r < rows; r++)
        {
            TernaryInput.ToFloats(inputs.Slice(r * Shape.InputCount, Shape.InputCount), x);
            ForwardFloats(x, outputs.Slice(r * Shape.OutputCount, Shape.OutputCount));
        }

        ParameterVersion.Check(version, ref _version);
    }

    /// <inheritdoc/>
    public void ForwardActivations(ReadOnlySpan<sbyte> input, Span<float> activations)
    {
        TernaryInput.Validate(input, Shape.InputCount);
        CheckOutput(activations.Length, Shape.ActivationCount, nameof(activations));
        Span<float> x = stackalloc float[Shape.InputCount];
        TernaryInput.ToFloats(input, x);
        Span<float> pre = stackalloc float[Shape.ActivationCount];
        int version = ParameterVersion.Read(ref _version);
        ForwardScalar(Shape, _parameters, x, pre, activations);
        ParameterVersion.Check(version, ref _version);
    }

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<sbyte> input, ReadOnlySpan<float> outputGradient, Span<float> parameterGradient)
    {
        TernaryInput.Validate(input, Shape.InputCount);
        CheckOutput(outputGradient.Length, Shape.OutputCount, nameof(outputGradient));
        Shape.CheckParameterLength(parameterGradient.Length, nameof(parameterGradient));
        Span<float> g = stackalloc float[Shape.ActivationCount];
        g.Clear();
        outputGradient.CopyTo(g.Slice(Shape.OutputLayer.ActivationOffset));
        Span<float> x = stackalloc float[Shape.InputCount];
        TernaryInput.ToFloats(input, x);
        int version = ParameterVersion.Read(ref _version);
        BackwardScalar(Shape, _parameters, x, g, parameterGradient);
        ParameterVersion.Check(version, ref _version);
    }

    /// <inheritdoc/>
    public void BackwardActivations(ReadOnlySpan<sbyte> input, ReadOnlySpan<float> activationGradient, Span<float> parameterGradient)
    {
        TernaryInput.Validate(input, Shape.InputCount);
        CheckOutput(activationGradient.Length, Shape.ActivationCount, nameof(activationGradient));
        Shape.CheckParameterLength(parameterGradient.Length, nameof(parameterGradient));
        Span<float> x = stackalloc float[Shape.InputCount];
        TernaryInput.ToFloats(input, x);
        int version = ParameterVersion.Read(ref _version);
        BackwardScalar(Shape, _parameters, x, activationGradient, parameterGradient);
        ParameterVersion.Check(version, ref _version);
    }

    /// <summary>
    /// The scalar forward pass over the canonical layout: fills <paramref name="preActivations"/> and
    /// <paramref name="activations"/> (each <see cref="NetworkShape.ActivationCount"/> long) for the float input
    /// <paramref name="input"/> (values -1, 0, +1). Generated code's scalar path calls this.
    /// </summary>
    public static void ForwardScalar(NetworkShape shape, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input,
        Span<float> preActivations, Span<float> activations)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ReadOnlySpan<float> a = input;
        foreach (LayerShape layer in shape.Layers)
        {
            for (int k = 0; k < layer.Width; k++)
            {
                // The first layer sums its ternary inputs in groups of five (the order of its tables), later layers in
                // the eight interleaved partial sums.
                ReadOnlySpan<float> weights = parameters.Slice(layer.WeightIndex(k, 0), layer.InputCount);
                float bias = parameters[layer.BiasIndex(k)];
                float z = layer.Index == 0 ? CanonicalSum.FirstLayer(a, weights, bias) : CanonicalSum.PreActivation(a, weights, bias);
                preActivations[layer.ActivationOffset + k] = z;
                activations[layer.ActivationOffset + k] = ActivationMath.Apply(layer.Activation, z);
            }

            a = activations.Slice(layer.ActivationOffset, layer.Width);
        }
    }

    /// <summary>
    /// The scalar backward pass: adds to <paramref name="parameterGradient"/> the gradient of
    /// Σ_j activationGradient[j] · a_j (every neuron of every layer) at the float input <paramref name="input"/>.
    /// </summary>
    public static void BackwardScalar(NetworkShape shape, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input,
        ReadOnlySpan<float> activationGradient, Span<float> parameterGradient)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Span<float> pre = new float[shape.ActivationCount];
        Span<float> act = new float[shape.ActivationCount];
        ForwardScalar(shape, parameters, input, pre, act);

        // delta[k] = d(Σ g·y)/d z_k for the current layer.
        float[] delta = new float[shape.OutputCount];
        LayerShape output = shape.OutputLayer;
        for (int k = 0; k < output.Width; k++)
        {
            int at = output.ActivationOffset + k;
            delta[k] = activationGradient[at] * ActivationMath.Derivative(output.Activation, pre[at], act[at]);
        }

        for (int l = shape.Layers.Length - 1; l >= 0; l--)
        {
            LayerShape layer = shape.Layers[l];
            ReadOnlySpan<float> a = l == 0 ? input : act.Slice(shape.Layers[l - 1].ActivationOffset, layer.InputCount);
            for (int k = 0; k < layer.Width; k++)
            {
                for (int i = 0; i < layer.InputCount; i++)
                {
                    parameterGradient[layer.WeightIndex(k, i)] += delta[k] * a[i];
                }

                parameterGradient[layer.BiasIndex(k)] += delta[k];
            }

            if (l == 0)
            {
                break;
            }

            LayerShape below = shape.Layers[l - 1];
            float[] next = new float[layer.InputCount];
            for (int i = 0; i < layer.InputCount; i++)
            {
                float sum = 0f;
                for (int k = 0; k < layer.Width; k++)
                {
                    sum += delta[k] * parameters[layer.WeightIndex(k, i)];
                }

                int at = below.ActivationOffset + i;
                next[i] = (sum + activationGradient[at]) * ActivationMath.Derivative(below.Activation, pre[at], act[at]);
            }

            delta = next;
        }
    }

    private static void CheckOutput(int length, int expected, string paramName) =>
        TernaryInput.CheckLength(length, expected, paramName);

    private static void CheckPackedAvailable(NetworkShape shape)
    {
        if (shape.InputCount > ShapeRules.MaxPackedInputs)
        {
            throw TernaryInput.PackedUnavailable(shape.InputCount);
        }
    }

    private void ForwardFloats(ReadOnlySpan<float> x, Span<float> output)
    {
        Span<float> pre = stackalloc float[Shape.ActivationCount];
        Span<float> act = stackalloc float[Shape.ActivationCount];
        ForwardScalar(Shape, _parameters, x, pre, act);
        act.Slice(Shape.OutputLayer.ActivationOffset, Shape.OutputCount).CopyTo(output);
    }
}
