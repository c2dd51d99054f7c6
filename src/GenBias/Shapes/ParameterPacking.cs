using System;
using System.Globalization;

namespace GenBias;

/// <summary>
/// Converts the canonical parameter buffer into the packed layout the generated SIMD code reads (described at
/// <see cref="ShapeRules"/>): columns padded to whole vectors for layers vectorised over their outputs, rows padded
/// to whole vectors for narrow layers, zeros in every pad.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class ParameterPacking
{
    /// <summary>The number of floats of the packed layout of <paramref name="shape"/>.</summary>
    public static int PackedSize(NetworkShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        int size = 0;
        foreach (LayerShape layer in shape.Layers)
        {
            size += ShapeRules.PackedLayerSize(layer.InputCount, layer.Width);
        }

        return size;
    }

    /// <summary>Writes the packed form of <paramref name="parameters"/> into <paramref name="packed"/>.</summary>
    public static void Pack(NetworkShape shape, ReadOnlySpan<float> parameters, Span<float> packed)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.CheckParameterLength(parameters.Length, nameof(parameters));
        if (packed.Length < PackedSize(shape))
        {
            throw new ArgumentException($"The packed buffer has {packed.Length} floats; {PackedSize(shape)} are needed.", nameof(packed));
        }

        packed.Clear();
        int offset = 0;
        foreach (LayerShape layer in shape.Layers)
        {
            if (ShapeRules.VectoriseOverOutputs(layer.Width))
            {
                // Column i (the weights from input i to every neuron), then the biases, each padded.
                int stride = ShapeRules.PaddedWidth(layer.Width);
                for (int k = 0; k < layer.Width; k++)
                {
                    for (int i = 0; i < layer.InputCount; i++)
                    {
                        packed[offset + (i * stride) + k] = parameters[layer.WeightIndex(k, i)];
                    }

                    packed[offset + (layer.InputCount * stride) + k] = parameters[layer.BiasIndex(k)];
                }
            }
            else
            {
                // Row k (neuron k's weights), padded; then the biases.
                int stride = ShapeRules.DotStride(layer.InputCount);
                for (int k = 0; k < layer.Width; k++)
                {
                    parameters.Slice(layer.WeightIndex(k, 0), layer.InputCount).CopyTo(packed.Slice(offset + (k * stride)));
                    packed[offset + (layer.Width * stride) + k] = parameters[layer.BiasIndex(k)];
                }
            }

            offset += ShapeRules.PackedLayerSize(layer.InputCount, layer.Width);
        }
    }

    /// <summary>
    /// The parameters a large compiled-in model embeds as base64 text (a string constant): float bits,
    /// little-endian. Generated code calls this; the generator wrote the text, so a malformed one is a bug.
    /// </summary>
    /// <exception cref="InvalidOperationException">The text does not decode to <paramref name="count"/> floats.</exception>
    public static float[] DecodeEmbedded(string base64, int count)
    {
        ArgumentNullException.ThrowIfNull(base64);
        byte[] bytes = new byte[checked(count * 4)];
        if (!Convert.TryFromBase64String(base64, bytes, out int written) || written != bytes.Length)
        {
            throw new InvalidOperationException($"The embedded parameters do not decode to {count} floats; regenerate the network.");
        }

        float[] parameters = new float[count];
        for (int i = 0; i < count; i++)
        {
            parameters[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i, 4));
        }

        return parameters;
    }

    /// <summary>Throws unless every parameter is finite (NaN or infinity would poison every output).</summary>
    public static void CheckFinite(NetworkShape shape, ReadOnlySpan<float> parameters, string paramName)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.CheckParameterLength(parameters.Length, paramName);
        for (int p = 0; p < parameters.Length; p++)
        {
            if (!float.IsFinite(parameters[p]))
            {
                throw new ArgumentException($"{paramName}[{p}] ({Describe(shape, p)}) is {parameters[p]}; parameters must be finite.", paramName);
            }
        }
    }

    /// <summary>
    /// The largest magnitude a neuron's pre-activation may be able to reach, 2^126 (a quarter of
    /// <see cref="float.MaxValue"/>): see <see cref="CheckComputable"/>.
    /// </summary>
    public const float MaxPreActivationBound = 8.507059E+37f;

    /// <summary>
    /// The check <c>SetParameters</c> runs (generated networks and <see cref="ReferenceNetwork"/> alike): every
    /// parameter is finite (<see cref="CheckFinite"/>), and no neuron's pre-activation can overflow. For each neuron
    /// the bound |bias| + Σ |weight_i| · max|input_i| — inputs at most 1 for ternary inputs and after Tanh, HardTanh,
    /// Sigmoid or TernaryStep, the previous neuron's bound after ReLU or Linear — must be at most
    /// <see cref="MaxPreActivationBound"/>.
    /// </summary>
    /// <remarks>
    /// Why: every compute path (scalar, Vector256, Vector512, batches, the reference) sums a neuron in the same order,
    /// so they agree bit for bit as long as no sum overflows. Every partial sum, in any order, is at most the bound
    /// (plus a relative rounding error below 10^-4 for 1,024 terms), so within it no sum reaches infinity. Beyond it an
    /// infinite partial sum meets one of the other sign, the pre-activation is NaN, and the paths' activations treat NaN
    /// differently (the vector clamps return a bound where the scalar code returns NaN).
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// A parameter is not finite, or a neuron's bound exceeds <see cref="MaxPreActivationBound"/>; the message names the
    /// neuron and its largest term's parameter (index and value).
    /// </exception>
    public static void CheckComputable(NetworkShape shape, ReadOnlySpan<float> parameters, string paramName)
    {
        CheckFinite(shape, parameters, paramName);
        // Bounds in double: a sum of 1,024 terms of at most 2^128 · 2^126 cannot overflow, and rounding is far below
        // the margin between the limit and float.MaxValue.
        Span<double> bounds = stackalloc double[shape.ActivationCount];
        foreach (LayerShape layer in shape.Layers)
        {
            ReadOnlySpan<double> inputs = layer.Index == 0 ? default : bounds.Slice(shape.Layers[layer.Index - 1].ActivationOffset, layer.InputCount);
            for (int k = 0; k < layer.Width; k++)
            {
                int biasIndex = layer.BiasIndex(k);
                double bound = Math.Abs((double)parameters[biasIndex]), largest = bound;
                int largestIndex = biasIndex;
                for (int i = 0; i < layer.InputCount; i++)
                {
                    int index = layer.WeightIndex(k, i);
                    double term = Math.Abs((double)parameters[index]) * (layer.Index == 0 ? 1.0 : inputs[i]);
                    bound += term;
                    if (term > largest)
                    {
                        (largest, largestIndex) = (term, index);
                    }
                }

                if (bound > MaxPreActivationBound)
                {
                    throw new ArgumentException(
                        $"{paramName}[{largestIndex}] ({Describe(shape, largestIndex)}) is {parameters[largestIndex].ToString("R", CultureInfo.InvariantCulture)}: " +
                        $"with it, neuron {k} of layer {layer.Index} can reach a pre-activation of magnitude {bound.ToString("G3", CultureInfo.InvariantCulture)} " +
                        $"(|bias| + the sum of |weight| × the largest |input|), above the limit 2^126 ≈ 8.5E+37 within which every compute path gives the same bits; " +
                        "make the parameters smaller.", paramName);
                }

                bounds[layer.ActivationOffset + k] = layer.Activation is Activation.ReLU or Activation.Linear ? bound : 1.0;
            }
        }
    }

    /// <summary>Names the weight or bias at canonical index <paramref name="index"/>, for error messages.</summary>
    public static string Describe(NetworkShape shape, int index)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (LayerShape layer in shape.Layers)
        {
            if (index < layer.BiasOffset && index >= layer.WeightOffset)
            {
                int local = index - layer.WeightOffset;
                return $"layer {layer.Index}, neuron {local / layer.InputCount}, weight of input {local % layer.InputCount}";
            }

            if (index >= layer.BiasOffset && index < layer.BiasOffset + layer.Width)
            {
                return $"layer {layer.Index}, bias of neuron {index - layer.BiasOffset}";
            }
        }

        return "beyond the last parameter";
    }
}
