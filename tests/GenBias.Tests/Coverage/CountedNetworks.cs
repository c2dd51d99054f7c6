namespace GenBias.Tests.Coverage;

[TernaryNetwork(Inputs = 9)]
[Dense(1, Activation.Tanh)]
public partial class Neuron9Tanh;

[TernaryNetwork(Inputs = 13)]
[Dense(1, Activation.Sigmoid)]
public partial class Neuron13Sigmoid;

[TernaryNetwork(Inputs = 14)]
[Dense(1, Activation.Linear)]
public partial class Neuron14Linear;

[TernaryNetwork(Inputs = 12)]
[Dense(1, Activation.HardTanh)]
public partial class Neuron12HardTanh;

[TernaryNetwork(Inputs = 10)]
[Dense(6, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden10x6x1;

[TernaryNetwork(Inputs = 11)]
[Dense(16, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden11x16x1;

[TernaryNetwork(Inputs = 12)]
[Dense(9, Activation.ReLU)]
[Dense(2, Activation.Sigmoid)]
public partial class Hidden12x9x2;

[TernaryNetwork(Inputs = 9)]
[Dense(8, Activation.Tanh)]
[Dense(5, Activation.HardTanh)]
[Dense(1, Activation.Tanh)]
public partial class TwoHidden9x8x5x1;

[TernaryNetwork(Inputs = 13)]
[Dense(10, Activation.Sigmoid)]
[Dense(12, Activation.Tanh)]
[Dense(1, Activation.Linear)]
public partial class TwoHidden13x10x12x1;

// The lanes-are-inputs leaf's edge cases: hidden widths around its blocks of eight, two target neurons.
[TernaryNetwork(Inputs = 11)]
[Dense(1, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Leaf11x1x1;

[TernaryNetwork(Inputs = 11)]
[Dense(15, Activation.Tanh)]
[Dense(1, Activation.Sigmoid)]
public partial class Leaf11x15x1;

[TernaryNetwork(Inputs = 12)]
[Dense(16, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Leaf12x16x1;

[TernaryNetwork(Inputs = 10)]
[Dense(17, Activation.ReLU)]
[Dense(2, Activation.Linear)]
public partial class Leaf10x17x2;

[TernaryNetwork(Inputs = 10)]
[Dense(33, Activation.Sigmoid)]
[Dense(1, Activation.HardTanh)]
[Dense(1, Activation.Tanh)]
public partial class Leaf10x33x1x1;

[TernaryNetwork(Inputs = 4)]
[Dense(7, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Leaf4x7x1;

[TernaryNetwork(Inputs = 3)]
[Dense(5, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Leaf3x5x1;
