using GenBias;

namespace SeedNeuron;

/// <summary>The 25-input majority problem's neuron: 25 ternary inputs, one tanh output.</summary>
[TernaryNetwork(Inputs = 25)]
[Dense(1, Activation.Tanh)]
public partial class SeedNeuronNetwork;

/// <summary>The 25-input majority problem with a hidden layer: 25 → 16 → 1, tanh throughout.</summary>
[TernaryNetwork(Inputs = 25)]
[Dense(16, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class SeedHiddenNetwork;
