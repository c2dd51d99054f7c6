using BenchmarkDotNet.Running;

// Run by hand, never in CI:  dotnet run -c Release --project tests/GenBias.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(GenBias.Benchmarks.ForwardBenchmarks).Assembly).Run(args);
