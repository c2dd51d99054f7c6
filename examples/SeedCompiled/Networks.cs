using GenBias;

namespace SeedCompiled;

/// <summary>
/// The trained 25 → 16 → 1 network of the 25-input majority problem (examples/SeedNeuron writes it to models/seed-hidden-preferred.json),
/// compiled in: shape, parameters and preference come from the file at compile time.
/// </summary>
[TernaryNetwork(Model = "models/seed-hidden-preferred.json")]
public partial class SeedHidden;

/// <summary>The same shape, for loading the model file at run time (the comparison).</summary>
[TernaryNetwork(Inputs = 25)]
[Dense(16, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class SeedHiddenFromFile;
