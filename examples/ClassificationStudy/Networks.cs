using System;
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

// Linear neurons: the activation experiment's trained neurons, scored and counted as "w·x + b − f⁻¹(0.5) above 0".

[TernaryNetwork(Inputs = 9)]
[Dense(1, Activation.Linear)]
public partial class Linear9;

[TernaryNetwork(Inputs = 16)]
[Dense(1, Activation.Linear)]
public partial class Linear16;

[TernaryNetwork(Inputs = 25)]
[Dense(1, Activation.Linear)]
public partial class Linear25;

// The capacity curve's hidden widths for the image tasks (16 and 25 inputs).

[TernaryNetwork(Inputs = 16)]
[Dense(2, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden16x2;

[TernaryNetwork(Inputs = 16)]
[Dense(4, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden16x4;

[TernaryNetwork(Inputs = 16)]
[Dense(8, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden16x8;

[TernaryNetwork(Inputs = 16)]
[Dense(32, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden16x32;

[TernaryNetwork(Inputs = 25)]
[Dense(2, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden25x2;

[TernaryNetwork(Inputs = 25)]
[Dense(4, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden25x4;

[TernaryNetwork(Inputs = 25)]
[Dense(8, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden25x8;

[TernaryNetwork(Inputs = 25)]
[Dense(32, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden25x32;

// The full-resolution task: MNIST at 28×28, 784 inputs, 64 hidden.

[TernaryNetwork(Inputs = 784)]
[Dense(64, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden784x64;

// The hidden-activation experiment: 16 hidden with the hidden activation changed (a non-affine change of tanh).

[TernaryNetwork(Inputs = 9)]
[Dense(16, Activation.ReLU)]
[Dense(1, Activation.Tanh)]
public partial class Hidden9ReLU;

[TernaryNetwork(Inputs = 9)]
[Dense(16, Activation.HardTanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden9HardTanh;

[TernaryNetwork(Inputs = 9)]
[Dense(16, Activation.Sigmoid)]
[Dense(1, Activation.Tanh)]
public partial class Hidden9Sigmoid;

[TernaryNetwork(Inputs = 16)]
[Dense(16, Activation.ReLU)]
[Dense(1, Activation.Tanh)]
public partial class Hidden16ReLU;

[TernaryNetwork(Inputs = 16)]
[Dense(16, Activation.HardTanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden16HardTanh;

[TernaryNetwork(Inputs = 16)]
[Dense(16, Activation.Sigmoid)]
[Dense(1, Activation.Tanh)]
public partial class Hidden16Sigmoid;

[TernaryNetwork(Inputs = 25)]
[Dense(16, Activation.ReLU)]
[Dense(1, Activation.Tanh)]
public partial class Hidden25ReLU;

[TernaryNetwork(Inputs = 25)]
[Dense(16, Activation.HardTanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden25HardTanh;

[TernaryNetwork(Inputs = 25)]
[Dense(16, Activation.Sigmoid)]
[Dense(1, Activation.Tanh)]
public partial class Hidden25Sigmoid;

/// <summary>The study's models: one neuron and 16 hidden in the main table; the other widths in the capacity curve.</summary>
public enum Model
{
    /// <summary>One tanh neuron.</summary>
    Neuron,

    /// <summary>A hidden layer of 16 tanh neurons, then one tanh output.</summary>
    Hidden16,

    /// <summary>A hidden layer of 2 (capacity curve).</summary>
    Hidden2,

    /// <summary>A hidden layer of 4 (capacity curve).</summary>
    Hidden4,

    /// <summary>A hidden layer of 8 (capacity curve).</summary>
    Hidden8,

    /// <summary>A hidden layer of 32 (capacity curve).</summary>
    Hidden32,
}

/// <summary>Creates the generated network for an input width and model.</summary>
public static class Networks
{
    /// <summary>A linear neuron of <paramref name="inputs"/> inputs (the activation experiment scores trained neurons as one).</summary>
    public static ITernaryNetwork CreateLinear(int inputs) => inputs switch
    {
        9 => new Linear9(),
        16 => new Linear16(),
        25 => new Linear25(),
        _ => throw new ArgumentOutOfRangeException(nameof(inputs), inputs, "The study's tasks have 9, 16 or 25 inputs."),
    };

    /// <summary>16 hidden of <paramref name="hidden"/> (Tanh: the study's model) and a tanh output, for <paramref name="inputs"/> inputs.</summary>
    public static ITernaryNetwork CreateHidden(int inputs, Activation hidden) => (inputs, hidden) switch
    {
        (_, Activation.Tanh) => Create(inputs, Model.Hidden16),
        (9, Activation.ReLU) => new Hidden9ReLU(),
        (9, Activation.HardTanh) => new Hidden9HardTanh(),
        (9, Activation.Sigmoid) => new Hidden9Sigmoid(),
        (16, Activation.ReLU) => new Hidden16ReLU(),
        (16, Activation.HardTanh) => new Hidden16HardTanh(),
        (16, Activation.Sigmoid) => new Hidden16Sigmoid(),
        (25, Activation.ReLU) => new Hidden25ReLU(),
        (25, Activation.HardTanh) => new Hidden25HardTanh(),
        (25, Activation.Sigmoid) => new Hidden25Sigmoid(),
        _ => throw new ArgumentException($"The study has no 16-hidden {hidden} network for {inputs} inputs."),
    };

    /// <summary>The hidden width of a model (0 for one neuron).</summary>
    public static int Width(Model model) => model switch
    {
        Model.Neuron => 0,
        Model.Hidden2 => 2,
        Model.Hidden4 => 4,
        Model.Hidden8 => 8,
        Model.Hidden32 => 32,
        _ => 16,
    };

    public static ITernaryNetwork Create(int inputs, Model model) => (inputs, model) switch
    {
        (9, Model.Neuron) => new Neuron9(),
        (9, Model.Hidden16) => new Hidden9(),
        (16, Model.Neuron) => new Neuron16(),
        (16, Model.Hidden16) => new Hidden16(),
        (25, Model.Neuron) => new Neuron25(),
        (25, Model.Hidden16) => new Hidden25(),
        (16, Model.Hidden2) => new Hidden16x2(),
        (16, Model.Hidden4) => new Hidden16x4(),
        (16, Model.Hidden8) => new Hidden16x8(),
        (16, Model.Hidden32) => new Hidden16x32(),
        (25, Model.Hidden2) => new Hidden25x2(),
        (25, Model.Hidden4) => new Hidden25x4(),
        (25, Model.Hidden8) => new Hidden25x8(),
        (25, Model.Hidden32) => new Hidden25x32(),
        _ => throw new System.ArgumentException($"The study has no {model} network for {inputs} inputs."),
    };
}
