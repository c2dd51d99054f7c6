namespace GenBias.Tests;

[TernaryNetwork(Inputs = 25)]
[Dense(16, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Seed25x16x1;

[TernaryNetwork(Inputs = 70)]
[Dense(3, Activation.Sigmoid)]
public partial class Wide70;

[TernaryNetwork(Inputs = 25)]
[Dense(1, Activation.Tanh)]
public partial class Neuron25;

[TernaryNetwork(Inputs = 32)]
[Dense(1, Activation.Sigmoid)]
public partial class Neuron32;

[TernaryNetwork(Inputs = 36)]
[Dense(3, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Wide36x3x1;

[TernaryNetwork(Inputs = 70)]
[Dense(3, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Wide70x3x1;

[TernaryNetwork(Inputs = 100)]
[Dense(8, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Wide100x8x1;

[TernaryNetwork(Inputs = 130)]
[Dense(41, Activation.Sigmoid)]
[Dense(3, Activation.Linear)]
public partial class Wide130x41x3;

[TernaryNetwork(Inputs = 200)]
[Dense(32, Activation.ReLU)]
public partial class Wide200x32;

[TernaryNetwork(Inputs = 65)]
[Dense(31, Activation.Tanh)]
[Dense(1, Activation.Sigmoid)]
public partial class Wide65x31x1;

[TernaryNetwork(Inputs = 784)]
[Dense(20, Activation.Tanh)]
[Dense(3, Activation.Tanh)]
[Dense(1, Activation.Linear)]
public partial class Wide784x20x3x1;

[TernaryNetwork(Inputs = 130)]
[Dense(16, Activation.ReLU)]
[Dense(33, Activation.Tanh)]
[Dense(8, Activation.Sigmoid)]
[Dense(1, Activation.Tanh)]
public partial class Deep130x16x33x8x1;

[TernaryNetwork(Inputs = 25)]
[Dense(32, Activation.Tanh)]
[Dense(16, Activation.Tanh)]
[Dense(8, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Deep25x32x16x8x1;

[TernaryNetwork(Inputs = 64)]
[Dense(65, Activation.Sigmoid)]
[Dense(130, Activation.Tanh)]
[Dense(33, Activation.ReLU)]
[Dense(2, Activation.Linear)]
public partial class Deep64x65x130x33x2;

[TernaryNetwork(Inputs = 784)]
[Dense(64, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Wide784x64x1;

[TernaryNetwork(Inputs = 70)]
[Dense(112, Activation.Sigmoid)]
[Dense(2, Activation.Linear)]
public partial class Wide70x112x2;

// A first layer whose triple table exceeds ShapeRules.MaxTripleTableFloats: one row reads the pair table.
[TernaryNetwork(Inputs = 400)]
[Dense(160, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Wide400x160x1;

[TernaryNetwork(Inputs = 201)]
[Dense(9, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Wide201x9x1;

[TernaryNetwork(Inputs = 97)]
[Dense(48, Activation.Tanh)]
[Dense(1, Activation.Sigmoid)]
public partial class Wide97x48x1;

// The sixteen-row batch kernel's edges: a first layer of one padded vector (9), a full vector (16) with a layer of
// rows in lanes after it, four scalar neurons after a vector (20), five (21: a padded second vector), one (33), and
// last layers of one and of several neurons.
[TernaryNetwork(Inputs = 12)]
[Dense(9, Activation.Sigmoid)]
[Dense(2, Activation.Tanh)]
public partial class Rows16x9x2;

[TernaryNetwork(Inputs = 30)]
[Dense(16, Activation.Tanh)]
[Dense(16, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Rows30x16x16x1;

[TernaryNetwork(Inputs = 25)]
[Dense(20, Activation.ReLU)]
[Dense(7, Activation.Tanh)]
[Dense(3, Activation.Linear)]
public partial class Rows25x20x7x3;

[TernaryNetwork(Inputs = 40)]
[Dense(21, Activation.Tanh)]
[Dense(1, Activation.Sigmoid)]
public partial class Rows40x21x1;

[TernaryNetwork(Inputs = 64)]
[Dense(33, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class Rows64x33x1;

// 32 inputs: the last group of two inputs at bits 30-31 of the masks; eight neurons beyond the full vector (a padded
// second one) and a narrow layer 1 (pairs of rows).
[TernaryNetwork(Inputs = 32)]
[Dense(24, Activation.Tanh)]
[Dense(5, Activation.Sigmoid)]
[Dense(1, Activation.Tanh)]
public partial class Rows32x24x5x1;
