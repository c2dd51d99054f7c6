using System;
using BenchmarkDotNet.Running;

// Run by hand, never in CI:
//   dotnet run -c Release --project tests/GenBias.Benchmarks -- --filter '*'          BenchmarkDotNet
//   dotnet run -c Release --project tests/GenBias.Benchmarks -- --side-by-side [rounds]  interleaved, against ONNX Runtime
//   dotnet run -c Release --project tests/GenBias.Benchmarks -- --activation [rounds]    tanh, version 2 against version 1
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

BenchmarkSwitcher.FromAssembly(typeof(GenBias.Benchmarks.ForwardBenchmarks).Assembly).Run(args);
