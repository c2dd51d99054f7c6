using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Basic.Reference.Assemblies;
using GenBias.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GenBias.Generators.Tests;

/// <summary>Runs the generator over source text with the real reference assemblies, as the compiler would.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static CSharpCompilation Compilation(string source, string path = "Spec.cs") =>
        CSharpCompilation.Create(
            "GeneratorTest",
            [CSharpSyntaxTree.ParseText(source, ParseOptions, path)],
            Net100.References.All.Add(MetadataReference.CreateFromFile(typeof(TernaryNetworkAttribute).Assembly.Location)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable,
                optimizationLevel: OptimizationLevel.Release, allowUnsafe: true));

    public static GeneratorDriver Driver(params AdditionalText[] files) =>
        CSharpGeneratorDriver.Create(
            [new TernaryNetworkGenerator().AsSourceGenerator()],
            additionalTexts: files,
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns its result and the compilation that includes the generated code.</summary>
    public static (GeneratorDriverRunResult Result, Compilation Output) Run(string source, params AdditionalText[] files)
    {
        CSharpCompilation input = Compilation(source);
        GeneratorDriver driver = Driver(files).RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);
        return (driver.GetRunResult(), output);
    }

    /// <summary>Diagnostics of the compiled output at warning level and above (the generated code must add none).</summary>
    public static ImmutableArray<Diagnostic> WarningsAndErrors(Compilation output) =>
        [.. output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning)];

    /// <summary>Generates, compiles and loads the assembly; fails with the compiler's messages if it does not compile.</summary>
    public static Assembly CompileAndLoad(string source, params AdditionalText[] files)
    {
        (GeneratorDriverRunResult result, Compilation output) = Run(source, files);
        if (!result.Diagnostics.IsEmpty)
        {
            throw new InvalidOperationException("Generator diagnostics: " + string.Join("\n", result.Diagnostics));
        }

        using var stream = new MemoryStream();
        var emit = output.Emit(stream);
        ImmutableArray<Diagnostic> problems = [.. emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning)];
        if (!emit.Success || !problems.IsEmpty)
        {
            throw new InvalidOperationException("Compilation failed:\n" + string.Join("\n", problems.Take(20)));
        }

        stream.Position = 0;
        return new AssemblyLoadContext("generated-" + Guid.NewGuid(), isCollectible: true).LoadFromStream(stream);
    }
}

/// <summary>An AdditionalFiles item held in memory, as the compiler passes project files to a generator.</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    public override string Path { get; } = path;

    public override Microsoft.CodeAnalysis.Text.SourceText GetText(System.Threading.CancellationToken cancellationToken = default) =>
        Microsoft.CodeAnalysis.Text.SourceText.From(text, System.Text.Encoding.UTF8);
}
