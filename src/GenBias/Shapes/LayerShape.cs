namespace GenBias;

/// <summary>One dense layer of a <see cref="NetworkShape"/>, with its place in the parameter and activation buffers.</summary>
/// <param name="Index">The layer's position, 0 for the first hidden layer.</param>
/// <param name="InputCount">Inputs to the layer: the network's inputs for layer 0, else the previous layer's width.</param>
/// <param name="Width">The number of neurons.</param>
/// <param name="Activation">The activation of every neuron.</param>
/// <param name="WeightOffset">Where the layer's weights start in the canonical parameter buffer; neuron <c>k</c>'s
/// weight for input <c>i</c> is at <c>WeightOffset + k * InputCount + i</c>.</param>
/// <param name="BiasOffset">Where the layer's <see cref="Width"/> biases start.</param>
/// <param name="ActivationOffset">Where the layer's outputs start in the buffer of all activations.</param>
public sealed record LayerShape(
    int Index, int InputCount, int Width, Activation Activation, int WeightOffset, int BiasOffset, int ActivationOffset)
{
    /// <summary>The canonical index of the weight from <paramref name="input"/> to <paramref name="neuron"/>.</summary>
    public int WeightIndex(int neuron, int input) => WeightOffset + (neuron * InputCount) + input;

    /// <summary>The canonical index of <paramref name="neuron"/>'s bias.</summary>
    public int BiasIndex(int neuron) => BiasOffset + neuron;

    /// <inheritdoc/>
    public override string ToString() => $"Dense({Width}, {Activation})";
}
