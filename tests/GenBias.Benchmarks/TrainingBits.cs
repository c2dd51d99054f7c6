using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace GenBias.Benchmarks;

/// <summary>
/// Fingerprints of training runs over the trainer's paths (no preference, cube and data preferences by each method,
/// product distributions, rewards, projection, SGD, several shapes and thread counts): the parameters' bits and every
/// figure of the report, so that a change to the trainer can be checked to keep them:
/// dotnet run -c Release --project tests/GenBias.Benchmarks -- --training-bits
/// </summary>
internal static class TrainingBits
{
    public static void Run()
    {
        foreach ((string name, Func<ITernaryNetwork> network, TernaryDataset data, TrainerOptions options) in Cases())
        {
            foreach (int threads in new[] { 1, 2 })
            {
                ITernaryNetwork net = network();
                TrainingReport report = PreferenceTrainer.Train(net, data, options with { Threads = threads });
                Console.WriteLine($"{name,-34} threads {threads}: parameters {Hash(Parameters(net))}, report {Hash(Describe(report))}");
            }
        }
    }

    private static IEnumerable<(string, Func<ITernaryNetwork>, TernaryDataset, TrainerOptions)> Cases()
    {
        TernaryDataset d25 = Data(25, 3000, 11), d23 = Data(23, 1500, 12), d12 = Data(12, 1200, 13), d64 = Data(64, 1000, 14);
        var basic = new TrainerOptions { Epochs = 3, Seed = 3, Patience = 0 };
        var above = Preference.OutputAbove(0.5, 0.6);
        yield return ("25-16-1 plain", () => new Hidden25x16x1(), d25, basic with { ValidationFraction = 0 });
        yield return ("25-16-1 plain, validation", () => new Hidden25x16x1(), d25, basic);
        yield return ("25-16-1 cube", () => new Hidden25x16x1(), d25, basic with { Preferences = [above], FreeBaseline = false });
        yield return ("25-16-1 cube, free baseline", () => new Hidden25x16x1(), d25, basic with { Preferences = [above] });
        yield return ("25-16-1 cube penalty", () => new Hidden25x16x1(), d25,
            basic with { Preferences = [above with { Method = EnforcementMethod.Penalty }], FreeBaseline = false });
        yield return ("25-16-1 data preference", () => new Hidden25x16x1(), d25,
            basic with { Preferences = [above with { Distribution = PreferenceDistribution.TrainingData }], FreeBaseline = false });
        yield return ("25-16-1 data penalty", () => new Hidden25x16x1(), d25,
            basic with { Preferences = [above with { Distribution = PreferenceDistribution.TrainingData, Method = EnforcementMethod.Penalty }], FreeBaseline = false });
        yield return ("25-16-1 product", () => new Hidden25x16x1(), d25, basic with
        {
            Preferences = [above with { Distribution = PreferenceDistribution.Product, InputProbabilities = [0.3, 0.4, 0.3] }],
            FreeBaseline = false,
        });
        yield return ("25-16-1 hidden neuron, projection", () => new Hidden25x16x1(), d25, basic with
        {
            Preferences = [new Preference { Layer = 0, Neuron = 3, Interval = ActivationInterval.Above(0.2), Target = 0.8, Method = EnforcementMethod.Projection }],
        });
        yield return ("25-16-1 reward, SGD, decay", () => new Hidden25x16x1(), d25, basic with
        {
            Rewards = [new ActivationReward { Layer = 0, Neuron = null, Ranges = [(ActivationInterval.Above(0.9), 1.0)], Weight = 0.1 }],
            Optimizer = OptimizerKind.Sgd,
            WeightDecay = 1e-3,
            BatchSize = 50,
        });
        yield return ("25-32-16-8-1 cube", () => new Deep25x32x16x8x1(), d25, basic with { Preferences = [above], FreeBaseline = false, Epochs = 2 });
        yield return ("23-12-1 sigmoid, cube", () => new ReferenceNetwork(NetworkShape.Create(23, [(12, Activation.Tanh), (1, Activation.Sigmoid)])), d23,
            basic with { Preferences = [Preference.OutputAbove(0.5, 0.5)], BatchSize = 37 });
        yield return ("12-9-8-1 relu hardtanh", () => new ReferenceNetwork(NetworkShape.Create(12, [(9, Activation.ReLU), (8, Activation.HardTanh), (1, Activation.Tanh)])), d12,
            basic with { Loss = LossKind.Squared });
        yield return ("64-33-1 hinge", () => new Wide64x33x1(), d64, basic with { Loss = LossKind.Hinge, BatchSize = 20 });
    }

    private static TernaryDataset Data(int inputs, int rows, int seed)
    {
        sbyte[] values = BenchmarkData.Inputs(rows, inputs, seed);
        var list = new sbyte[rows][];
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            list[r] = values.AsSpan(r * inputs, inputs).ToArray();
            labels[r] = list[r][0] + list[r][1] + list[r][2] - list[r][inputs - 1] > 0 ? 1 : 0;
        }

        return TernaryDataset.FromArrays(list, labels);
    }

    private static string Parameters(ITernaryNetwork network) =>
        string.Join(",", network.Parameters.ToArray().Select(p => BitConverter.SingleToInt32Bits(p).ToString(CultureInfo.InvariantCulture)));

    private static string Describe(TrainingReport report)
    {
        var text = new StringBuilder();
        foreach (EpochReport e in report.Epochs)
        {
            text.Append(CultureInfo.InvariantCulture, $"{e.Epoch} {e.TrainLoss:R} {e.TrainAccuracy:R} {e.ValidationLoss:R} {e.ValidationAccuracy:R};");
            foreach (PreferenceStatus s in e.Preferences)
            {
                text.Append(CultureInfo.InvariantCulture, $"{s.Rate:R} {s.Lower:R} {s.Upper:R} {s.MultiplierLower:R} {s.MultiplierUpper:R};");
            }
        }

        text.Append(CultureInfo.InvariantCulture, $"{report.SelectedEpoch} {report.StoppedEarly} {report.TrainAccuracy:R} {report.ValidationAccuracy:R} {report.Selection} {report.AnswersOneClass} {report.CandidateMet};");
        foreach (PreferenceResult p in report.Preferences)
        {
            text.Append(CultureInfo.InvariantCulture, $"{p.Rate} {p.Exact} {p.Met} {p.BiasShift:R} {string.Join(" ", p.MultiplierTrace)};");
        }

        foreach (CandidateScore c in report.CandidateScores)
        {
            text.Append(CultureInfo.InvariantCulture, $"{c};");
        }

        return text.ToString();
    }

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
}
