using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>
/// Seeded fuzzing of the generator: random declaration forms (class, record, struct, interface; modifiers, nesting,
/// generics, partial splits, conflicting members, base classes, verbatim (@) names, class names the generated code uses for
/// members) with random attribute arguments, compiled in memory.
/// The generator never crashes (no CS8785/AD0001), no diagnostic ever points into generated code, a spec that gets no
/// GB diagnostic and no error of its own is generated, and every network of a clean batch runs and matches the
/// reference. GENBIAS_FUZZ_ITERATIONS sets the number of batches (default 30 batches of 50 specs: 1,500 declarations).
/// </summary>
public class GeneratorFuzzTests
{
    private static readonly int Batches = int.TryParse(Environment.GetEnvironmentVariable("GENBIAS_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : 30;

    /// <summary>Declarations compiled together; most are small so that thousands fit in CI's minute.</summary>
    private const int SpecsPerBatch = 50;

    /// <summary>One declaration; <paramref name="HintKey"/> is how its generated file's name ends.</summary>
    private sealed record Spec(string Name, string Source, bool Nested, bool Attributed, string HintKey);

    [Fact]
    public void Random_declarations_get_clean_code_or_a_diagnostic_at_the_users_code()
    {
        int runs = 0, generated = 0, rejected = 0;
        for (int batch = 0; batch < Batches; batch++)
        {
            var random = new Random(1000 + batch);
            List<Spec> specs = [.. Enumerable.Range(0, SpecsPerBatch).Select(i => RandomSpec(random, $"N{batch}x{i}"))];
            var source = new StringBuilder("using GenBias;\nusing System;\nnamespace Fuzz;\n");
            var ranges = new List<(Spec Spec, int Start, int End)>();
            foreach (Spec spec in specs)
            {
                int start = source.Length;
                source.Append(spec.Source).Append('\n');
                ranges.Add((spec, start, source.Length));
            }

            string text = source.ToString();
            string where = $"seed {1000 + batch}:\n{text}";
            (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(text);
            Assert.True(result.Results.Single().Exception is null, $"the generator threw {result.Results.Single().Exception} ({where})");
            ImmutableArray<Diagnostic> all = output.GetDiagnostics();
            Assert.DoesNotContain(all, d => d.Id is "CS8785" or "AD0001");
            foreach (Diagnostic d in all.Concat(result.Diagnostics).Where(d => d.Severity >= DiagnosticSeverity.Warning))
            {
                Assert.True(d.Location.GetLineSpan().Path == "Spec.cs",
                    $"{d.Id} in generated code: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)} at {d.Location.GetLineSpan()} ({where})");
            }

            foreach ((Spec spec, int start, int end) in ranges)
            {
                bool diagnosed = result.Diagnostics.Any(d => d.Id.StartsWith("GB", StringComparison.Ordinal) && d.Location.SourceSpan.Start >= start && d.Location.SourceSpan.Start < end);
                bool ownErrors = all.Any(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("GB", StringComparison.Ordinal) &&
                    d.Location.SourceTree?.FilePath == "Spec.cs" && d.Location.SourceSpan.Start >= start && d.Location.SourceSpan.Start < end);
                bool emitted = result.Results.Single().GeneratedSources.Any(s => s.HintName.EndsWith("." + spec.HintKey, StringComparison.Ordinal));
                if (diagnosed)
                {
                    rejected++;
                    Assert.False(emitted, $"{spec.Name} got a GB diagnostic and generated code ({where})");
                }
                else if (!ownErrors && spec.Attributed)
                {
                    Assert.True(emitted, $"{spec.Name} has neither a diagnostic nor generated code ({where})");
                    generated++;
                }
            }

            // The generated specs alone make a clean program: every concrete network in it runs and agrees with the
            // reference implementation.
            List<Spec> clean = [.. ranges.Where(r => result.Results.Single().GeneratedSources.Any(g => g.HintName.EndsWith("." + r.Spec.HintKey, StringComparison.Ordinal)) &&
                !all.Any(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath == "Spec.cs" && d.Location.SourceSpan.Start >= r.Start && d.Location.SourceSpan.Start < r.End))
                .Select(r => r.Spec)];
            if (clean.Count == 0)
            {
                continue;
            }

            string program = "using GenBias;\nusing System;\nnamespace Fuzz;\n" + string.Join("\n", clean.Select(c => c.Source));
            (GeneratorDriverRunResult again, Compilation cleanOutput) = GeneratorHarness.Run(program);
            Assert.Empty(again.Diagnostics);
            using var stream = new MemoryStream();
            Microsoft.CodeAnalysis.Emit.EmitResult emit = cleanOutput.Emit(stream);
            Assert.True(emit.Success, $"the generated specs alone do not compile: {string.Join("; ", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(3))} ({where})");
            stream.Position = 0;
            var context = new AssemblyLoadContext("fuzz-" + batch, isCollectible: true);
            Assembly assembly = context.LoadFromStream(stream);
            foreach (Type type in assembly.GetTypes().Where(t => typeof(ITernaryNetwork).IsAssignableFrom(t) && !t.IsAbstract))
            {
                var network = (ITernaryNetwork)Activator.CreateInstance(type)!;
                NetworkShape shape = network.Shape;
                float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)(random.NextDouble() - 0.5))];
                network.SetParameters(parameters);
                var reference = new ReferenceNetwork(shape, parameters);
                sbyte[] input = [.. Enumerable.Range(0, shape.InputCount).Select(_ => (sbyte)random.Next(-1, 2))];
                float[] actual = new float[shape.OutputCount], expected = new float[shape.OutputCount];
                network.Forward(input, actual);
                reference.Forward(input, expected);
                Assert.Equal(expected, actual);
                runs++;
            }

            context.Unload();
        }

        // The generator of specs must produce both outcomes in quantity, or the test proves little.
        Assert.True(generated > Batches && rejected > Batches && runs > Batches / 2, $"{generated} generated, {rejected} rejected, {runs} run");
    }

    private static Spec RandomSpec(Random random, string name)
    {
        string Pick(params string[] options) => options[random.Next(options.Length)];
        bool Chance(int percent) => random.Next(100) < percent;

        // A nested network may have a name of its own (unique within its containing class): a keyword written
        // verbatim, or a name the generated code declares (which must get GB0022, not an error in generated code).
        bool nested = Chance(15);
        string typeName = nested && Chance(40)
            ? Pick("@event", "@record", "@class", "@namespace", "@var", "var", "@N", "Shape", "Forward", "Parameters", "InputCount", "Preferences",
                "ComputePath", "SetParameters", "Backward", "ForwardBatch", "Layer0WeightOffset", "_parameters", "Run", "OutputCount")
            : name;
        string kind = Chance(60) ? "class" : Pick("record class", "record", "sealed class", "abstract class", "struct", "record struct", "interface", "static class");
        string partial = Chance(92) ? "partial " : "";
        string file = Chance(4) ? "file " : "";
        string generic = Chance(4) ? "<T>" : "";
        string inputs = Chance(85) ? (Chance(75) ? random.Next(1, 13) : random.Next(1, 71)).ToString() : Pick("0", "-1", "1025", "3.5", "\"x\"");
        var attributes = new StringBuilder();
        attributes.Append(Chance(95) ? $"[TernaryNetwork(Inputs = {inputs})]\n" : Chance(50) ? "[TernaryNetwork]\n" : "");
        int layers = Chance(8) ? 0 : random.Next(1, 4);
        var widths = new List<int>();
        var dense = new StringBuilder();
        for (int l = 0; l < layers; l++)
        {
            int width = Chance(92) ? (Chance(80) ? random.Next(1, 9) : random.Next(1, 41)) : Pick("0", "300", "-2") is var w ? int.Parse(w, System.Globalization.CultureInfo.InvariantCulture) : 1;
            widths.Add(width);
            string activation = Chance(95) ? "Activation." + Pick("Tanh", "HardTanh", "Sigmoid", "ReLU", "Linear", "TernaryStep") : "(Activation)9";
            dense.Append($"[Dense({width}, {activation})]\n");
        }

        string prefer = "";
        if (Chance(30))
        {
            var args = new List<string>();
            if (Chance(80)) args.Add($"Above = {Pick("0.5", "-0.5", "0", "2", "0.25")}");
            if (Chance(30)) args.Add($"Below = {Pick("0.9", "0.1", "-2")}");
            args.Add(Pick("AtLeast", "AtMost", "About") + " = " + Pick("0.6", "0.1", "1.5", "0"));
            if (Chance(20)) args.Add("AtMost = 0.9");
            if (Chance(30)) args.Add($"Layer = {Pick("0", "-1", "1", "5")}");
            if (Chance(20)) args.Add($"Neuron = {Pick("0", "1", "40")}");
            if (Chance(15)) args.Add("AllNeurons = true");
            if (Chance(20)) args.Add($"Method = EnforcementMethod.{Pick("Penalty", "Calibration", "ProxyLagrangian", "Projection")}");
            if (Chance(15)) args.Add($"Over = PreferenceDistribution.{Pick("TrainingData", "Product", "UniformCube")}");
            prefer = $"[Prefer({string.Join(", ", args)})]\n";
        }

        string member = Chance(10) ? Pick("public int Forward;", "public const int InputCount = 1;", "private float[] _tables = [];", "public string Shape => \"\";", "public int Layer0BiasOffset { get; }", "public void Run() { }") : "";
        string body = member.Length > 0 ? $"\n{{\n    {member}\n}}" : ";";
        string baseClause = Chance(5) ? " : System.Collections.Generic.List<int>" : "";
        string declaration;
        if (Chance(10))
        {
            // Split over two partial declarations: the layers on both (GB0019) or on one.
            string second = Chance(50) ? dense.ToString() : "";
            string first = second.Length > 0 ? $"[Dense(2, Activation.Tanh)]\n" : dense.ToString();
            declaration = $"{attributes}{first}{prefer}public {file}{partial}{kind} {typeName}{generic}{baseClause}{body}\n{second}public {partial}{kind} {typeName}{generic};";
        }
        else
        {
            declaration = $"{attributes}{dense}{prefer}public {file}{partial}{kind} {typeName}{generic}{baseClause}{body}";
        }

        if (nested)
        {
            string outer = Chance(85) ? "partial " : "";
            declaration = $"public {outer}class {(Chance(30) ? "@" : "")}Outer{name}\n{{\n{declaration}\n}}";
        }

        string hintKey = (nested ? $"Outer{name}." : "") + typeName.TrimStart('@') + ".g.cs";
        return new Spec(name, declaration, nested, attributes.Length + dense.Length + prefer.Length > 0, hintKey);
    }
}
