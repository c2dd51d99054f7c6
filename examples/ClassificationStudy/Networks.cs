using GenBias;

namespace ClassificationStudy;

// The two models of the study for each input width: one tanh neuron, and one hidden layer of 16.

[TernaryNetwork(Inputs = 9)]
[Dense(1, Activation.Tanh)]
public partial class Neuron9;

[TernaryNetwork(Inputs = 9)]
[Dense(16, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden9;

[TernaryNetwork(Inputs = 16)]
[Dense(1, Activation.Tanh)]
public partial class Neuron16;

[TernaryNetwork(Inputs = 16)]
[Dense(16, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden16;

[TernaryNetwork(Inputs = 25)]
[Dense(1, Activation.Tanh)]
public partial class Neuron25;

[TernaryNetwork(Inputs = 25)]
[Dense(16, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden25;

/// <summary>The study's two models.</summary>
public enum Model
{
    /// <summary>One tanh neuron.</summary>
    Neuron,

    /// <summary>A hidden layer of 16 tanh neurons, then one tanh output.</summary>
    Hidden16,
}

/// <summary>Creates the generated network for an input width and model.</summary>
public static class Networks
{
    public static ITernaryNetwork Create(int inputs, Model model) => (inputs, model) switch
    {
        (9, Model.Neuron) => new Neuron9(),
        (9, Model.Hidden16) => new Hidden9(),
        (16, Model.Neuron) => new Neuron16(),
        (16, Model.Hidden16) => new Hidden16(),
        (25, Model.Neuron) => new Neuron25(),
        (25, Model.Hidden16) => new Hidden25(),
        _ => throw new System.ArgumentException($"The study has no network for {inputs} inputs."),
    };
}
