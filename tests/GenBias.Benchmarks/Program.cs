using System;
using BenchmarkDotNet.Running;

// Run by hand, never in CI:
//   dotnet run -c Release --project tests/GenBias.Benchmarks -- --filter '*'          BenchmarkDotNet
//   dotnet run -c Release --project tests/GenBias.Benchmarks -- --side-by-side [rounds]  interleaved, against ONNX Runtime
if (args.Length > 0 && args[0] == "--side-by-side")
{
    GenBias.Benchmarks.SideBySide.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(GenBias.Benchmarks.ForwardBenchmarks).Assembly).Run(args);
