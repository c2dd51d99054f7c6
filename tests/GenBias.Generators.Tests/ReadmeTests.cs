using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>Every C# block of README.md compiles as written, with the generator, without warnings, and runs.</summary>
public partial class ReadmeTests
{
    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    private static string ReadmePath([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "README.md"));

    public static TheoryData<int> Blocks()
    {
        var data = new TheoryData<int>();
        int count = CSharpBlock().Matches(File.ReadAllText(ReadmePath())).Count;
        for (int i = 0; i < count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Fact]
    public void The_readme_has_csharp_blocks_to_test() => Assert.True(CSharpBlock().Matches(File.ReadAllText(ReadmePath())).Count >= 4);

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Readme_block_compiles_and_runs(int block)
    {
        string source = CSharpBlock().Matches(File.ReadAllText(ReadmePath()))[block].Groups[1].Value;
        CSharpCompilation input = CSharpCompilation.Create(
            $"Readme{block}",
            [CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, "README.cs")],
            Net100.References.All.Add(MetadataReference.CreateFromFile(typeof(TernaryNetworkAttribute).Assembly.Location)),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable,
                optimizationLevel: OptimizationLevel.Release));
        // A compiled-in model names its file as the walk-through project (examples/SeedCompiled) holds it.
        string examples = Path.Combine(Path.GetDirectoryName(ReadmePath())!, "examples", "SeedCompiled");
        AdditionalText[] files = [.. Regex.Matches(source, @"Model = ""([^""]+)""").Select(m => m.Groups[1].Value).Distinct()
            .Select(name => new InMemoryAdditionalText("/readme/" + name, File.ReadAllText(Path.Combine(examples, name))))];
        GeneratorHarness.Driver(files).RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        using var stream = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emit = output.Emit(stream);
        Diagnostic[] problems = [.. emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning)];
        Assert.True(emit.Success && problems.Length == 0, $"README block {block}:\n{string.Join("\n", problems.Take(10))}\n{source}");

        stream.Position = 0;
        var context = new AssemblyLoadContext($"readme-{block}", isCollectible: true);
        try
        {
            Assembly assembly = context.LoadFromStream(stream);
            MethodInfo entry = assembly.EntryPoint!;
            TextWriter console = Console.Out;
            var captured = new StringWriter();
            Console.SetOut(captured);
            try
            {
                entry.Invoke(null, entry.GetParameters().Length == 0 ? [] : [Array.Empty<string>()]);
            }
            finally
            {
                Console.SetOut(console);
            }

            Assert.NotEmpty(captured.ToString());
        }
        finally
        {
            context.Unload();
        }
    }
}
