using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace GenBias;

/// <summary>
/// The runtime description of a network over ternary inputs: its layers and the layout of its parameters.
/// Generated networks expose theirs as a static <c>Shape</c>; the trainer, the certifier and
/// <see cref="ReferenceNetwork"/> work from it.
/// </summary>
public sealed class NetworkShape : IEquatable<NetworkShape>
{
    private NetworkShape(int inputCount, ImmutableArray<LayerShape> layers)
    {
        InputCount = inputCount;
        Layers = layers;
        LayerShape last = layers[^1];
        ParameterCount = last.BiasOffset + last.Width;
        ActivationCount = last.ActivationOffset + last.Width;
    }

    /// <summary>The number of ternary inputs.</summary>
    public int InputCount { get; }

    /// <summary>The dense layers in order; the last is the output layer.</summary>
    public ImmutableArray<LayerShape> Layers { get; }

    /// <summary>The output layer.</summary>
    public LayerShape OutputLayer => Layers[^1];

    /// <summary>The number of outputs (the output layer's width).</summary>
    public int OutputCount => OutputLayer.Width;

    /// <summary>The length of the canonical parameter buffer.</summary>
    public int ParameterCount { get; }

    /// <summary>The total number of neurons: the length of the buffer of all layers' activations.</summary>
    public int ActivationCount { get; }

    /// <summary>Describes a network and checks it against <see cref="ShapeRules"/>.</summary>
    /// <exception cref="ArgumentException">The inputs, a width, an activation or the number of layers is out of range.</exception>
    public static NetworkShape Create(int inputCount, params (int Width, Activation Activation)[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (inputCount < 1 || inputCount > ShapeRules.MaxInputs)
        {
            throw new ArgumentOutOfRangeException(nameof(inputCount), inputCount,
                $"A network has 1 to {ShapeRules.MaxInputs} inputs.");
        }

        if (layers.Length < 1 || layers.Length > ShapeRules.MaxLayers)
        {
            throw new ArgumentException($"A network has 1 to {ShapeRules.MaxLayers} dense layers; {layers.Length} were given.", nameof(layers));
        }

        var built = ImmutableArray.CreateBuilder<LayerShape>(layers.Length);
        int inputs = inputCount, offset = 0, activationOffset = 0;
        for (int l = 0; l < layers.Length; l++)
        {
            (int width, Activation activation) = layers[l];
            if (width < 1 || width > ShapeRules.MaxWidth)
            {
                throw new ArgumentException($"Layer {l} has width {width}; a layer has 1 to {ShapeRules.MaxWidth} neurons.", nameof(layers));
            }

            if (!Enum.IsDefined(activation))
            {
                throw new ArgumentException($"Layer {l} has undefined activation value {(int)activation}.", nameof(layers));
            }

            built.Add(new LayerShape(l, inputs, width, activation, offset, offset + (inputs * width), activationOffset));
            offset += ShapeRules.LayerParameterCount(inputs, width);
            activationOffset += width;
            inputs = width;
        }

        return new NetworkShape(inputCount, built.MoveToImmutable());
    }

    /// <summary>
    /// The neuron reached by a layer and an index; <paramref name="layer"/> may be negative to count from the end
    /// (-1 is the output layer).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No such layer or neuron.</exception>
    public LayerShape Layer(int layer)
    {
        int index = layer < 0 ? Layers.Length + layer : layer;
        if (index < 0 || index >= Layers.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"The network has {Layers.Length} layers ({this}).");
        }

        return Layers[index];
    }

    /// <summary>Throws unless a parameter buffer of <paramref name="length"/> values (named <paramref name="paramName"/> in the message) has exactly <see cref="ParameterCount"/>.</summary>
    public void CheckParameterLength(int length, string paramName)
    {
        if (length != ParameterCount)
        {
            throw new ArgumentException(
                $"The parameter buffer has {length} values; {this} has {ParameterCount} parameters.", paramName);
        }
    }

    /// <inheritdoc/>
    public bool Equals(NetworkShape? other) =>
        other is not null && other.InputCount == InputCount &&
        other.Layers.Select(l => (l.Width, l.Activation)).SequenceEqual(Layers.Select(l => (l.Width, l.Activation)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as NetworkShape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(InputCount);
        foreach (LayerShape layer in Layers)
        {
            hash.Add(layer.Width);
            hash.Add(layer.Activation);
        }

        return hash.ToHashCode();
    }

    /// <summary>A compact description such as <c>25 → Dense(16, Tanh) → Dense(1, Tanh)</c>.</summary>
    public override string ToString() => $"{InputCount} → {string.Join(" → ", (IEnumerable<LayerShape>)Layers)}";
}
