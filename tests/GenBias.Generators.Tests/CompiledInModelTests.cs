using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>
/// The fixed-network compiler: every network of the matrix, saved as a model file with random parameters and compiled
/// back in with [TernaryNetwork(Model = …)], gives the bits of the same model loaded at run time, on every path.
/// </summary>
public partial class CompiledNetworkTests
{
    /// <summary>The matrix networks with their random parameters, saved by ModelFile.Save and compiled in (one assembly).</summary>
    private static readonly Lazy<(Assembly Assembly, Dictionary<string, float[]> Parameters)> CompiledIn = new(() =>
    {
        string folder = Path.Combine(Path.GetTempPath(), "genbias-compiled-in-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var files = new List<InMemoryAdditionalText>();
            var parameters = new Dictionary<string, float[]>();
            var source = new StringBuilder("using GenBias;\n[module: System.Runtime.CompilerServices.SkipLocalsInit]\nnamespace CompiledIn;\n");
            foreach (var spec in Matrix!.Value)
            {
                ITernaryNetwork network = Create(spec.Name, out _, seed: spec.Name.GetHashCode(StringComparison.Ordinal) + 1);
                string path = Path.Combine(folder, spec.Name + ".json");
                ModelFile.Save(path, network);
                files.Add(new InMemoryAdditionalText($"/project/models/{spec.Name}.json", File.ReadAllText(path)));
                parameters[spec.Name] = network.Parameters.ToArray();
                source.Append($"[TernaryNetwork(Model = \"models/{spec.Name}.json\")] public partial class {spec.Name};\n");
            }

            return (GeneratorHarness.CompileAndLoad(source.ToString(), [.. files]), parameters);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    });

    [Theory]
    [MemberData(nameof(Names))]
    public void A_model_compiled_in_gives_the_bits_of_the_same_model_loaded_at_run_time(string name)
    {
        (Assembly assembly, Dictionary<string, float[]> parameters) = CompiledIn.Value;
        Type type = assembly.GetType("CompiledIn." + name, throwOnError: true)!;
        // No SetParameters: the parameterless constructor loads the compiled-in parameters.
        var compiled = (ITernaryNetwork)Activator.CreateInstance(type)!;
        ITernaryNetwork loaded = Create(name, out NetworkShape shape, seed: 0);
        loaded.SetParameters(parameters[name]);
        Assert.Equal(shape, compiled.Shape);
        Assert.True(compiled.Parameters.SequenceEqual(loaded.Parameters), $"{name}: the compiled-in parameters differ from the file's");
        Assert.Equal(CoverageCounter.NetworkHash(loaded), CoverageCounter.NetworkHash(compiled));
        Assert.Equal($"models/{name}.json", type.GetField("ModelFileName")!.GetValue(null));

        var random = new Random(11);
        float[] expected = new float[shape.OutputCount], actual = new float[shape.OutputCount];
        foreach (ComputePath path in AvailablePaths())
        {
            compiled.ComputePath = path;
            loaded.ComputePath = path;
            for (int trial = 0; trial < 200; trial++)
            {
                sbyte[] input = RandomInput(random, shape.InputCount, trial);
                loaded.Forward(input, expected);
                compiled.Forward(input, actual);
                AssertBits(expected, actual, $"{name} on {path}, trial {trial}");
            }
        }
    }
}
