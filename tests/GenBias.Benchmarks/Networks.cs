using GenBias;

namespace GenBias.Benchmarks;

[TernaryNetwork(Inputs = 25)]
[Dense(1, Activation.Tanh)]
public partial class Neuron25;

[TernaryNetwork(Inputs = 25)]
[Dense(16, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Hidden25x16x1;
