using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using GenBias;

namespace ClassificationStudy;

/// <summary>
/// Whether a modified activation can do what a preference does, by experiment: instead of a preference, train one neuron with a modified activation
/// (shifted, scaled, asymmetric, clipped) and see what that does to the fraction of the cube above 0.5 and to
/// accuracy, beside the preference trainer's cells of the same folds.
/// </summary>
/// <remarks>
/// Every variant is trained the same way (plain Adam, batch 64, zero start, a logistic loss on the activation's margin
/// around 0.5: softplus(−4·s·(f(z) − 0.5)), s = ±1 the label), only f differs. A trained neuron classifies "f(w·x + b)
/// above 0.5", which for a monotone f is "w·x + b above f⁻¹(0.5)": it is scored and counted exactly as the linear
/// neuron w·x + (b − f⁻¹(0.5)) on the first layer's grid (weights and bias rounded to multiples of 2^-16, the same
/// model for the accuracy and for the count; the count is meet in the middle over all 3^n inputs).
/// </remarks>
public static class ActivationExperiment
{
    /// <summary>A modified activation: its name, f, f′ and f⁻¹(0.5).</summary>
    public sealed record Modified(string Name, Func<double, double> F, Func<double, double> Derivative, double HalfPoint);

    private static readonly double Atanh05 = Math.Atanh(0.5);

    public static readonly Modified[] Activations =
    [
        new("tanh(z) (the plain neuron)", Math.Tanh, z => 1 - (Math.Tanh(z) * Math.Tanh(z)), Atanh05),
        new("tanh(z) + 0.3 (output shifted up)", z => Math.Tanh(z) + 0.3, z => 1 - (Math.Tanh(z) * Math.Tanh(z)), Math.Atanh(0.2)),
        new("tanh(z + 1) (input shifted)", z => Math.Tanh(z + 1), z => 1 - (Math.Tanh(z + 1) * Math.Tanh(z + 1)), Atanh05 - 1),
        new("tanh(3z) (scaled)", z => Math.Tanh(3 * z), z => 3 * (1 - (Math.Tanh(3 * z) * Math.Tanh(3 * z))), Atanh05 / 3),
        new("tanh(2z) above 0, tanh(z/2) below (asymmetric)", z => z > 0 ? Math.Tanh(2 * z) : Math.Tanh(z / 2),
            z => z > 0 ? 2 * (1 - (Math.Tanh(2 * z) * Math.Tanh(2 * z))) : 0.5 * (1 - (Math.Tanh(z / 2) * Math.Tanh(z / 2))), Atanh05 / 2),
        new("max(tanh(z), −0.2) (clipped below)", z => Math.Max(Math.Tanh(z), -0.2), z => Math.Tanh(z) > -0.2 ? 1 - (Math.Tanh(z) * Math.Tanh(z)) : 0, Atanh05),
    ];

    /// <summary>One fold of one activation: test accuracy and the exact fraction of the cube above 0.5.</summary>
    public sealed record Result(double Accuracy, double CubeFraction);

    /// <summary>Trains and scores every activation on every fold of every task; the markdown table.</summary>
    public static string Run(IReadOnlyList<StudyTask> tasks, StudyState state, StudyOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine("| task | one tanh neuron trained with | test accuracy | cube above 0.5 (exact) |");
        text.AppendLine("|---|---|---|---|");
        foreach (StudyTask task in tasks)
        {
            foreach (Modified activation in Activations)
            {
                Result[] folds = [.. Enumerable.Range(0, options.Folds).Select(fold =>
                {
                    (TernaryDataset train, TernaryDataset test) = StudyRunner.Split(task.Data, fold, options.Folds, options.Seed);
                    return TrainAndScore(train, test, activation, options.Epochs, options.Seed + (ulong)fold);
                })];
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {task.Name} | {activation.Name}, no preference | {folds.Average(f => f.Accuracy):P1} | {Range(folds.Select(f => f.CubeFraction))} |"));
            }

            foreach ((Variant variant, double tau) in new[] { (Variant.Cube, 0.6), (Variant.Projection, 0.6), (Variant.Cube, 0.9), (Variant.Projection, 0.9) })
            {
                if (state.Cells.TryGetValue(CellResult.CellKey(task.Name, Model.Neuron, variant, tau), out CellResult? cell))
                {
                    text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {task.Name} | tanh(z), {Report.Name(variant)} τ = {tau} | {cell.MeanAccuracy:P1} | {Range(cell.Folds.Select(f => f.CertifiedFraction))} |"));
                }
            }
        }

        return text.ToString();
    }

    /// <summary>One neuron with the modified activation, trained on <paramref name="train"/>; scored on <paramref name="test"/> and the cube.</summary>
    public static Result TrainAndScore(TernaryDataset train, TernaryDataset test, Modified activation, int epochs, ulong seed)
    {
        int n = train.InputCount;
        double[] w = new double[n + 1];   // weights, then the bias
        double[] m = new double[n + 1], v = new double[n + 1], g = new double[n + 1];
        var random = new Random((int)(seed % int.MaxValue));
        int[] order = [.. Enumerable.Range(0, train.Count)];
        ReadOnlySpan<sbyte> inputs = train.Inputs;
        ReadOnlySpan<byte> labels = train.Labels;
        const double Rate = 0.01, Beta1 = 0.9, Beta2 = 0.999, Sharpness = 4;
        long step = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);
            for (int start = 0; start < order.Length; start += 64)
            {
                Array.Clear(g);
                int count = Math.Min(64, order.Length - start);
                for (int b = 0; b < count; b++)
                {
                    ReadOnlySpan<sbyte> x = inputs.Slice(order[start + b] * n, n);
                    double z = w[n];
                    for (int i = 0; i < n; i++)
                    {
                        z += w[i] * x[i];
                    }

                    double s = labels[order[start + b]] == 1 ? 1 : -1;
                    double margin = s * (activation.F(z) - 0.5);
                    // d softplus(−k·margin) / dz = −k·σ(−k·margin)·s·f′(z)
                    double dz = -Sharpness * (1 / (1 + Math.Exp(Sharpness * margin))) * s * activation.Derivative(z) / count;
                    for (int i = 0; i < n; i++)
                    {
                        g[i] += dz * x[i];
                    }

                    g[n] += dz;
                }

                step++;
                for (int p = 0; p <= n; p++)
                {
                    m[p] = (Beta1 * m[p]) + ((1 - Beta1) * g[p]);
                    v[p] = (Beta2 * v[p]) + ((1 - Beta2) * g[p] * g[p]);
                    w[p] -= Rate * (m[p] / (1 - Math.Pow(Beta1, step))) / (Math.Sqrt(v[p] / (1 - Math.Pow(Beta2, step))) + 1e-8);
                }
            }
        }

        // The trained classifier "w·x + b above f⁻¹(0.5)" as a linear neuron on the grid, counted exactly.
        ITernaryNetwork linear = Networks.CreateLinear(n);
        float[] parameters = [.. w.Take(n).Select(x => (float)x), (float)(w[n] - activation.HalfPoint)];
        FixedPointGrid.SnapFirstLayer(linear.Shape, parameters);
        linear.SetParameters(parameters);
        double accuracy = StudyRunner.Accuracy(linear, test, 0f);
        CountResult cube = CoverageCounter.Count(linear, new Preference { Interval = ActivationInterval.Above(0), Target = 0 });
        return new Result(accuracy, cube.Fraction);
    }

    private static string Range(IEnumerable<double> values)
    {
        double[] all = [.. values];
        return string.Create(CultureInfo.InvariantCulture, $"{all.Average():P1} ({all.Min():P1}–{all.Max():P1})");
    }
}
