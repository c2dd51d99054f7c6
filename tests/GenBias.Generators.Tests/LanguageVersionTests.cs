using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>
/// Generated code compiles with the oldest C# the generator accepts (TernaryNetworkGenerator.MinimumLanguageVersion);
/// an older one gets GB0031 where the network is declared, never errors inside generated code.
/// </summary>
public class LanguageVersionTests
{
    /// <summary>Every form the emitter distinguishes: tables, rows in lanes, no packed form, preferences, compiled-in models (array and base64).</summary>
    private const string Networks = """
        using GenBias;
        namespace Versions
        {
            [TernaryNetwork(Inputs = 25)]
            [Dense(16, Activation.Tanh)]
            [Dense(1, Activation.Tanh)]
            [Prefer(Above = 0.5, AtLeast = 0.6)]
            [Prefer(Layer = 0, AllNeurons = true, Above = -0.25, Below = 0.25, About = 0.3, Over = PreferenceDistribution.TrainingData)]
            public partial class Tables { }

            [TernaryNetwork(Inputs = 70)]
            [Dense(16, Activation.ReLU)]
            [Dense(3, Activation.Sigmoid)]
            public partial class Lanes { }

            public static partial class Outer
            {
                [TernaryNetwork(Inputs = 7)]
                [Dense(1, Activation.Linear)]
                internal partial class One { }
            }

            [TernaryNetwork(Model = "small.json")]
            public partial class Small { }

            [TernaryNetwork(Model = "large.json")]
            public partial class Large { }
        }
        """;

    private static AdditionalText ModelText(string name, NetworkShape shape)
    {
        var random = new Random(3);
        var network = new ReferenceNetwork(shape, [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)(random.NextDouble() - 0.5))]);
        string path = Path.Combine(Path.GetTempPath(), "genbias-version-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            ModelFile.Save(path, network);
            return new InMemoryAdditionalText("/project/" + name, File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static (ImmutableArray<Diagnostic> Generator, Compilation Output, GeneratorDriverRunResult Result) Run(LanguageVersion version)
    {
        var parse = new CSharpParseOptions(version);
        Compilation plain = GeneratorHarness.Compilation(Networks);
        Compilation input = plain.ReplaceSyntaxTree(plain.SyntaxTrees.Single(), CSharpSyntaxTree.ParseText(Networks, parse, "Spec.cs"));
        // Over 16,384 parameters: the large model is embedded as base64 text.
        AdditionalText[] files =
        [
            ModelText("small.json", NetworkShape.Create(5, (3, Activation.Tanh), (1, Activation.Sigmoid))),
            ModelText("large.json", NetworkShape.Create(64, (256, Activation.Tanh), (1, Activation.Tanh))),
        ];
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new TernaryNetworkGenerator().AsSourceGenerator()], files, parse)
            .RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return (diagnostics, output, driver.GetRunResult());
    }

    [Fact]
    public void LanguageVersion_GeneratedCodeCompilesAtTheMinimum()
    {
        Assert.Equal(LanguageVersion.CSharp9, TernaryNetworkGenerator.MinimumLanguageVersion);
        (ImmutableArray<Diagnostic> generator, Compilation output, GeneratorDriverRunResult result) = Run(TernaryNetworkGenerator.MinimumLanguageVersion);
        Assert.Empty(generator);
        Assert.Equal(5, result.Results.Single().GeneratedSources.Length);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Theory]
    [InlineData(LanguageVersion.CSharp8, "8.0")]
    [InlineData(LanguageVersion.CSharp7_3, "7.3")]
    public void LanguageVersion_BelowTheMinimum_ReportsGB0031AtTheAttribute(LanguageVersion version, string shown)
    {
        (ImmutableArray<Diagnostic> generator, Compilation output, GeneratorDriverRunResult result) = Run(version);
        Assert.Empty(result.Results.Single().GeneratedSources);
        Assert.Equal(5, generator.Length);
        foreach (Diagnostic diagnostic in generator)
        {
            Assert.Equal("GB0031", diagnostic.Id);
            Assert.StartsWith("TernaryNetwork(", Networks.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length), StringComparison.Ordinal);
        }

        Assert.Equal(
            $"'Tables' is compiled as C# {shown}, but the code GenBias generates needs C# 9.0 or later; set <LangVersion> to 9.0 or later in the project file " +
            "(or remove it: net10.0 projects default to a newer version)",
            generator.OrderBy(d => d.Location.SourceSpan.Start).First().GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Location.SourceTree is { } tree && tree.FilePath != "Spec.cs");
    }
}
