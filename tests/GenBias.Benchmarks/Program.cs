using System;
using BenchmarkDotNet.Running;

// Run by hand, never in CI:
//   dotnet run -c Release --project tests/GenBias.Benchmarks -- --filter '*'          BenchmarkDotNet
//   dotnet run -c Release --project tests/GenBias.Benchmarks -- --side-by-side [rounds]  interleaved, against ONNX Runtime
//   dotnet run -c Release --project tests/GenBias.Benchmarks -- --activation [rounds]    tanh, version 2 against version 1
//   dotnet run -c Release --project tests/GenBias.Benchmarks -- --training-bits   fingerprints of training runs (parameters, reports)
//   dotnet run -c Release --project tests/GenBias.Benchmarks -- --training-loop [plain|cube][4]|dense [seconds] [threads]  for a profiler
if (args.Length > 0 && args[0] == "--activation")
{
    GenBias.Benchmarks.ActivationSideBySide.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15);
    return;
}

if (args.Length > 0 && args[0] == "--side-by-side")
{
    GenBias.Benchmarks.SideBySide.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15);
    return;
}

if (args.Length > 0 && args[0] == "--training-bits")
{
    GenBias.Benchmarks.TrainingBits.Run();
    return;
}

if (args.Length > 0 && args[0] == "--training-loop")
{
    GenBias.Benchmarks.TrainingLoop.Run(args.Length > 1 ? args[1] : "plain", args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(GenBias.Benchmarks.ForwardBenchmarks).Assembly).Run(args);
