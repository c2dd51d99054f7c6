using GenBias;

namespace GenBias.Benchmarks;

[TernaryNetwork(Inputs = 25)]
[Dense(1, Activation.Tanh)]
public partial class Neuron25;

[TernaryNetwork(Inputs = 25)]
[Dense(16, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden25x16x1;

[TernaryNetwork(Inputs = 64)]
[Dense(33, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Wide64x33x1;

[TernaryNetwork(Inputs = 100)]
[Dense(8, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Long100x8x1;

[TernaryNetwork(Inputs = 784)]
[Dense(64, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Image784x64x1;

[TernaryNetwork(Inputs = 25)]
[Dense(32, Activation.Tanh)]
[Dense(16, Activation.Tanh)]
[Dense(8, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Deep25x32x16x8x1;

[TernaryNetwork(Inputs = 12)]
[Dense(16, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Count12x16x1;

[TernaryNetwork(Inputs = 12)]
[Dense(32, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Count12x32x1;

[TernaryNetwork(Inputs = 25)]
[Dense(32, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Count25x32x1;

/// <summary>models/hidden-25-16-1.json compiled in (the fixed-network compiler).</summary>
[TernaryNetwork(Model = "models/hidden-25-16-1.json")]
public partial class CompiledInHidden;

/// <summary>models/neuron-25-1.json compiled in.</summary>
[TernaryNetwork(Model = "models/neuron-25-1.json")]
public partial class CompiledInNeuron;

/// <summary>25 → 16 → 1 without activations: the side-by-side kernel runs show how much of a batch the tanh takes.</summary>
[TernaryNetwork(Inputs = 25)]
[Dense(16, Activation.Linear)]
[Dense(1, Activation.Linear)]
public partial class Linear25x16x1;
