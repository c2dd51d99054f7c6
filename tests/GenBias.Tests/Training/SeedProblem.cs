using System.Linq;

namespace GenBias.Tests.Training;

[TernaryNetwork(Inputs = 25)]
[Dense(1, Activation.Tanh)]
public partial class SeedNeuron;

[TernaryNetwork(Inputs = 25)]
[Dense(8, Activation.Tanh)]
[Dense(1, Activation.Tanh)]
public partial class SeedHidden;

/// <summary>
/// The 25-input majority problem: uniform inputs from the cube, labelled by a planted rule that is positive on about a fifth of
/// the cube (x0 + … + x4 ≥ 2), so that unconstrained training puts well under half of the cube above 0.5.
/// </summary>
internal static class SeedProblem
{
    public static TernaryDataset Data(int rows, ulong seed)
    {
        var random = new DeterministicRandom(seed);
        var inputs = new sbyte[rows][];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            inputs[r] = [.. Enumerable.Range(0, 25).Select(_ => (sbyte)(random.Next(3) - 1))];
            labels[r] = inputs[r].Take(5).Sum(v => v) >= 2 ? 1 : 0;
        }

        return TernaryDataset.FromArrays(inputs, labels);
    }
}

[TernaryNetwork(Inputs = 9)]
[Dense(4, Activation.Tanh)]
[Dense(1, Activation.Sigmoid)]
[Prefer(Above = 0.5, AtLeast = 0.6)]
[Prefer(Layer = 0, AllNeurons = true, Above = -0.25, Below = 0.25, AtMost = 0.3, Over = PreferenceDistribution.TrainingData, Method = EnforcementMethod.Penalty)]
public partial class Declared;
