using System;

namespace GenBias;

/// <summary>
/// A fully connected layer of a <see cref="TernaryNetworkAttribute"/> network. Repeat the attribute in layer
/// order; the last one is the output layer.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    /// <summary>Declares a layer of <paramref name="width"/> neurons with the given activation.</summary>
    /// <param name="width">The number of neurons, 1 to <see cref="ShapeRules.MaxWidth"/>.</param>
    /// <param name="activation">The activation applied to every neuron of the layer.</param>
    public DenseAttribute(int width, Activation activation)
    {
        Width = width;
        Activation = activation;
    }

    /// <summary>The number of neurons.</summary>
    public int Width { get; }

    /// <summary>The activation of every neuron.</summary>
    public Activation Activation { get; }
}
